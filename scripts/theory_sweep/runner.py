"""Runs the grid's cells with the `lipschitz` release binary, resumably.

Each finished cell is one gzip'd CSV in OUT/cells/ (written atomically when the cell is done,
so an interrupted cell is simply run again) plus one line in OUT/runs.csv with its wall time
and the code it ran on. A cell whose file exists is skipped.

Cells are taken cheapest first across ladders (a ladder is one (driver, d, L, bias) family
ordered by width), with each cell's cost projected from the measured time of the previous
widths of its ladder. A ladder stops when its projected cell cost exceeds the cell budget, or
when its last cell left more than half of its networks as certified intervals (wider cells
would only give wider intervals).
"""
from __future__ import annotations

import csv
import datetime as _dt
import gzip
import io
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time

from .grid import BOUND_METHODS, METHODS, Cell, Grid

COLUMNS = ["d", "N", "L", "bias", "bias_scale", "seed", "driver", "is_exact", "lower", "upper",
           "stop_reason", "regions", "exact_seconds"] + [c for m in METHODS for c in (m, m + "_s")] + ["violation"]
RUN_COLUMNS = ["cell", "driver", "d", "N", "L", "bias", "trials", "time_limit", "wall_seconds",
               "exact_seconds", "exact_networks", "status", "finished_utc", "code", "cpu_seconds"]


class Interrupted(Exception):
    pass


def mask64(x: int) -> int:
    return x & 0xFFFFFFFFFFFFFFFF


def splitmix64(x: int) -> int:
    z = mask64(x + 0x9E3779B97F4A7C15)
    z = mask64((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9)
    z = mask64((z ^ (z >> 27)) * 0x94D049BB133111EB)
    return z ^ (z >> 31)


def network_seed(cell: Cell, trial: int) -> int:
    """The seed of network `trial` of an `exact`-driver cell (compare cells derive their own)."""
    s = splitmix64(cell.seed)
    for c in (cell.d, cell.N, cell.L, ["normal", "uniform", "laplace", "rademacher", "zero"].index(cell.bias), trial):
        s = splitmix64(s ^ c)
    return s


def project(cell: Cell, ladder: list[Cell], runs: dict[str, dict]) -> tuple[float, str | None]:
    cost, reason, _ = project_with_source(cell, ladder, runs)
    return cost, reason


def project_with_source(cell: Cell, ladder: list[Cell], runs: dict[str, dict]) -> tuple[float, str | None, bool]:
    """(projected seconds of `cell`, reason to stop its ladder there or None), from the measured
    wall time per network of the widest cells of its ladder run so far: t(N) = t(N_last)·(N/N_last)^g,
    g fitted on the last two widths (clipped to [1, d + 1]; 2 when they are too fast to time), and at
    most the time limit (plus start-up) per network. A ladder whose first cell is not run yet
    borrows the nearest narrower cell of the same d and L from any ladder of the same driver kind."""
    shallower = shallower_cell_left_most_inexact(cell, runs)
    if shallower:
        return math.inf, shallower, False
    history = [(c, runs[c.name]) for c in ladder if c.N < cell.N and c.name in runs and runs[c.name]["status"] != "failed"]
    if not history:
        kin = [(c, r) for c, r in _runs_like(cell, runs) if c.N <= cell.N]
        if not kin:
            return (0.02 * cell.trials, None, True) if cell.N <= 100 else (math.inf, None, True)
        history = sorted(kin, key=lambda t: t[0].N)[-2:]
        borrowed = True
    else:
        borrowed = False
    last, lrun = history[-1]
    if int(lrun["exact_networks"] or 0) * 2 < int(lrun["trials"]):
        return math.inf, f"N={last.N} left most networks inexact", borrowed
    per = float(lrun["wall_seconds"]) / int(lrun["trials"])
    growth = 2.0
    if len(history) >= 2:
        prev, prun = history[-2]
        p = float(prun["wall_seconds"]) / int(prun["trials"])
        if p > 0.05 and per > 0.05 and last.N != prev.N:   # below 0.05 s, process start-up dominates
            growth = min(cell.d + 1.0, max(1.0, math.log(per / p) / math.log(last.N / prev.N)))
    per_network = min(per * (cell.N / last.N) ** growth, cell.time_limit + 2)
    return cell.trials * per_network, None, borrowed


def shallower_cell_left_most_inexact(cell: Cell, runs: dict[str, dict]) -> str | None:
    """The depth direction of the ladders' stopping rule: a deep cell is not run when the cell one
    layer shallower (same d, N, bias, seeds and limit) left more than half of its networks as
    certified intervals. One more layer multiplies the activation patterns by 2^N and the search
    only gets harder, so such a cell would spend its whole budget on intervals (measured: d = 3,
    N = 32 left 26 of 50 at L = 3 and all 50 at L = 4)."""
    if cell.driver != "exact" or cell.L <= 1:
        return None
    name = Cell(cell.driver, cell.d, cell.N, cell.L - 1, cell.bias, cell.trials, cell.time_limit, "", cell.seed).name
    run = runs.get(name)
    if run is None or run["status"] == "failed" or int(run["exact_networks"] or 0) * 2 >= int(run["trials"]):
        return None
    return f"L={cell.L - 1} at N={cell.N} left most networks inexact"


def _runs_like(cell: Cell, runs: dict[str, dict]) -> list[tuple[Cell, dict]]:
    family = ("exact",) if cell.driver == "exact" else ("compare", "bounds")
    out = []
    for r in runs.values():
        if r["driver"] in family and int(r["d"]) == cell.d and int(r["L"]) == cell.L and r["status"] != "failed" \
                and (r["bias"] == "zero") == (cell.bias == "zero"):
            out.append((Cell(r["driver"], int(r["d"]), int(r["N"]), int(r["L"]), r["bias"], int(r["trials"]),
                             float(r["time_limit"]), ""), r))
    return out


class Runner:
    def __init__(self, binary: str, out: str, cell_budget: float, deadline: float | None, log=sys.stderr):
        self.binary, self.out, self.cell_budget, self.deadline, self.log = binary, out, cell_budget, deadline, log
        self.cells_dir = os.path.join(out, "cells")
        os.makedirs(self.cells_dir, exist_ok=True)
        self.runs_path = os.path.join(out, "runs.csv")
        self.code = code_version(binary)
        self.failed: set[str] = set()
        self.prune = "--prune" in subprocess.run([binary, "exact", "--help"], capture_output=True, text=True).stdout

    # ----- bookkeeping -------------------------------------------------------------------------
    def cell_path(self, cell: Cell) -> str:
        return os.path.join(self.cells_dir, cell.name + ".csv.gz")

    def done(self, cell: Cell) -> bool:
        return os.path.exists(self.cell_path(cell))

    def runs(self) -> dict[str, dict]:
        if not os.path.exists(self.runs_path):
            return {}
        with open(self.runs_path, newline="") as f:
            return {r["cell"]: r for r in csv.DictReader(f)}

    def record_run(self, row: dict) -> None:
        new = not os.path.exists(self.runs_path)
        if not new:
            self.upgrade_runs_header()
        with open(self.runs_path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=RUN_COLUMNS)
            if new:
                w.writeheader()
            w.writerow(row)

    def upgrade_runs_header(self) -> None:
        """Rewrites a runs.csv written before a column was added (the new columns left empty)."""
        with open(self.runs_path, newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames == RUN_COLUMNS:
                return
            rows = list(reader)
        tmp = self.runs_path + ".tmp"
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=RUN_COLUMNS, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, self.runs_path)

    # ----- scheduling --------------------------------------------------------------------------
    def run(self, grid: Grid) -> None:
        start = time.time()
        ladders = grid.ladders()
        stopped: dict[str, str] = {}
        while True:
            runs = self.runs()
            candidates, deferred = [], []
            for key, ladder in ladders.items():
                if key in stopped:
                    continue
                nxt = next((c for c in ladder if not self.done(c)), None)
                if nxt is None:
                    continue
                if nxt.name in runs and runs[nxt.name]["status"] == "failed" and nxt.name in self.failed:
                    stopped[key] = f"N={nxt.N} failed"
                    self.say(f"ladder {key}: stops ({stopped[key]})")
                    continue
                cost, reason, borrowed = project_with_source(nxt, ladder, runs)
                if borrowed and reason is None and cost > self.cell_budget:
                    deferred.append(key)    # projected from another ladder: look again when more is measured
                    continue
                if reason or cost > self.cell_budget:
                    stopped[key] = reason or f"N={nxt.N} projected {cost:.0f} s > cell budget {self.cell_budget:.0f} s"
                    self.say(f"ladder {key}: stops ({stopped[key]})")
                    continue
                candidates.append((cost, nxt))
            remaining = math.inf if self.deadline is None else self.deadline - time.time()
            affordable = [(cost, c) for cost, c in candidates if cost <= remaining]
            if not affordable:
                for key in deferred:
                    stopped[key] = "no narrower cell of the same d was measured"
                if candidates:
                    self.say(f"time budget reached: {len(candidates)} ladder(s) have cells left")
                break
            cost, cell = min(affordable, key=lambda t: (t[0], t[1].N))
            self.say(f"cell {cell.name} (projected {cost:.0f} s, {time.time() - start:.0f} s elapsed)")
            self.run_cell(cell)
        self.write_stops(stopped)

    def write_stops(self, stopped: dict[str, str]) -> None:
        path = os.path.join(self.out, "ladder-stops.json")
        with open(path, "w") as f:
            json.dump(stopped, f, indent=1, sort_keys=True)

    def say(self, text: str) -> None:
        print(f"[{_dt.datetime.utcnow():%H:%M:%S}] {text}", file=self.log, flush=True)

    # ----- one cell ----------------------------------------------------------------------------
    def run_cell(self, cell: Cell) -> None:
        t0, cpu0 = time.time(), children_cpu_seconds()
        status = "ok"
        if cell.driver in ("compare", "bounds"):
            rows, status = self.run_compare(cell)
        else:
            rows, status = self.run_exact(cell)
        wall, cpu = time.time() - t0, children_cpu_seconds() - cpu0
        if status != "failed":
            write_rows(self.cell_path(cell), rows)
        exact = [r for r in rows if r["is_exact"] == "true"]
        self.record_run({"cell": cell.name, "driver": cell.driver, "d": cell.d, "N": cell.N, "L": cell.L,
                         "bias": cell.bias, "trials": cell.trials, "time_limit": cell.time_limit,
                         "wall_seconds": f"{wall:.3f}",
                         "exact_seconds": f"{sum(float(r['exact_seconds'] or 0) for r in rows):.3f}",
                         "exact_networks": len(exact), "status": status,
                         "finished_utc": f"{_dt.datetime.utcnow():%Y-%m-%dT%H:%M:%SZ}", "code": self.code,
                         "cpu_seconds": f"{cpu:.3f}"})
        if status == "failed":
            self.failed.add(cell.name)
        self.say(f"  done in {wall:.1f} s: {len(exact)}/{len(rows)} exact, {status}")

    def run_compare(self, cell: Cell) -> tuple[list[dict], str]:
        methods = BOUND_METHODS if cell.driver == "bounds" else METHODS
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "cell.csv")
            cmd = [self.binary, "compare", "--dims", str(cell.d), "--widths", str(cell.N), "--depths", str(cell.L),
                   "--biases", cell.bias, "--trials", str(cell.trials), "--seed", str(cell.seed), "--norm", "2",
                   "--samples", "1000", "--time-limit", str(cell.time_limit), "--methods", ",".join(methods),
                   "--csv", path, "--quiet"]
            proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if proc.returncode in (130, 143, -signal.SIGINT, -signal.SIGTERM):
                raise Interrupted()
            if proc.returncode not in (0, 1):
                self.say(f"  {' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
                return [], "failed"
            with open(path, newline="") as f:
                rows = [compare_row(r, cell.driver) for r in csv.DictReader(f)]
        return rows, "violations" if proc.returncode == 1 else "ok"

    def run_exact(self, cell: Cell) -> tuple[list[dict], str]:
        rows, status = [], "ok"
        with tempfile.TemporaryDirectory() as tmp:
            net = os.path.join(tmp, "net.json")
            for t in range(cell.trials):
                seed = network_seed(cell, t)
                subprocess.run([self.binary, "generate", "--input-dim", str(cell.d), "--width", str(cell.N),
                                "--depth", str(cell.L), "--bias", cell.bias, "--seed", str(seed), "-o", net], check=True)
                cmd = [self.binary, "exact", net, "--json", "--time-limit", str(cell.time_limit)]
                if self.prune:
                    cmd.append("--prune")
                try:
                    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=cell.time_limit + 120)
                except subprocess.TimeoutExpired:
                    proc = subprocess.CompletedProcess(cmd, -9, "", "killed after the time limit + 120 s")
                if proc.returncode in (130, -signal.SIGINT):
                    raise Interrupted()
                row = {"d": cell.d, "N": cell.N, "L": cell.L, "bias": cell.bias, "bias_scale": "1.0",
                       "seed": seed, "driver": "exact" + ("+prune" if self.prune else "")}
                if proc.returncode == 0:
                    j = json.loads(proc.stdout)
                    row.update(is_exact="true" if j["exact"] else "false", lower=repr(j["lower"]),
                               upper=repr(j["upper"]), regions=j["regions"], exact_seconds=j["seconds"],
                               stop_reason=j.get("stop_reason") or ("" if j["exact"] else "time limit"))
                else:
                    status = "errors"
                    row.update(is_exact="false", stop_reason=f"exit {proc.returncode}: {proc.stderr.strip()[:120]}")
                rows.append(row)
        return rows, status


def children_cpu_seconds() -> float:
    """User + system CPU seconds of the finished child processes: the cell's cost in work, which
    other processes on a shared machine inflate far less than its wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def compare_row(r: dict, driver: str) -> dict:
    row = {"d": r["d"], "N": r["N"], "L": r["L"], "bias": r["bias"], "bias_scale": r["bias_scale"],
           "seed": r["seed"], "driver": driver, "is_exact": r["is_exact"], "lower": r["exact_lower"],
           "upper": r["exact_upper"], "stop_reason": r["stop_reason"], "regions": r["regions"],
           "exact_seconds": r["exact_seconds"]}
    violations = []
    for m in METHODS:
        if f"{m}_value" in r:
            row[m], row[m + "_s"] = r[f"{m}_value"], r[f"{m}_seconds"]
            if r.get(f"{m}_violation") == "true":
                violations.append(m)
    row["violation"] = ";".join(violations)
    return row


def write_rows(path: str, rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    tmp = path + ".tmp"
    # mtime=0: the same rows give the same bytes.
    with open(tmp, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue().encode())
    os.replace(tmp, path)


def read_rows(path: str) -> list[dict]:
    with gzip.open(path, "rt", newline="") as f:
        return list(csv.DictReader(f))


def code_version(binary: str) -> str:
    """The last commit that changed the sources the binary is built from (Sources/, Package.swift),
    '+dirty' when they have uncommitted changes."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(binary))))
    try:
        head = subprocess.run(["git", "-C", repo, "log", "-1", "--format=%h", "--", "Sources", "Package.swift"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no", "Sources", "Package.swift"],
                               capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "unknown"
