# Trained-like networks of issue 10's held-back shapes (instances/trained-like/README.md): a numpy
# MLP trained with the recipe of ExLipBaB's network-construction scripts (Adam, lr 1e-3, batch 256,
# weight decay 1e-3 as an L2 gradient term, MSE on raw targets, standardised inputs, 20 % validation,
# early stopping) on synthetic data shaped like the UCI bike-sharing (13 features -> casual,
# registered, cnt) and wine-quality (11 features -> quality) sets, which are not bundled.
#
#   python3 scripts/train-trained-like.py bike SEED PATIENCE OUT.json
#   python3 scripts/train-trained-like.py wine SEED PATIENCE OUT.json
#
# The bundled files: bike 5 30, bike 4 30, wine 1 5 (numpy 2.4; other numpy versions may differ in the last bits).
import numpy as np, json, sys
def make_bike(rng, n=17379):
    hr = rng.integers(0, 24, n); season = rng.integers(1, 5, n); yr = rng.integers(0, 2, n)
    mnth = np.clip(season*3 - 2 + rng.integers(0, 3, n), 1, 12); holiday = (rng.random(n) < 0.03).astype(float)
    weekday = rng.integers(0, 7, n); workingday = ((weekday > 0) & (weekday < 6) & (holiday == 0)).astype(float)
    weathersit = rng.choice([1, 2, 3, 4], n, p=[0.65, 0.26, 0.08, 0.01]); temp = np.clip(0.2 + 0.15*season + rng.normal(0, 0.15, n), 0.02, 1)
    atemp = np.clip(temp*0.9 + rng.normal(0, 0.03, n), 0, 1); hum = np.clip(rng.normal(0.63, 0.19, n), 0, 1); wind = np.clip(rng.gamma(2, 0.095, n), 0, 0.85)
    dteday = 20110101 + yr*10000 + mnth*100 + rng.integers(1, 29, n)
    X = np.stack([dteday, season, yr, mnth, hr, holiday, weekday, workingday, weathersit, temp, atemp, hum, wind], 1).astype(float)
    peak = np.exp(-((hr-8)/1.5)**2)*workingday*3 + np.exp(-((hr-17.5)/2)**2)*(1+workingday) + np.exp(-((hr-14)/4)**2)*(1-workingday)*1.5
    base = (0.3 + peak) * (0.6 + 0.6*yr) * (0.4 + temp) * (1.3 - hum*0.5) * (1 - 0.25*(weathersit-1))
    registered = np.maximum(0, 180*base*(0.5+workingday) + rng.normal(0, 5, n))
    casual = np.maximum(0, 60*(0.3+temp)*(1.6-workingday)*np.exp(-((hr-14)/4)**2)*(0.6+0.6*yr) + rng.normal(0, 2, n))
    Y = np.stack([casual, registered, casual+registered], 1)
    return X, Y
def make_wine(rng, n=4898):
    Z = rng.normal(size=(n, 11)) @ (np.eye(11) + 0.3*rng.normal(size=(11, 11)))
    q = 5.9 + 0.35*Z[:,10] - 0.25*Z[:,1] + 0.1*np.tanh(Z[:,3]*Z[:,5]) - 0.15*np.abs(Z[:,7]) + 0.1*Z[:,9] + rng.normal(0, 0.7, n)
    return Z*np.abs(rng.normal(1, 3, 11)) + rng.normal(0, 5, 11), np.round(np.clip(q, 3, 9))[:, None]
def train(shape, X, Y, seed):
    rng = np.random.default_rng(seed)
    X = (X - X.mean(0)) / X.std(0)
    idx = rng.permutation(len(X)); nv = len(X)//5; val, tr = idx[:nv], idx[nv:]
    Ws = [rng.uniform(-1, 1, (shape[i+1], shape[i]))/np.sqrt(shape[i]) for i in range(len(shape)-1)]
    bs = [rng.uniform(-1, 1, shape[i+1])/np.sqrt(shape[i]) for i in range(len(shape)-1)]
    params = Ws + bs; m = [np.zeros_like(p) for p in params]; v = [np.zeros_like(p) for p in params]; t = 0
    def fwd(x):
        acts = [x]; h = x
        for k in range(len(Ws)):
            z = h @ Ws[k].T + bs[k]
            h = np.maximum(z, 0) if k < len(Ws)-1 else z
            acts.append(h)
        return acts
    best, bestp, bad = np.inf, None, 0
    for epoch in range(2000):
        perm = rng.permutation(tr)
        for s in range(0, len(perm), 256):
            b = perm[s:s+256]; acts = fwd(X[b]); g = 2*(acts[-1] - Y[b]) / (len(b)*Y.shape[1])
            gW, gb = [None]*len(Ws), [None]*len(Ws)
            for k in reversed(range(len(Ws))):
                gW[k] = g.T @ acts[k]; gb[k] = g.sum(0)
                if k > 0: g = (g @ Ws[k]) * (acts[k] > 0)
            grads = gW + gb; t += 1
            for i, (p, gr) in enumerate(zip(params, grads)):
                gr = gr + 1e-3*p  # torch Adam weight_decay: L2 added to the gradient
                m[i] = 0.9*m[i] + 0.1*gr; v[i] = 0.999*v[i] + 0.001*gr*gr
                p -= 1e-3 * (m[i]/(1-0.9**t)) / (np.sqrt(v[i]/(1-0.999**t)) + 1e-8)
        vl = np.mean((fwd(X[val])[-1] - Y[val])**2)
        if vl < best - 1e-6: best, bestp, bad = vl, [p.copy() for p in params], 0
        else:
            bad += 1
            if bad >= PAT: break
    print(shape, "epochs", epoch, "val rmse", np.sqrt(best), file=sys.stderr)
    L = len(Ws)
    return {"format": "relu-network", "version": 1, "name": "proxy-" + "x".join(map(str, shape)) + f"-{seed}",
            "layers": [{"weights": bestp[k].tolist(), "biases": bestp[L+k].tolist()} for k in range(L)]}
kind, seed, PAT, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(seed)
if kind == "bike": X, Y = make_bike(rng); net = train([13, 20, 16, 8, 3], X, Y, seed)
else: X, Y = make_wine(rng); net = train([11, 24, 24, 1], X, Y, seed)
json.dump(net, open(out, "w"))
