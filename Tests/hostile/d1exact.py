# Exact oracle for d = 1 ReLU networks of any depth (Fractions: every double is a rational).
# Each pattern's set is convex (an interval); pieces between exact breakpoints carry one pattern.
from fractions import Fraction as F
import math

def pieces(layers, lo=None, hi=None):
    """Returns list of (a, b) open intervals (None = infinite) with constant pattern, and the pattern,
    and the exact output slope column."""
    # Represent each hidden layer's pre-activations as affine on each piece: z = s*x + c.
    W0 = [[F(w) for w in row] for row in layers[0]["weights"]]
    b0 = [F(b) for b in layers[0]["biases"]]
    # Start with one piece (lo, hi); maps: per neuron (slope, offset)
    segs = [(lo, hi, [(r[0], b) for r, b in zip(W0, b0)], [])]  # (a, b, current pre-acts, pattern so far)
    nl = len(layers)
    for k in range(nl - 1):
        # split every seg by zeros of current pre-activations
        new = []
        for a, b, pre, pat in segs:
            cuts = set()
            for s, c in pre:
                if s != 0:
                    t = -c / s
                    if (a is None or t > a) and (b is None or t < b):
                        cuts.add(t)
            pts = sorted(cuts)
            bounds = [a] + pts + [b]
            for i in range(len(bounds) - 1):
                u, v = bounds[i], bounds[i + 1]
                # a midpoint
                if u is None and v is None: x = F(0)
                elif u is None: x = v - 1
                elif v is None: x = u + 1
                else: x = (u + v) / 2
                act = [(s * x + c) > 0 for s, c in pre]
                post = [(s, c) if on else (F(0), F(0)) for (s, c), on in zip(pre, act)]
                if k + 1 < nl - 1:
                    W = layers[k + 1]["weights"]; bb = layers[k + 1]["biases"]
                    nxt = []
                    for row, bias in zip(W, bb):
                        s_ = sum((F(w) * p[0] for w, p in zip(row, post) if w != 0), F(0))
                        c_ = sum((F(w) * p[1] for w, p in zip(row, post) if w != 0), F(bias))
                        nxt.append((s_, c_))
                else:
                    nxt = post
                new.append((u, v, nxt, pat + [tuple(act)]))
        segs = new
    out = layers[-1]["weights"]
    result = []
    for a, b, post, pat in segs:
        col = [sum((F(w) * p[0] for w, p in zip(row, post) if w != 0), F(0)) for row in out]
        result.append((a, b, tuple(pat), col))
    return result

def norm_of(col, p):
    if p == "1": return float(sum(abs(v) for v in col))
    if p == "inf": return float(max(abs(v) for v in col))
    if p == "2":
        m = max(abs(v) for v in col)
        if m == 0: return 0.0
        return float(m) * math.sqrt(float(sum((v / m) ** 2 for v in col)))
    # other p: scalar output only
    assert len(col) == 1
    return float(abs(col[0]))

def exact(layers, p, lo=None, hi=None):
    ps = pieces(layers, None if lo is None else F(lo), None if hi is None else F(hi))
    pats = {}
    for a, b, pat, col in ps:
        pats[pat] = col
    value = max(norm_of(col, p) for col in pats.values())
    return value, len(pats)

def l2exact(col):
    s = sum(v * v for v in col)
    return s
