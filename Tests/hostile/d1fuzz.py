# d = 1 networks (shallow and deep) against the exact Fraction oracle; hostile ties, scales, boxes.
import json, random, subprocess, sys, math, os
import os
OUT = os.environ.get("HOSTILE_OUT", "hostile-out"); os.makedirs(OUT, exist_ok=True)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from d1exact import exact
B = sys.argv[1]; n = int(sys.argv[2]); seed = int(sys.argv[3]); rnd = random.Random(seed); bad = 0
def val():
    k = rnd.randrange(8)
    if k == 0: return rnd.gauss(0, 1)
    if k == 1: return rnd.gauss(0, 1) * 10 ** rnd.randint(-8, 8)
    if k == 2: return float(rnd.randint(-3, 3))
    if k == 3: return rnd.choice([0.5, -0.5, 1.0, -1.0, 0.25, 3.0])
    if k == 4: return 0.0
    if k == 5: return rnd.choice([1e-300, -1e-300, 5e-324, 1e300 / 1e10])
    return rnd.uniform(-1, 1)
count = 0
for c in range(n):
    deep = rnd.random() < 0.5
    m = rnd.randint(1, 3)
    if deep:
        widths = [1] + [rnd.randint(1, 4) for _ in range(rnd.randint(2, 4))] + [m]
    else:
        widths = [1, rnd.choice([1, 2, 3, 5, 8, 20, 60, 200]), m]
    pts = [val() for _ in range(rnd.randint(1, 4))]
    layers = []
    for k in range(len(widths) - 1):
        rows, bs = [], []
        for i in range(widths[k + 1]):
            mode = rnd.random()
            if rows and mode < 0.15:  # duplicate / parallel / anti-parallel
                j = rnd.randrange(len(rows)); s = rnd.choice([1, -1, 2, -0.5, 0.125])
                rows.append([x * s for x in rows[j]]); bs.append(bs[j] * s)
            elif mode < 0.2:
                rows.append([0.0] * widths[k]); bs.append(rnd.choice([0.0, 1.0, -1.0]))
            else:
                row = [val() for _ in range(widths[k])]
                if k == 0 and rnd.random() < 0.6:
                    t = rnd.choice(pts); b = -row[0] * t
                else:
                    b = val()
                if k == len(widths) - 2 and rnd.random() < 0.2: row = [0.0] * widths[k]
                rows.append(row); bs.append(b)
        layers.append({"weights": rows, "biases": bs})
    net = {"format": "relu-network", "version": 1, "name": f"d1-{c}", "layers": layers}
    if any(not math.isfinite(v) for l in layers for r in l["weights"] for v in r): continue
    p = f"/tmp/audit-d1-{seed}.json"; json.dump(net, open(p, "w"))
    nm = rnd.choice(["1", "2", "inf"] + (["3", "1.5"] if m == 1 else []))
    lo = hi = None; box = []
    r = rnd.random()
    if r < 0.5:
        kind = rnd.randrange(6)
        if kind == 0: lo, hi = 0.0, 1e-12
        elif kind == 1: lo, hi = -1e12, 1e12
        elif kind == 2: t = rnd.choice(pts); lo, hi = t, t + abs(rnd.choice([1e-9, 1.0, 1e3]))  # touching a breakpoint
        elif kind == 3: t = rnd.choice(pts); lo, hi = t - 1.0, t  # touching from above
        elif kind == 4: lo, hi = 1e9, 1e9 + 1
        else: t = rnd.choice(pts); lo, hi = t - 1e-12 * (1 + abs(t)), t + 1e-12 * (1 + abs(t))
        if not (hi > lo): continue
        box = ["--bound", f"{lo!r},{hi!r}"]
    try:
        ref, regions = exact(layers, nm, lo, hi)
    except (AssertionError, OverflowError):
        continue
    for extra in [[], ["--threads", "1"], ["--count-regions"]]:
        r = subprocess.run([B, "exact", p, "--norm", nm, "--json", "--time-limit", "60"] + box + extra, capture_output=True, text=True)
        count += 1
        if r.returncode != 0:
            got = ("rc", r.returncode, r.stderr.strip()[:200]); ok = r.returncode == 2 and "overflow" in r.stderr
            if ok: continue
        else:
            j = json.loads(r.stdout); got = (j["exact"], j["lower"], j["upper"], j["regions"], j["method"])
            tol = 1e-9 * max(ref, 1e-300)
            if j["exact"]:
                ok = abs(j["lower"] - ref) <= tol or j["lower"] == ref
                if "--count-regions" in extra: ok = ok and j["regions"] == regions
            else:
                ok = j["lower"] <= ref + tol and j["upper"] >= ref - tol
                got = got + ("INEXACT",)
        if not ok or (got[0] is False):
            if not ok: bad += 1
            bp = f"{OUT}/d1bad-{seed}-{c}.json"; json.dump({"net": net, "box": box, "norm": nm, "extra": extra}, open(bp, "w"))
            print("MISMATCH" if not ok else "inexact", c, widths, nm, box, extra, "ref", ref, regions, "got", got, bp, flush=True)
print("done", n, "runs", count, "bad", bad, flush=True)
