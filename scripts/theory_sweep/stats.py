"""The statistics of the theory sweep: bootstrap medians, tail slopes, the plateau rule.

Every network contributes a certified interval [lower, upper] of Lip₂/√d (a point when the
exact search finished). A cell's median is then known to lie in [median(lower), median(upper)];
its 95% confidence interval is [2.5% quantile of the bootstrap medians of the lowers, 97.5%
quantile of those of the uppers] (percentile bootstrap, networks resampled with replacement).

Saturation in N is judged on the slope s of log(median) against log(N) (least squares; a slope s
means the ratio grows like N^s), with a bootstrap CI from resampling the networks of every cell
independently. The rule, fixed before looking at the data:

- tolerance s₀ = 0.02: at that slope the ratio changes by 1.4% per doubling of N, 15% over
  N = 10 … 10^3 — below the scatter of 50-seed medians;
- a ladder *saturates* if the 95% CI of the slope over its top widths (the largest 4, or 3 when
  it has only 3–4 cells whose medians are decided) lies inside [−s₀, s₀];
- the *plateau starts* at the smallest width N* such that the slope over all decided widths ≥ N*
  (at least 3 of them, spanning at least a factor 4) has its 95% CI inside [−s₀, s₀] and
  holding 0 (no detectable trend, and any trend below the tolerance);
- *still rising*: the CI of the top slope lies above 0 and reaches past s₀; *falling*: below 0
  and past −s₀; otherwise *undecided* (the CI holds 0 but is wider than the tolerance).
"""
from __future__ import annotations

import math

import numpy as np

S0 = 0.02
BOOT = 2000
TOP_WINDOW = 4
# A cell's median counts as known (and the cell enters the slope fits, with the lower ends' median)
# when the certified intervals of its unfinished networks move it by less than this, relatively.
DECIDED_GAP = 0.01


class CellStats:
    """One cell's networks: bounds of the ratio, and bootstrap medians of lowers and uppers."""

    def __init__(self, N: int, lower: np.ndarray, upper: np.ndarray, rng: np.random.Generator, seconds=None):
        self.N, self.lower, self.upper = N, lower, upper
        self.n = len(lower)
        self.exact = int(np.sum(lower == upper))
        self.seconds = seconds
        idx = rng.integers(0, self.n, size=(BOOT, self.n))
        self.boot_lo = np.median(lower[idx], axis=1)
        self.boot_hi = np.median(upper[idx], axis=1)
        self.median_lo = float(np.median(lower))
        self.median_hi = float(np.median(upper))
        self.ci = (float(np.quantile(self.boot_lo, 0.025)), float(np.quantile(self.boot_hi, 0.975)))

    @property
    def decided(self) -> bool:
        """The median is pinned: the certified intervals move it by less than DECIDED_GAP."""
        return math.isfinite(self.median_hi) and self.median_hi <= self.median_lo * (1 + DECIDED_GAP)

    @property
    def median(self) -> float:
        return self.median_lo if self.decided else float("nan")

    def quantiles(self, qs=(0.05, 0.25, 0.75, 0.95)) -> list[float]:
        return [float(np.quantile(self.lower, q)) for q in qs]


def slope_ci(cells: list[CellStats]) -> dict:
    """Slope of log median against log N over `cells` (all decided), with its bootstrap CI."""
    x = np.log([c.N for c in cells])
    xc = x - x.mean()
    den = float(np.sum(xc ** 2))
    y = np.log([c.median for c in cells])
    point = float(np.sum(xc * y) / den)
    boots = np.log(np.stack([c.boot_lo for c in cells], axis=1))       # BOOT × cells
    slopes = boots @ xc / den
    lo, hi = np.quantile(slopes, [0.025, 0.975])
    return {"from": cells[0].N, "to": cells[-1].N, "widths": len(cells), "slope": point,
            "ci": [float(lo), float(hi)]}


def verdict(ci: list[float]) -> str:
    lo, hi = ci
    if -S0 <= lo and hi <= S0:
        return "saturates"
    if lo > 0:
        return "still rising"
    if hi < 0:
        return "falling"
    return "undecided"


def ladder_analysis(cells: list[CellStats]) -> dict:
    """The top-window slope, its verdict, the plateau start and every tail slope."""
    decided = [c for c in cells if c.decided]
    out: dict = {"widths": [c.N for c in cells], "decided_widths": [c.N for c in decided]}
    if len(decided) < 3:
        out["verdict"] = "too few widths"
        return out
    top = decided[-TOP_WINDOW:]
    out["top"] = slope_ci(top)
    out["verdict"] = verdict(out["top"]["ci"])
    tails = []
    for k in range(len(decided) - 2):
        tail = decided[k:]
        if tail[-1].N < 4 * tail[0].N:
            break
        s = slope_ci(tail)
        s["inside_tolerance"] = verdict(s["ci"]) == "saturates"
        s["flat"] = s["inside_tolerance"] and s["ci"][0] <= 0 <= s["ci"][1]
        tails.append(s)
    out["tails"] = tails
    start = next((t["from"] for t in tails if t["flat"]), None)
    out["plateau_from"] = start
    wide = [c for c in decided if c.N >= 50]
    if len(wide) >= 3:
        out["limit_fit"] = limit_fit(wide)
    return out


def ratio_of_medians_ci(a: CellStats, b: CellStats) -> tuple[float, list[float]]:
    """median(a)/median(b) with the bootstrap CI (independent resamples of the two cells)."""
    r = a.boot_lo / b.boot_lo
    return a.median / b.median, [float(np.quantile(r, 0.025)), float(np.quantile(r, 0.975))]


def depth_slope(cells_by_depth: list[CellStats]) -> dict:
    """Slope of log median against depth L (per added layer), with its bootstrap CI."""
    ls = np.arange(1, len(cells_by_depth) + 1, dtype=float)
    xc = ls - ls.mean()
    den = float(np.sum(xc ** 2))
    y = np.log([c.median for c in cells_by_depth])
    boots = np.log(np.stack([c.boot_lo for c in cells_by_depth], axis=1))
    slopes = boots @ xc / den
    lo, hi = np.quantile(slopes, [0.025, 0.975])
    return {"slope": float(np.sum(xc * y) / den), "ci": [float(lo), float(hi)]}


def limit_fit(cells: list[CellStats]) -> dict:
    """Least-squares fit median(N) = r∞ + b·N^(-1/2) over `cells` (decided), with bootstrap CIs:
    a model of a slow approach to a limit (the maximum of a random walk over N steps nears its
    limit like N^(-1/2)), used only to say where such a limit would lie, not to prove one."""
    x = np.array([c.N ** -0.5 for c in cells])
    A = np.stack([np.ones_like(x), x], axis=1)
    pinv = np.linalg.pinv(A)                                    # 2 × cells
    coef = pinv @ np.array([c.median for c in cells])
    boots = np.stack([c.boot_lo for c in cells], axis=1) @ pinv.T   # BOOT × 2
    q = np.quantile(boots, [0.025, 0.975], axis=0)
    return {"from": cells[0].N, "to": cells[-1].N, "limit": float(coef[0]), "limit_ci": [float(q[0, 0]), float(q[1, 0])],
            "b": float(coef[1]), "b_ci": [float(q[0, 1]), float(q[1, 1])]}
