#!/usr/bin/env python3
"""The theory sweep of issue 11: exact Lipschitz constants of random ReLU networks at scale.

    scripts/theory-sweep.py run      [--scale full|quick] [--out DIR] [--budget S] [--cell-budget S]
    scripts/theory-sweep.py analyse  [--out DIR] [--doc docs/theory-check.md]
    scripts/theory-sweep.py check    [--out DIR]     (redraws networks from their recipes)
    scripts/theory-sweep.py plan     [--scale ...]   (the cells, with the ones done)
    scripts/theory-sweep.py rerun-inexact [--out DIR] [--only ...]
                                     (the networks of finished cells that ended as intervals,
                                      redrawn and rerun with the current binary; OUT/reruns.csv)

`run` drives the release binary (.build/release/lipschitz: `compare`, `generate`, `exact`) over
the grid of scripts/theory_sweep/grid.py and is resumable: a cell already in DIR/cells/ is not
run again. `analyse` reads every cell (numpy only) and writes DIR/summary.json, DIR/tables.md,
the SVG plots, and the generated blocks of the doc. SWEEP_SCALE=quick (or --scale quick) runs a
small grid into .build/theory-sweep-quick as a self-check of the pipeline.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from theory_sweep import grid as grids  # noqa: E402
from theory_sweep.runner import Interrupted, Runner  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def default_out(scale: str) -> str:
    return os.path.join(REPO, "docs/theory-check" if scale == "full" else ".build/theory-sweep-quick")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["run", "analyse", "check", "plan", "rerun-inexact"])
    ap.add_argument("--scale", default=os.environ.get("SWEEP_SCALE") or "full", help="full (default) or quick")
    ap.add_argument("--quick", action="store_const", const="quick", dest="scale", help="the same as --scale quick")
    ap.add_argument("--out", help="data folder (default docs/theory-check, or .build/theory-sweep-quick)")
    ap.add_argument("--binary", default=os.path.join(REPO, ".build/release/lipschitz"))
    ap.add_argument("--budget", type=float, default=float(os.environ.get("SWEEP_BUDGET") or 0) or None,
                    help="seconds: start no cell whose projected cost does not fit in what is left")
    ap.add_argument("--cell-budget", type=float, default=float(os.environ.get("SWEEP_CELL_BUDGET") or 900),
                    help="seconds: a ladder stops at the first cell projected to cost more (default 900)")
    ap.add_argument("--only", help="run only ladders whose name contains one of these comma-separated texts "
                    "(e.g. 'normal d=1', 'deep', 'zero')")
    ap.add_argument("--doc", default=None, help="markdown file whose generated blocks `analyse` refreshes")
    args = ap.parse_args()
    out = args.out or default_out(args.scale)
    grid = grids.grid_for(args.scale)
    if args.only:
        wanted = args.only.split(",")
        grid.cells = [c for c in grid.cells if any(w in c.ladder for w in wanted)]

    if args.command == "run":
        if not os.path.exists(args.binary):
            sys.exit(f"theory-sweep: no binary at {args.binary} (run `swift build -c release` first)")
        deadline = time.time() + args.budget if args.budget else None
        runner = Runner(args.binary, out, args.cell_budget, deadline)
        try:
            runner.run(grid)
        except (Interrupted, KeyboardInterrupt):
            print("theory-sweep: interrupted; finished cells are kept, the current one will run again", file=sys.stderr)
            return 130
        return 0
    if args.command == "rerun-inexact":
        from theory_sweep.rerun import CONFLICTS, rerun_inexact
        gained = rerun_inexact(out, grid, args.binary)
        print(f"theory-sweep: {gained} network(s) now exact", file=sys.stderr)
        if CONFLICTS:
            print(f"theory-sweep: {len(CONFLICTS)} rerun(s) contradict the stored interval: {CONFLICTS}", file=sys.stderr)
            return 1
        return 0
    if args.command == "plan":
        done = set(os.listdir(os.path.join(out, "cells"))) if os.path.isdir(os.path.join(out, "cells")) else set()
        for c in grid.cells:
            print(("done " if c.name + ".csv.gz" in done else "     ") + f"{c.ladder:24s} {c.name}")
        print(f"{len(grid.cells)} cells, {sum(c.trials for c in grid.cells)} networks", file=sys.stderr)
        return 0
    from theory_sweep import analysis
    if args.command == "analyse":
        doc = args.doc if args.doc is not None else (os.path.join(REPO, "docs/theory-check.md") if args.scale == "full" else "")
        analysis.analyse(out, grid, doc or None)
        return 0
    if args.command == "check":
        return analysis.check(out, args.binary)
    return 2


if __name__ == "__main__":
    sys.exit(main())
