"""Reruns the networks of finished cells that ended as certified intervals, with the current binary.

A cell's file keeps every network's recipe (d, N, L, bias, scale, seed), so a network that
reached its time limit (or that an earlier search could not finish) can be redrawn and its
exact constant computed again without rerunning the 49 others. The rerun gets the cell's own
time limit, so it is no more generous than the first run. A row changes only when the new
result is at least as tight: exact, or an interval inside the stored one; the estimator columns
(computed once, on the same network) stay, and the row's violations are recomputed against the
new interval with the harness's rule (Sources/ComparisonHarness/Soundness.swift). Every rerun is
logged, old and new, in OUT/reruns.csv with the code it ran on, so the tables can say which
constants came from a rerun.
"""
from __future__ import annotations

import csv
import datetime as _dt
import json
import os
import subprocess
import sys
import tempfile

from .grid import Grid
from .runner import children_cpu_seconds, code_version, read_rows, write_rows

RERUN_COLUMNS = ["cell", "seed", "code", "old_lower", "old_upper", "lower", "upper", "is_exact",
                 "exact_seconds", "cpu_seconds", "kept", "finished_utc"]
# The claims of the estimators stored in a cell's rows (CLEVER claims nothing).
LOWER_BOUNDS = ("sampled", "local-search")
UPPER_BOUNDS = ("layer-product", "interval-jacobian")
RELATIVE_TOLERANCE = 1e-9   # Soundness.relativeTolerance
CONFLICTS: list[tuple[str, str]] = []   # (cell, seed) whose new interval misses the stored one


def violations(row: dict) -> str:
    """The methods whose stored value contradicts the row's [lower, upper] (Soundness.violates)."""
    lower, upper = float(row["lower"]), float(row["upper"])
    found = []
    for m in LOWER_BOUNDS + UPPER_BOUNDS:
        if not row.get(m):
            continue
        v = float(row[m])
        slack = RELATIVE_TOLERANCE * max(abs(lower if m in UPPER_BOUNDS else upper), abs(v))
        bad = v != v or abs(v) == float("inf") or (v < lower - slack if m in UPPER_BOUNDS else v > upper + slack)
        if bad:
            found.append(m)
    return ";".join(found)


def rerun_inexact(out: str, grid: Grid, binary: str, log=sys.stderr) -> int:
    """Reruns every inexact network of the grid's finished cells in OUT; returns how many became exact."""
    code = code_version(binary)
    gained = 0
    for cell in grid.cells:
        path = os.path.join(out, "cells", cell.name + ".csv.gz")
        if not os.path.exists(path):
            continue
        rows = read_rows(path)
        todo = [r for r in rows if r["is_exact"] != "true"]
        if not todo:
            continue
        say(log, f"cell {cell.name}: {len(todo)} inexact network(s), time limit {cell.time_limit} s")
        for row in todo:
            gained += rerun_row(row, cell.name, cell.time_limit, binary, code, out, log)
        write_rows(path, rows)
    return gained


def rerun_row(row: dict, cell: str, time_limit: float, binary: str, code: str, out: str, log) -> int:
    cpu0 = children_cpu_seconds()
    with tempfile.TemporaryDirectory() as tmp:
        net = os.path.join(tmp, "net.json")
        subprocess.run([binary, "generate", "--input-dim", row["d"], "--width", row["N"], "--depth", row["L"],
                        "--bias", row["bias"], "--bias-scale", row["bias_scale"] or "1.0", "--seed", row["seed"],
                        "-o", net], check=True)
        proc = subprocess.run([binary, "exact", net, "--json", "--threads", "2", "--time-limit", str(time_limit)],
                              capture_output=True, text=True)
    cpu = children_cpu_seconds() - cpu0
    if proc.returncode != 0:
        say(log, f"  seed {row['seed']}: exit {proc.returncode}: {proc.stderr.strip()[:160]}")
        return 0
    j = json.loads(proc.stdout)
    old_lower = float(row["lower"]) if row["lower"] else 0.0
    old_upper = float(row["upper"]) if row["upper"] else float("inf")
    # Both runs are certified, so their intervals must meet; if they do not, one of them is wrong:
    # keep the old row, log the conflict and count it (the caller fails).
    slack = 1e-9 * max(abs(old_lower), abs(old_upper) if old_upper != float("inf") else 0, abs(j["lower"]))
    conflict = j["lower"] > old_upper + slack or j["upper"] < old_lower - slack
    keep = not conflict and (j["exact"] or (j["lower"] >= old_lower and j["upper"] <= old_upper))
    if conflict:
        say(log, f"  seed {row['seed']}: CONFLICT: new [{j['lower']!r}, {j['upper']!r}] misses the stored "
                 f"[{old_lower!r}, {old_upper!r}]; the row is kept")
        CONFLICTS.append((cell, row["seed"]))
    if keep:
        row.update(is_exact="true" if j["exact"] else "false", lower=repr(j["lower"]), upper=repr(j["upper"]),
                   regions=j["regions"], exact_seconds=j["seconds"],
                   stop_reason=j.get("stop_reason") or ("" if j["exact"] else "time limit"))
        row["violation"] = violations(row)
    record(out, {"cell": cell, "seed": row["seed"], "code": code, "old_lower": repr(old_lower),
                 "old_upper": repr(old_upper), "lower": repr(j["lower"]), "upper": repr(j["upper"]),
                 "is_exact": "true" if j["exact"] else "false", "exact_seconds": j["seconds"],
                 "cpu_seconds": f"{cpu:.3f}", "kept": "true" if keep else "false",
                 "finished_utc": f"{_dt.datetime.utcnow():%Y-%m-%dT%H:%M:%SZ}"})
    result = f"exact {j['lower']:.10g}" if j["exact"] else f"[{j['lower']:.6g}, {j['upper']:.6g}]"
    say(log, f"  seed {row['seed']}: [{old_lower:.6g}, {old_upper:.6g}] -> {result} in {j['seconds']:.1f} s"
             + ("" if keep else " (conflict: kept the old row)" if conflict else " (not tighter: kept the old row)"))
    return 1 if j["exact"] and keep else 0


def record(out: str, row: dict) -> None:
    path = os.path.join(out, "reruns.csv")
    new = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=RERUN_COLUMNS)
        if new:
            w.writeheader()
        w.writerow(row)


def say(log, text: str) -> None:
    print(f"[{_dt.datetime.utcnow():%H:%M:%S}] {text}", file=log, flush=True)
