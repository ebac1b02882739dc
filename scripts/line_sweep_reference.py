#!/usr/bin/env python3
"""Reference line sweep in numpy for the global l2 Lipschitz constant of a network with one
hidden layer and one output (issue 11): the baseline that `lipschitz-bench --section sweep`
times the Swift search against.

For every line cut out by d-1 hidden hyperplanes it sorts the other hyperplanes' crossings,
carries the gradient as a cumulative sum of the neurons' terms, and at every crossing evaluates
the 2^d cells around the vertex (all sign choices of the d planes through it). Every cell of an
arrangement whose normals span R^d has a vertex, so the maximum over these is the constant.
It assumes general position (it is a benchmark reference, not a certified method).

Usage: line_sweep_reference.py NETWORK.json  ->  prints {"lipschitz": L, "seconds": search time}
(reading the file is not timed).
"""
import itertools
import json
import sys
import time

import numpy as np


def lipschitz(w, b, v):
    """w: N x d hidden weights, b: N biases, v: N output weights (scalar output)."""
    n, d = w.shape
    keep = np.linalg.norm(w, axis=1) > 0  # zero rows are constant: no term, no hyperplane
    w, b, v = w[keep], b[keep], v[keep]
    n = len(b)
    terms = v[:, None] * w  # gradient term of each neuron
    best = 0.0
    for line in itertools.combinations(range(n), d - 1):
        line = list(line)
        if d == 1:
            point, direction = np.zeros(1), np.ones(1)
        else:
            a = w[line]
            point = np.linalg.lstsq(a, -b[line], rcond=None)[0]
            direction = np.linalg.svd(a)[2][-1]
        others = np.ones(n, dtype=bool)
        others[line] = False
        rate = w[others] @ direction
        level = w[others] @ point + b[others]
        t = -level / rate
        order = np.argsort(t)
        ranked_terms = terms[others][order]
        ranked_rate = rate[order]
        # At t = -inf a neuron is active iff its rate is negative; crossing toggles it.
        start = terms[others][rate < 0].sum(axis=0)
        steps = np.where(ranked_rate[:, None] > 0, ranked_terms, -ranked_terms)
        after = start + np.cumsum(steps, axis=0)
        before = after - steps
        # The d planes through each vertex: the line's (either side) and the crossing one.
        line_terms = terms[line]
        for mask in itertools.product((0.0, 1.0), repeat=d - 1):
            extra = np.array(mask) @ line_terms if d > 1 else 0.0
            for state in (before, after):
                g = state + extra
                best = max(best, float(np.sqrt((g * g).sum(axis=1)).max()))
    return best


def main():
    with open(sys.argv[1]) as f:
        network = json.load(f)
    hidden, output = network["layers"]
    w = np.array(hidden["weights"], dtype=float)
    b = np.array(hidden["biases"], dtype=float)
    v = np.array(output["weights"], dtype=float)[0]
    started = time.perf_counter()
    value = lipschitz(w, b, v)
    print(json.dumps({"lipschitz": value, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
