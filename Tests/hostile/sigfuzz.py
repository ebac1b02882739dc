# Signals, time limits and region limits at random moments: the output must bracket the constant
# (found by an uninterrupted run) and say exact only when complete.
import json, random, subprocess, sys, time, signal, os
import os
OUT = os.environ.get("HOSTILE_OUT", "hostile-out"); os.makedirs(OUT, exist_ok=True)
B = sys.argv[1]; n = int(sys.argv[2]); seed = int(sys.argv[3]); rnd = random.Random(seed); bad = 0
tmp = f"/tmp/audit-sig-{seed}"; os.makedirs(tmp, exist_ok=True)
def make():
    d = rnd.randint(1, 4); m = rnd.randint(1, 2)
    kind = rnd.randrange(4)
    if kind == 0: widths = [d, rnd.randint(20, 200), m]            # sweep
    elif kind == 1: widths = [d] + [rnd.randint(6, 12)] * rnd.randint(2, 3) + [m]  # B&B
    elif kind == 2: widths = [1, rnd.randint(1000, 100000), m]       # d = 1 pipeline
    else: widths = [d] + [2] * rnd.randint(50, 300) + [m]              # deep narrow
    layers = []
    zero = kind == 0 and rnd.random() < 0.3
    for k in range(len(widths) - 1):
        rows = [[rnd.gauss(0, 1) for _ in range(widths[k])] for _ in range(widths[k + 1])]
        bs = [0.0 if zero and k == 0 else rnd.gauss(0, 1) for _ in range(widths[k + 1])]
        layers.append({"weights": rows, "biases": bs})
    return widths, {"format": "relu-network", "version": 1, "name": "s", "layers": layers}
runs = 0
early = 0
for c in range(n):
    widths, net = make()
    p = f"{tmp}/net.json"; json.dump(net, open(p, "w"))
    nm = rnd.choice(["1", "2", "inf"])
    t0 = time.time()
    r = subprocess.run([B, "exact", p, "--norm", nm, "--json", "--time-limit", "40"], capture_output=True, text=True)
    full = time.time() - t0
    if r.returncode != 0: print("REF rc", r.returncode, r.stderr[:200]); continue
    ref = json.loads(r.stdout)
    truthLo, truthHi = ref["lower"], ref["upper"]
    for trial in range(4):
        how = rnd.choice(["INT", "TERM", "time", "regions"])
        extra = ["--threads", rnd.choice(["1", "2"])]
        if how == "time": extra += ["--time-limit", repr(rnd.choice([0.001, 0.01, 0.05, 0.2, full / 2 + 1e-3]))]
        elif how == "regions": extra += ["--max-regions", str(rnd.choice([1, 2, 10, 1000]))]
        pr = subprocess.Popen([B, "exact", p, "--norm", nm, "--json"] + extra, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if how in ("INT", "TERM"):
            time.sleep(rnd.uniform(0.02, max(0.03, full)))
            pr.send_signal(signal.SIGINT if how == "INT" else signal.SIGTERM)
        out, err = pr.communicate(timeout=120); rc = pr.returncode; runs += 1
        ok = True
        try: j = json.loads(out)
        except Exception: j = None
        if how in ("INT", "TERM") and rc == 0 and j and j["exact"]: pass  # finished before the signal
        elif how in ("INT", "TERM"):
            if rc not in (130, 143) and not (rc == 0): ok = False
            if j is None and rc in (130, 143):
                # a signal in the runtime's first milliseconds may end the process with nothing printed
                if not (rc in (-2, -15)): pass
        elif rc != 0: ok = False
        if j is not None:
            tol = 1e-9 * max(abs(truthLo), 1e-300)
            if ref["exact"]:
                if not (j["lower"] <= truthLo + tol and j["upper"] >= truthLo - tol): ok = False
                if j["exact"] and abs(j["lower"] - truthLo) > tol: ok = False
            if j["exact"] and j.get("stopped"): ok = False
            if j["exact"] and how in ("regions",) and j["regions"] > int(extra[-1]): ok = False
        elif how not in ("INT", "TERM") or rc not in (130, 143, -2, -15): ok = False
        if j is None and rc in (-2, -15): early += 1
        if not ok:
            bad += 1; bp = f"{OUT}/sigbad-{seed}-{c}-{trial}.json"; json.dump({"net": net, "norm": nm, "extra": extra, "how": how}, open(bp, "w"))
            print("MISMATCH", c, widths[:3], len(widths), nm, how, extra, rc, err[:200], (j or {}).get("exact"), (j or {}).get("lower"), (j or {}).get("upper"), "ref", truthLo, truthHi, bp, flush=True)
print("done", n, "runs", runs, "bad", bad, "killed before main", early, flush=True)
