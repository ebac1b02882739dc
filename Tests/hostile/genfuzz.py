# General networks: default B&B (2 threads) vs 1 thread vs --count-regions --method lp (reference)
# vs sharded+merge; every exact value held to a sampled lower bound (certified-margin points).
import json, random, subprocess, sys, math, os
import os
OUT = os.environ.get("HOSTILE_OUT", "hostile-out"); os.makedirs(OUT, exist_ok=True)
import numpy as np
B = sys.argv[1]; n = int(sys.argv[2]); seed = int(sys.argv[3]); rnd = random.Random(seed); bad = 0
tmp = f"/tmp/audit-gen-{seed}"
os.makedirs(tmp, exist_ok=True)
def val(scale=1.0):
    k = rnd.randrange(7)
    if k == 0: return rnd.gauss(0, 1) * scale
    if k == 1: return rnd.gauss(0, 1) * 10 ** rnd.randint(-8, 8)
    if k == 2: return float(rnd.randint(-3, 3))
    if k == 3: return rnd.choice([0.5, -0.5, 1.0, -1.0])
    if k == 4: return 0.0
    return rnd.uniform(-1, 1) * scale
def make():
    d = rnd.randint(1, 4); m = rnd.randint(1, 3)
    shape = rnd.random()
    if shape < 0.3: hidden = [rnd.randint(2, 10)]
    elif shape < 0.8: hidden = [rnd.randint(2, 7) for _ in range(rnd.randint(2, 4))]
    else: hidden = [rnd.randint(1, 2) for _ in range(rnd.randint(5, 40))]
    widths = [d] + hidden + [m]
    layers = []
    zero_bias = rnd.random() < 0.15
    for k in range(len(widths) - 1):
        sc = 10 ** rnd.uniform(-3, 3) if rnd.random() < 0.3 else 1.0
        rows, bs = [], []
        for i in range(widths[k + 1]):
            r = rnd.random()
            if rows and r < 0.15:
                j = rnd.randrange(len(rows)); s = rnd.choice([1, -1, 2, -0.5])
                rows.append([x * s for x in rows[j]]); bs.append(bs[j] * s)
            elif r < 0.2:
                rows.append([0.0] * widths[k]); bs.append(rnd.choice([0.0, 1.0, -1.0]))
            elif r < 0.25:  # dead or always on
                rows.append([rnd.gauss(0, 1e-3) for _ in range(widths[k])]); bs.append(rnd.choice([-1e3, 1e3]))
            else:
                rows.append([rnd.gauss(0, 1) * sc if rnd.random() < 0.8 else val(sc) for _ in range(widths[k])]); bs.append(rnd.gauss(0, 1) * sc if rnd.random() < 0.8 else val(sc))
            if zero_bias and k == 0: bs[-1] = 0.0
        layers.append({"weights": rows, "biases": bs})
    return d, m, widths, layers
def sample_lower(layers, d, p, box, count=300):
    Ws = [np.array(l["weights"], dtype=float).reshape(len(l["weights"]), -1) for l in layers]
    bs = [np.array(l["biases"], dtype=float) for l in layers]
    best = 0.0
    for _ in range(count):
        if box: x = np.array([rnd.uniform(lo, hi) for lo, hi in box])
        else: x = np.array([rnd.gauss(0, 1) * 10 ** rnd.uniform(-1, 2) for _ in range(d)])
        h = x; J = np.eye(d); ok = True
        for k in range(len(Ws) - 1):
            z = Ws[k] @ h + bs[k]
            mag = np.abs(Ws[k]) @ np.abs(h) + np.abs(bs[k])
            if np.any((np.abs(z) <= 1e-7 * mag + 1e-300) & (mag > 0)): ok = False; break
            a = (z > 0).astype(float)
            J = (Ws[k] * a[:, None]) @ J if False else (a[:, None] * Ws[k]) @ J
            h = np.maximum(z, 0)
        if not ok: continue
        J = Ws[-1] @ J
        if p == "1": v = np.abs(J).sum(axis=0).max()
        elif p == "inf": v = np.abs(J).sum(axis=1).max()
        elif p == "2": v = np.linalg.norm(J, 2)
        else:
            q = float(p) / (float(p) - 1); v = (np.abs(J[0]) ** q).sum() ** (1 / q)
        best = max(best, float(v))
    return best
def run(p, nm, box, extra, limit="60"):
    cmd = [B, "exact", p, "--norm", nm, "--json", "--time-limit", limit] + box + extra
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0: return ("rc", r.returncode, r.stderr.strip()[:200])
    j = json.loads(r.stdout); return (j["exact"], j["lower"], j["upper"], j.get("regions"), j["method"], r.stdout)
runs = 0
import collections
stats = collections.Counter()
for c in range(n):
    d, m, widths, layers = make()
    net = {"format": "relu-network", "version": 1, "name": f"g{c}", "layers": layers}
    p = f"{tmp}/net.json"; json.dump(net, open(p, "w"))
    nm = rnd.choice(["1", "2", "inf"] + (["3", "1.5"] if m == 1 else []))
    box = []; boxv = None
    if rnd.random() < 0.4:
        kind = rnd.randrange(5)
        boxv = []
        for i in range(d):
            if kind == 0: lo, hi = 0.0, 1e-12
            elif kind == 1: lo, hi = -1e12, 1e12
            elif kind == 2: lo, hi = 1e6, 1e6 + 1
            elif kind == 3: lo, hi = -1.0, 1.0
            else: c0 = rnd.gauss(0, 1); w = 10 ** rnd.uniform(-8, 3); lo, hi = c0 - w, c0 + w
            boxv.append((lo, hi))
        for lo, hi in boxv: box += ["--bound", f"{lo!r},{hi!r}"]
    res = {}
    res["default"] = run(p, nm, box, [])
    res["t1"] = run(p, nm, box, ["--threads", "1"])
    if sum(widths[1:-1]) <= 30:
        res["lp-count"] = run(p, nm, box, ["--method", "lp", "--count-regions"])
    if rnd.random() < 0.3:
        N = rnd.randint(2, 4); parts = []
        for K in range(1, N + 1):
            r = subprocess.run([B, "exact", p, "--norm", nm, "--json", "--time-limit", "60", "--shard", f"{K}/{N}"] + box, capture_output=True, text=True)
            if r.returncode != 0: res["shard"] = ("rc", r.returncode, r.stderr.strip()[:200]); break
            open(f"{tmp}/part-{K}.json", "w").write(r.stdout); parts.append(f"{tmp}/part-{K}.json")
        else:
            r = subprocess.run([B, "merge", "--json"] + parts, capture_output=True, text=True)
            if r.returncode != 0: res["shard"] = ("rc", r.returncode, r.stderr.strip()[:200])
            else:
                j = json.loads(r.stdout); res["shard"] = (j["exact"], j["lower"], j["upper"], j.get("regions"), j.get("method"), "")
    runs += len(res)
    ok = True; why = []
    for k, v in res.items():
        if v[0] == "rc" and not (v[1] == 2 and "overflow" in v[2]): ok = False; why.append(k + " rc")
    vals = {k: v for k, v in res.items() if v[0] is True}
    if vals:
        ref = list(vals.values())[0][1]
        for k, v in res.items():
            if v[0] == "rc": continue
            if v[0] and not (abs(v[1] - ref) <= 1e-9 * max(abs(ref), abs(v[1])) or v[1] == ref): ok = False; why.append(k + " value")
            if not (v[1] <= ref * (1 + 1e-9) + 1e-300 and v[2] >= ref * (1 - 1e-9)): ok = False; why.append(k + " bracket")
        if "lp-count" in res and "shard" in res and res["lp-count"][0] is True and res["shard"][0] is True and "--count-regions" in []: pass
        if nm in ("1", "2", "inf", "3", "1.5"):
            try: s = sample_lower(layers, d, nm, boxv)
            except Exception as e: s = 0.0
            if s > ref * (1 + 1e-7) + 1e-300: ok = False; why.append(f"sampled {s} above exact {ref}")
    else:
        lows = [v[1] for v in res.values() if v[0] != "rc"]; ups = [v[2] for v in res.values() if v[0] != "rc"]
        if lows and max(lows) > min(ups) * (1 + 1e-9): ok = False; why.append("brackets disjoint")
    stats[tuple(sorted(set(str(v[0]) for v in res.values())))] += 1
    if not ok:
        bad += 1; bp = f"{OUT}/genbad-{seed}-{c}.json"; json.dump({"net": net, "box": box, "norm": nm}, open(bp, "w"))
        print("MISMATCH", c, widths, nm, box[:4], why, {k: v[:5] for k, v in res.items()}, bp, flush=True)
print("done", n, "runs", runs, "bad", bad, dict(stats), flush=True)
import collections
