"""Reads a sweep's cells and writes the answers: summary.json, tables.md, the SVG plots, and the
generated blocks of the doc (between <!-- generated:NAME --> and <!-- /generated:NAME -->)."""
from __future__ import annotations

import csv
import glob
import json
import math
import os
import re
import subprocess
import tempfile

import numpy as np

from . import stats
from .grid import METHODS, Grid
from .runner import project, read_rows
from .svgplot import PALETTE, Axes, Figure

SEED = 11  # the bootstrap's generator: the same data give the same tables


def _f(v: str, default: float) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return default


def load(out: str) -> tuple[dict[str, list[dict]], dict[str, dict]]:
    cells = {}
    for path in sorted(glob.glob(os.path.join(out, "cells", "*.csv.gz"))):
        cells[os.path.basename(path)[:-len(".csv.gz")]] = read_rows(path)
    runs = {}
    if os.path.exists(os.path.join(out, "runs.csv")):
        with open(os.path.join(out, "runs.csv"), newline="") as f:
            for r in csv.DictReader(f):
                if r["status"] != "failed":
                    runs[r["cell"]] = r
    return cells, runs


def parse_name(name: str) -> dict:
    m = re.match(r"(\w+)-d(\d+)-L(\d+)-N(\d+)-(\w+)-t(\d+)-s(\d+)$", name)
    driver, d, L, N, bias, t, s = m.groups()
    return {"driver": driver, "d": int(d), "L": int(L), "N": int(N), "bias": bias, "trials": int(t), "seed": int(s)}


def cell_stats(rows: list[dict], d: int, rng) -> stats.CellStats:
    lo = np.array([_f(r["lower"], 0.0) for r in rows]) / math.sqrt(d)
    hi = np.array([_f(r["upper"], math.inf) for r in rows]) / math.sqrt(d)
    secs = [_f(r["exact_seconds"], math.nan) for r in rows]
    return stats.CellStats(int(rows[0]["N"]), lo, hi, rng, seconds=float(np.nanmedian(secs)) if rows else None)


def groups(cells: dict[str, list[dict]], rng) -> dict:
    """shallow[(d, bias)][N], deep[(d, L)][N]: the CellStats of the largest cell of each place."""
    best: dict[tuple, tuple[int, str]] = {}
    for name, rows in cells.items():
        if not rows:
            continue
        p = parse_name(name)
        family = "deep" if p["driver"] == "exact" and p["bias"] != "zero" else "shallow"
        key = (family, p["d"], p["L"], p["bias"], p["N"])
        if key not in best or len(rows) > best[key][0]:
            best[key] = (len(rows), name)
    shallow: dict[tuple, dict[int, stats.CellStats]] = {}
    deep: dict[tuple, dict[int, stats.CellStats]] = {}
    for (family, d, L, bias, N), (_, name) in sorted(best.items()):
        st = cell_stats(cells[name], d, rng)
        st.name = name
        if family == "deep":
            deep.setdefault((d, L), {})[N] = st
        elif L == 1:
            shallow.setdefault((d, bias), {})[N] = st
    return {"shallow": shallow, "deep": deep}


def estimator_ratios(cells: dict[str, list[dict]]) -> dict[tuple[str, int, int], np.ndarray]:
    """(method, d, N) → value/exact over the exact normal-bias shallow networks, one per seed."""
    seen: dict[tuple, float] = {}
    for name, rows in cells.items():
        p = parse_name(name)
        if p["driver"] not in ("compare", "bounds") or p["bias"] != "normal" or p["L"] != 1:
            continue
        for r in rows:
            if r["is_exact"] != "true" or _f(r["lower"], 0) <= 0:
                continue
            for m in METHODS:
                v = _f(r.get(m), math.nan)
                if math.isfinite(v):
                    seen[(m, p["d"], p["N"], r["seed"])] = v / float(r["lower"])
    out: dict[tuple[str, int, int], list[float]] = {}
    for (m, d, N, _), v in seen.items():
        out.setdefault((m, d, N), []).append(v)
    return {k: np.array(v) for k, v in out.items()}


# ----- numbers ---------------------------------------------------------------------------------

def cell_record(st: stats.CellStats) -> dict:
    q = st.quantiles()
    return {"N": st.N, "networks": st.n, "exact": st.exact, "median": st.median if st.decided else None,
            "median_bounds": [st.median_lo, st.median_hi], "ci95": list(st.ci),
            "q05": q[0], "q25": q[1], "q75": q[2], "q95": q[3], "median_exact_seconds": st.seconds,
            "cell": getattr(st, "name", None)}


def summarise(g: dict, est: dict, runs: dict, grid: Grid, out: str) -> dict:
    s: dict = {"rule": {"tolerance_s0": stats.S0, "bootstrap": stats.BOOT, "top_window": stats.TOP_WINDOW},
               "shallow": [], "deep": [], "bias_laws": [], "estimators": [], "depth": []}
    for (d, bias), byN in sorted(g["shallow"].items()):
        cells = [byN[N] for N in sorted(byN)]
        entry = {"d": d, "bias": bias, "cells": [cell_record(c) for c in cells]}
        if len(cells) >= 3:
            entry["analysis"] = stats.ladder_analysis(cells)
        s["shallow"].append(entry)
    law_width = {c.d: c.N for c in grid.cells if c.bias in ("uniform", "laplace", "rademacher")}
    for d in sorted({d for d, _ in g["shallow"]}):
        W = law_width.get(d)
        ref = g["shallow"].get((d, "normal"), {}).get(W)
        for bias in ("normal", "uniform", "laplace", "rademacher", "zero"):
            st = g["shallow"].get((d, bias), {}).get(W)
            if st is None:
                continue
            rec = {"d": d, "bias": bias, **cell_record(st)}
            if ref is not None and st is not ref and st.decided and ref.decided:
                r, ci = stats.ratio_of_medians_ci(st, ref)
                rec["ratio_to_normal"], rec["ratio_ci95"] = r, ci
            s["bias_laws"].append(rec)
    for (d, L), byN in sorted(g["deep"].items()):
        for N in sorted(byN):
            rec = {"d": d, "L": L, **cell_record(byN[N])}
            base = g["deep"].get((d, 1), {}).get(N)
            if base is not None and L > 1 and byN[N].decided and base.decided:
                r, ci = stats.ratio_of_medians_ci(byN[N], base)
                rec["ratio_to_L1"], rec["ratio_ci95"] = r, ci
            s["deep"].append(rec)
    for d in sorted({d for d, _ in g["deep"]}):
        for N in sorted({N for (dd, _), byN in g["deep"].items() if dd == d for N in byN}):
            chain = []
            for L in range(1, 7):
                st = g["deep"].get((d, L), {}).get(N)
                if st is None or not st.decided:
                    break
                chain.append(st)
            if len(chain) >= 3:
                s["depth"].append({"d": d, "N": N, "depths": len(chain), **stats.depth_slope(chain)})
        for L in range(1, 7):
            byN = g["deep"].get((d, L), {})
            cells = [byN[N] for N in sorted(byN) if byN[N].decided]
            if len(cells) >= 3:
                s["depth"].append({"d": d, "L": L, "width_slope": stats.slope_ci(cells)})
    for (m, d, N), v in sorted(est.items()):
        s["estimators"].append({"method": m, "d": d, "N": N, "networks": len(v), "median": float(np.median(v)),
                                "q10": float(np.quantile(v, 0.1)), "q90": float(np.quantile(v, 0.9)),
                                "min": float(v.min()), "max": float(v.max())})
    s["wall"] = wall_summary(runs, grid)
    s["wall"]["reruns"] = rerun_summary(out)
    return s


def rerun_summary(out: str) -> dict | None:
    """The networks rerun by `rerun-inexact` (OUT/reruns.csv): how many, how many became exact, on
    which code, at what cost."""
    path = os.path.join(out, "reruns.csv")
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {"networks": len(rows), "exact": sum(r["is_exact"] == "true" for r in rows),
            "kept": sum(r["kept"] == "true" for r in rows), "codes": sorted({r["code"] for r in rows}),
            "cpu_seconds": sum(float(r["cpu_seconds"] or 0) for r in rows),
            "cells": sorted({r["cell"] for r in rows})}


def wall_summary(runs: dict, grid: Grid) -> dict:
    """Measured wall time of the cells run, and the projection for the grid's other cells."""
    done = {c.name for c in grid.cells if c.name in runs}
    measured = sum(float(runs[n]["wall_seconds"]) for n in done)
    by_ladder: dict[str, dict] = {}
    projected_total, unreachable, skipped, beyond_rules = 0.0, [], [], 0.0
    for key, ladder in grid.ladders().items():
        lad = by_ladder.setdefault(key, {"run": 0, "wall": 0.0, "not_run": 0, "projected": 0.0, "widest_run": None,
                                         "not_run_widths": [], "codes": [], "skipped": [],
                                         "cpu": 0.0, "cpu_complete": True, "run_beyond_rules": []})
        for c in ladder:
            if c.name in runs:
                lad["run"] += 1
                if runs[c.name]["code"] not in lad["codes"]:
                    lad["codes"].append(runs[c.name]["code"])
                lad["wall"] += float(runs[c.name]["wall_seconds"])
                cpu = runs[c.name].get("cpu_seconds")
                if cpu:
                    lad["cpu"] += float(cpu)
                else:
                    lad["cpu_complete"] = False
                lad["widest_run"] = c.N
                if project(c, ladder, runs)[1]:
                    # Run, but the runner's stopping rules skip it now: not part of a fresh run.
                    beyond_rules += float(runs[c.name]["wall_seconds"])
                    lad["run_beyond_rules"].append(c.N)
                continue
            cost, reason = project(c, ladder, runs)
            if reason:
                # The runner stops the ladder here (`runner.project_with_source`): the grid as run
                # never spends time on this cell.
                lad["skipped"].append(c.N)
                skipped.append({"cell": c.name, "reason": reason})
                continue
            if not math.isfinite(cost):
                cost = c.trials * (c.time_limit + 2)
                unreachable.append(c.name)
            lad["not_run"] += 1
            lad["not_run_widths"].append(c.N)
            lad["projected"] += cost
            projected_total += cost
    codes = sorted({runs[n]["code"] for n in done})
    return {"cells_run": len(done), "cells_total": len(grid.cells), "measured_seconds": measured,
            "projected_remaining_seconds": projected_total, "cells_at_time_limit": unreachable,
            "cells_skipped_by_rule": skipped, "run_beyond_rules_seconds": beyond_rules,
            "fresh_grid_seconds": measured - beyond_rules + projected_total,
            "ladders": by_ladder, "codes": codes}


# ----- tables ----------------------------------------------------------------------------------

def _num(v, digits=3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.{digits}g}" if abs(v) < 1e4 else f"{v:.3g}"


def _median_text(c: dict) -> str:
    if c["median_bounds"][0] == c["median_bounds"][1]:
        return f"{c['median']:.3f}"
    lo, hi = c["median_bounds"]
    return f"[{lo:.3f}, {_num(hi, 4)}]"


def _ci_text(ci) -> str:
    return f"[{ci[0]:.3f}, {_num(ci[1], 4)}]"


def _slope_text(sl: dict | None) -> str:
    if not sl:
        return "–"
    return f"{sl['slope']:+.3f} [{sl['ci'][0]:+.3f}, {sl['ci'][1]:+.3f}] (N {sl['from']}…{sl['to']})"


def table_verdicts(s: dict) -> str:
    lines = ["| d | bias | widths decided | top-window slope of log median vs log N [95% CI] | verdict | plateau from | median Lip₂/√d at the widest N [95% CI] |",
             "|---|---|---|---|---|---|---|"]
    for e in s["shallow"]:
        if e["bias"] not in ("normal", "zero"):
            continue
        a = e.get("analysis", {"verdict": "too few widths", "decided_widths": []})
        widest = e["cells"][-1]
        dec = a.get("decided_widths", [])
        rng = f"{len(dec)} ({dec[0]}…{dec[-1]})" if dec else "0"
        lines.append(f"| {e['d']} | {e['bias']} | {rng} | {_slope_text(a.get('top'))} | {a['verdict']} | "
                     f"{a.get('plateau_from') or '–'} | N={widest['N']}: {_median_text(widest)} {_ci_text(widest['ci95'])} |")
    return "\n".join(lines)


def table_tails(s: dict) -> str:
    lines = ["| d | bias | tail N ≥ | widths | slope [95% CI] | inside ±s₀ | no trend (CI holds 0) |", "|---|---|---|---|---|---|---|"]
    fits = ["", "| d | bias | fit over N | r∞ [95% CI] | b [95% CI] |", "|---|---|---|---|---|"]
    for e in s["shallow"]:
        a = e.get("analysis", {})
        for t in a.get("tails", []):
            lines.append(f"| {e['d']} | {e['bias']} | {t['from']} | {t['widths']} | {t['slope']:+.3f} [{t['ci'][0]:+.3f}, {t['ci'][1]:+.3f}] | "
                         f"{'yes' if t['inside_tolerance'] else 'no'} | {'yes' if t['flat'] else 'no'} |")
        f = a.get("limit_fit")
        if f:
            fits.append(f"| {e['d']} | {e['bias']} | {f['from']}…{f['to']} | {f['limit']:.3f} [{f['limit_ci'][0]:.3f}, {f['limit_ci'][1]:.3f}] | "
                        f"{f['b']:.2f} [{f['b_ci'][0]:.2f}, {f['b_ci'][1]:.2f}] |")
    return "\n".join(lines + fits)


def table_cells(s: dict, bias: str) -> str:
    lines = [f"| d | N | exact / networks | median Lip₂/√d | 95% CI of the median | 5% – 95% of networks | median exact s |",
             "|---|---|---|---|---|---|---|"]
    for e in s["shallow"]:
        if e["bias"] != bias:
            continue
        for c in e["cells"]:
            lines.append(f"| {e['d']} | {c['N']} | {c['exact']} / {c['networks']} | {_median_text(c)} | {_ci_text(c['ci95'])} | "
                         f"{c['q05']:.2f} – {c['q95']:.2f} | {_num(c['median_exact_seconds'])} |")
    return "\n".join(lines)


def table_bias_laws(s: dict) -> str:
    lines = ["| d | N | bias | exact / networks | median Lip₂/√d [95% CI] | median / normal's [95% CI] |", "|---|---|---|---|---|---|"]
    for b in s["bias_laws"]:
        r = f"{b['ratio_to_normal']:.3f} [{b['ratio_ci95'][0]:.3f}, {b['ratio_ci95'][1]:.3f}]" if "ratio_to_normal" in b else "–"
        lines.append(f"| {b['d']} | {b['N']} | {b['bias']} | {b['exact']} / {b['networks']} | {_median_text(b)} {_ci_text(b['ci95'])} | {r} |")
    return "\n".join(lines)


def table_deep(s: dict) -> str:
    lines = ["| d | L | N | exact / networks | median Lip₂/√d | 95% CI | median / depth 1's [95% CI] | median exact s |",
             "|---|---|---|---|---|---|---|---|"]
    for c in s["deep"]:
        r = f"{c['ratio_to_L1']:.2f} [{c['ratio_ci95'][0]:.2f}, {c['ratio_ci95'][1]:.2f}]" if "ratio_to_L1" in c else "–"
        lines.append(f"| {c['d']} | {c['L']} | {c['N']} | {c['exact']} / {c['networks']} | {_median_text(c)} | {_ci_text(c['ci95'])} | {r} | {_num(c['median_exact_seconds'])} |")
    lines += ["", "| d | fixed | slope | 95% CI |", "|---|---|---|---|"]
    for e in s["depth"]:
        if "N" in e:
            lines.append(f"| {e['d']} | N = {e['N']} (L = 1…{e['depths']}) | log median per added layer: {e['slope']:+.3f} | [{e['ci'][0]:+.3f}, {e['ci'][1]:+.3f}] |")
        else:
            w = e["width_slope"]
            lines.append(f"| {e['d']} | L = {e['L']} (N {w['from']}…{w['to']}) | log median per log N: {w['slope']:+.3f} | [{w['ci'][0]:+.3f}, {w['ci'][1]:+.3f}] |")
    return "\n".join(lines)


def table_estimators(s: dict) -> str:
    by = {}
    for e in s["estimators"]:
        by.setdefault((e["method"], e["d"]), []).append(e)
    lines = ["| method | d | N range | median value/exact at the narrowest N | at the widest N | 10% – 90% at the widest | slope of log median vs log N |",
             "|---|---|---|---|---|---|---|"]
    for m in METHODS:
        for d in range(1, 6):
            es = sorted(by.get((m, d), []), key=lambda e: e["N"])
            if not es:
                continue
            a, b = es[0], es[-1]
            slope = "–"
            if len(es) >= 2:
                x, y = np.log([e["N"] for e in es]), np.log([e["median"] for e in es])
                slope = f"{np.polyfit(x, y, 1)[0]:+.2f}"
            lines.append(f"| {m} | {d} | {a['N']}…{b['N']} | {a['median']:.3f} | {b['median']:.3f} | {b['q10']:.3f} – {b['q90']:.3f} | {slope} |")
    return "\n".join(lines)


def table_wall(s: dict) -> str:
    w = s["wall"]
    lines = ["| ladder | cells run | widest N run | code | wall s (measured) | CPU s (measured) | widths skipped by rule | widths not run | projected s for them |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key, lad in sorted(w["ladders"].items()):
        nr = ", ".join(str(n) for n in lad["not_run_widths"]) or "–"
        sk = ", ".join([str(n) for n in lad["skipped"]] + [f"{n} (run, but the rules skip it now)" for n in lad["run_beyond_rules"]]) or "–"
        cpu = f"{lad['cpu']:.0f}" + ("" if lad["cpu_complete"] else " (part)") if lad["cpu"] else "–"
        lines.append(f"| {key} | {lad['run']} | {lad['widest_run'] or '–'} | {' '.join(lad['codes']) or '–'} | {lad['wall']:.0f} | {cpu} | {sk} | {nr} | {lad['projected']:.0f} |")
    skipped = len(w["cells_skipped_by_rule"])
    lines.append(f"| **total** | {w['cells_run']} of {w['cells_total']} | | | {w['measured_seconds']:.0f} | | {skipped} cells | "
                 f"{w['cells_total'] - w['cells_run'] - skipped} cells | {w['projected_remaining_seconds']:.0f} |")
    lines.append("")
    lines.append(f"A fresh `make sweep` of the whole grid: {w['measured_seconds']:.0f} s measured, less "
                 f"{w['run_beyond_rules_seconds']:.0f} s of cells run that the rules now skip, + "
                 f"{w['projected_remaining_seconds']:.0f} s projected = **{w['fresh_grid_seconds']:.0f} s "
                 f"({w['fresh_grid_seconds'] / 3600:.2f} h)**.")
    r = w.get("reruns")
    if r:
        lines.append("")
        lines.append(f"`rerun-inexact` (networks that had ended as intervals, redrawn from their recipes and rerun "
                     f"with the cell's own time limit on code {' '.join(r['codes'])}): {r['networks']} rerun in "
                     f"{len(r['cells'])} cells, {r['exact']} now exact, {r['kept']} rows replaced by the tighter "
                     f"result, {r['cpu_seconds']:.0f} CPU s (not in the totals above; OUT/reruns.csv lists each).")
    return "\n".join(lines)


# ----- plots -----------------------------------------------------------------------------------

def plot_ratio_vs_width(s: dict, path: str) -> None:
    fig = Figure(3, title="Median Lip₂/√d against the width N (bands: 95% bootstrap CI of the median)")
    dims = sorted({e["d"] for e in s["shallow"]})
    for d in dims:
        meds = [c["median_bounds"][0] for e in s["shallow"] if e["d"] == d for c in e["cells"]]
        top = min(max([c["ci95"][1] for e in s["shallow"] if e["d"] == d for c in e["cells"]] + [0]), 1.6 * max(meds + [1]))
        ax = fig.add(Axes(f"d = {d}", "width N", "Lip₂ / √d", xlog=True, ylim=(0, top), legend_bottom=True))
        for e in s["shallow"]:
            if e["d"] != d or e["bias"] not in ("normal", "zero"):
                continue
            color = PALETTE[0] if e["bias"] == "normal" else PALETTE[1]
            cs = e["cells"]
            xs = [c["N"] for c in cs]
            ax.band(xs, [c["ci95"][0] for c in cs], [min(c["ci95"][1], 1e3) for c in cs], color)
            ax.line(xs, [c["median"] if c["median"] is not None else float("nan") for c in cs], color,
                    label=f"{e['bias']} bias", dash=None if e["bias"] == "normal" else "5,3")
        for i, b in enumerate([b for b in s["bias_laws"] if b["d"] == d and b["bias"] not in ("normal", "zero")]):
            x = b["N"] * (1.12 ** (i + 1))
            ax.errorbars([x], [b["ci95"][0]], [b["ci95"][1]], PALETTE[2 + i])
            ax.line([x], [b["median"] if b["median"] is not None else float("nan")], PALETTE[2 + i], label=f"{b['bias']} (one width)")
    _write(path, fig.svg())


def plot_ratio_vs_depth(s: dict, path: str) -> None:
    fig = Figure(2, title="Deep networks: median Lip₂/√d against the depth L (bands: 95% CI; dashed: median of certified intervals)")
    for d in sorted({c["d"] for c in s["deep"]}):
        ax = fig.add(Axes(f"d = {d}", "hidden layers L", "Lip₂ / √d", xint=True))
        for i, N in enumerate(sorted({c["N"] for c in s["deep"] if c["d"] == d})):
            cs = sorted([c for c in s["deep"] if c["d"] == d and c["N"] == N], key=lambda c: c["L"])
            xs = [c["L"] for c in cs]
            ax.band(xs, [max(c["ci95"][0], 1e-3) for c in cs], [min(c["ci95"][1], 1e3) for c in cs], PALETTE[i])
            ax.line(xs, [c["median_bounds"][0] for c in cs], PALETTE[i], label=f"N = {N}")
            undecided = [c for c in cs if c["median"] is None]
            if undecided:
                ax.line([c["L"] for c in undecided], [min(c["median_bounds"][1], 1e3) for c in undecided], PALETTE[i], dash="2,2")
    _write(path, fig.svg())


def plot_estimators(s: dict, path: str) -> None:
    fig = Figure(3, title="Each estimator's value / exact against N (median; band: 10%–90% of networks)")
    for m in METHODS:
        es = [e for e in s["estimators"] if e["method"] == m]
        if not es:
            continue
        ax = fig.add(Axes(m, "width N", "value / exact", xlog=True, ylog=True, hline=1.0))
        for d in sorted({e["d"] for e in es}):
            cs = sorted([e for e in es if e["d"] == d], key=lambda e: e["N"])
            xs = [e["N"] for e in cs]
            ax.band(xs, [e["q10"] for e in cs], [e["q90"] for e in cs], PALETTE[d - 1], opacity=0.12)
            ax.line(xs, [e["median"] for e in cs], PALETTE[d - 1], label=f"d = {d}")
    _write(path, fig.svg())


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


# ----- the doc's generated blocks ------------------------------------------------------------

def refresh_doc(doc: str, blocks: dict[str, str]) -> None:
    text = open(doc).read()
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
        text = pattern.sub(lambda m: m.group(1) + body.rstrip() + "\n" + m.group(2), text)
    with open(doc, "w") as f:
        f.write(text)


def analyse(out: str, grid: Grid, doc: str | None) -> dict:
    cells, runs = load(out)
    rng = np.random.default_rng(SEED)
    g = groups(cells, rng)
    s = summarise(g, estimator_ratios(cells), runs, grid, out)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(s, f, indent=1, default=float)
        f.write("\n")
    blocks = {"verdicts": table_verdicts(s), "tails": table_tails(s), "cells-normal": table_cells(s, "normal"),
              "cells-zero": table_cells(s, "zero"), "bias-laws": table_bias_laws(s), "deep": table_deep(s),
              "estimators": table_estimators(s), "wall": table_wall(s)}
    with open(os.path.join(out, "tables.md"), "w") as f:
        f.write("# Theory sweep tables (generated by `scripts/theory-sweep.py analyse`)\n")
        for name, body in blocks.items():
            f.write(f"\n## {name}\n\n{body}\n")
    plot_ratio_vs_width(s, os.path.join(out, "ratio-vs-width.svg"))
    plot_ratio_vs_depth(s, os.path.join(out, "ratio-vs-depth.svg"))
    plot_estimators(s, os.path.join(out, "estimators-vs-width.svg"))
    if doc:
        refresh_doc(doc, blocks)
    print(f"theory-sweep: {len(cells)} cells analysed; wrote {out}/summary.json, tables.md and 3 plots")
    return s


# ----- self-check: redraw networks from their recipes -------------------------------------------

def check(out: str, binary: str) -> int:
    """Redraws the narrowest network of each driver kind from its recipe, recomputes its exact
    constant, and checks it against the stored one (1e-9 relative); checks the analysis files."""
    cells, _ = load(out)
    picks: dict[str, dict] = {}
    for name, rows in cells.items():
        for r in rows:
            kind = f"{r['driver']} L={r['L']} {r['bias']}"
            if r["is_exact"] == "true" and (kind not in picks or int(r["N"]) < int(picks[kind]["N"])):
                picks[kind] = r
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        net = os.path.join(tmp, "net.json")
        for kind, r in sorted(picks.items()):
            subprocess.run([binary, "generate", "--input-dim", r["d"], "--width", r["N"], "--depth", r["L"],
                            "--bias", r["bias"], "--bias-scale", r["bias_scale"], "--seed", r["seed"], "-o", net], check=True)
            j = json.loads(subprocess.run([binary, "exact", net, "--json", "--time-limit", "120"], capture_output=True,
                                          text=True, check=True).stdout)
            ok = j["exact"] and abs(j["lower"] - float(r["lower"])) <= 1e-9 * max(1.0, abs(j["lower"]))
            passed, failed = passed + ok, failed + (not ok)
            print(f"{'ok  ' if ok else 'FAIL'} {kind}: d={r['d']} N={r['N']} seed={r['seed']}: stored {r['lower']}, redrawn {j['lower']}")
    for f in ("summary.json", "tables.md", "ratio-vs-width.svg", "ratio-vs-depth.svg", "estimators-vs-width.svg"):
        ok = os.path.exists(os.path.join(out, f))
        passed, failed = passed + ok, failed + (not ok)
        if not ok:
            print(f"FAIL missing {f} (run `analyse` first)")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
