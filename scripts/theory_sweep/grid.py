"""The theory sweep's grid (issue 11, item 4): which cells exist, in which order they are run.

A *cell* is one (driver, d, N, L, bias, trials) combination; every network in it is redrawable
from its recipe (d, N, L, bias, bias scale, seed) with `lipschitz generate`. Drivers:

- ``compare``: `lipschitz compare` on the whole cell (networks drawn in memory, so widths of
  10^6 never pass through a JSON file), exact value plus every estimator.
- ``bounds``: the same with only the two cheap upper bounds (layer product, interval Jacobian),
  for widths where the sampling estimators would cost more than the exact search.
- ``exact``: one `lipschitz generate` + `lipschitz exact --prune` per network: deep networks
  (branch and bound). Zero-bias cells were run with this driver until the one-input path
  (d = 1 in milliseconds, where a 66 MB JSON file per network cost seconds); they now use
  ``bounds`` (networks drawn in memory, recipes in each row as for every compare cell). The files
  of the zero-bias cells run before keep their exact-driver names and recipes; the analysis takes
  the larger cell of each (d, N, bias) place.
"""
from __future__ import annotations

from dataclasses import dataclass, field

BASE_SEED = 2026
BIAS_LAWS = ("normal", "uniform", "laplace", "rademacher", "zero")
METHODS = ("sampled", "local-search", "layer-product", "interval-jacobian", "clever")
BOUND_METHODS = ("layer-product", "interval-jacobian")


@dataclass(frozen=True)
class Cell:
    driver: str          # compare | bounds | exact
    d: int
    N: int
    L: int
    bias: str
    trials: int
    time_limit: float    # seconds per network for the exact search
    ladder: str          # the ladder the cell belongs to (cells of one ladder share all but N)
    seed: int = BASE_SEED

    @property
    def name(self) -> str:
        return f"{self.driver}-d{self.d}-L{self.L}-N{self.N}-{self.bias}-t{self.trials}-s{self.seed}"


@dataclass
class Grid:
    cells: list[Cell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def ladders(self) -> dict[str, list[Cell]]:
        out: dict[str, list[Cell]] = {}
        for c in self.cells:
            out.setdefault(c.ladder, []).append(c)
        for cells in out.values():
            cells.sort(key=lambda c: c.N)
        return out


# Widths roughly doubling (1-2-5 steps) up to the limits of issue 11.
FULL_WIDTHS = {
    1: [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000],
    2: [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000],
    3: [10, 20, 50, 100, 200, 500, 1000],
    4: [10, 20, 50, 100, 200],
    5: [10, 20, 40, 80],
}
# One large width per d for the five bias laws (each is also on the normal ladder).
BIAS_LAW_WIDTH = {1: 100_000, 2: 2000, 3: 200, 4: 100, 5: 40}
# Deep random networks: d = 2, 3; depth 1..6; widths where the exact search can finish.
DEEP_DIMS, DEEP_DEPTHS, DEEP_WIDTHS = (2, 3), (1, 2, 3, 4, 5, 6), (8, 16, 32)

# The sampling estimators cost ~1e-4 s per neuron and input dimension per network (1000
# samples): past N·d = FULL_METHODS_LIMIT a cell runs the bounds only, and a subsample of
# ESTIMATOR_TRIALS networks of the same cell (the same seeds: trial indices 0..k-1) runs every
# estimator, up to N·d = ESTIMATOR_LIMIT.
FULL_METHODS_LIMIT = 5000
ESTIMATOR_LIMIT = 20_000
ESTIMATOR_TRIALS = 20


def full_grid(shallow_trials: int = 50, d1_trials: int = 200, deep_trials: int = 50,
              shallow_time_limit: float = 60, exact_time_limit: float = 20, deep_time_limit: float = 10) -> Grid:
    g = Grid()
    for d, widths in FULL_WIDTHS.items():
        trials = d1_trials if d == 1 else shallow_trials
        for n in widths:
            _add_shallow(g, d, n, "normal", trials, shallow_time_limit)
            g.cells.append(Cell("bounds", d, n, 1, "zero", trials, exact_time_limit, f"zero d={d}"))
        for bias in ("uniform", "laplace", "rademacher"):
            _add_shallow(g, d, BIAS_LAW_WIDTH[d], bias, trials, shallow_time_limit, ladder=f"{bias} d={d}")
    for d in DEEP_DIMS:
        for depth in DEEP_DEPTHS:
            for n in DEEP_WIDTHS:
                g.cells.append(Cell("exact", d, n, depth, "normal", deep_trials, deep_time_limit, f"deep d={d} L={depth}"))
    return g


def quick_grid() -> Grid:
    """A few minutes' version of the same pipeline: every driver, every analysis step."""
    g = Grid(notes=["quick grid: small widths and few seeds; a check of the pipeline, not of the theory"])
    for d, widths in {1: [10, 20, 50, 100, 1000], 2: [10, 20, 50, 100], 3: [10, 20, 30]}.items():
        for n in widths:
            _add_shallow(g, d, n, "normal", 8, 30, full_limit=200, est_limit=2000, est_trials=4)
            g.cells.append(Cell("bounds", d, n, 1, "zero", 8, 10, f"zero d={d}"))
        for bias in ("uniform", "laplace", "rademacher"):
            g.cells.append(Cell("compare", d, widths[-1], 1, bias, 8, 30, f"{bias} d={d}"))
    for depth in (1, 2, 3):
        for n in (4, 8):
            g.cells.append(Cell("exact", 2, n, depth, "normal", 5, 10, f"deep d=2 L={depth}"))
    return g


def _add_shallow(g: Grid, d: int, n: int, bias: str, trials: int, time_limit: float, ladder: str | None = None,
                 full_limit: int = FULL_METHODS_LIMIT, est_limit: int = ESTIMATOR_LIMIT,
                 est_trials: int = ESTIMATOR_TRIALS) -> None:
    ladder = ladder or f"{bias} d={d}"
    if n * d <= full_limit:
        g.cells.append(Cell("compare", d, n, 1, bias, trials, time_limit, ladder))
        return
    g.cells.append(Cell("bounds", d, n, 1, bias, trials, time_limit, ladder))
    if n * d <= est_limit and bias == "normal":
        g.cells.append(Cell("compare", d, n, 1, bias, min(est_trials, trials), time_limit, f"estimators d={d}"))


def grid_for(scale: str, **kwargs) -> Grid:
    if scale == "quick":
        return quick_grid()
    if scale == "full":
        return full_grid(**kwargs)
    raise SystemExit(f"theory-sweep: unknown scale {scale!r} (quick or full)")
