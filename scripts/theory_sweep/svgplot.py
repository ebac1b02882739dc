"""A small SVG plotter (lines, markers, shaded bands, error bars; linear or log axes).

matplotlib is not on the project's machines, and the plots need nothing it alone could give.
"""
from __future__ import annotations

import math
from html import escape

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def _nice_linear_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    ticks, t = [], start
    while t <= hi + 1e-9 * step:
        ticks.append(round(t, 12))
        t += step
    return ticks


def _log_ticks(lo: float, hi: float) -> list[float]:
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    decades = [10.0 ** k for k in range(a, b + 1) if lo <= 10.0 ** k * (1 + 1e-9) and 10.0 ** k <= hi * (1 + 1e-9)]
    if len(decades) >= 2:
        return decades
    out = [m * 10.0 ** k for k in range(a, b + 1) for m in (1, 2, 5) if lo <= m * 10.0 ** k <= hi]
    return out or [lo, hi]


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-2:
        e = int(math.floor(math.log10(abs(v)) + 1e-9))
        m = v / 10 ** e
        return f"10^{e}" if abs(m - 1) < 1e-9 else f"{m:g}·10^{e}"
    return f"{v:g}"


class Axes:
    def __init__(self, title: str, xlabel: str, ylabel: str, xlog: bool = False, ylog: bool = False,
                 ylim: tuple[float, float] | None = None, hline: float | None = None, xint: bool = False,
                 legend_bottom: bool = False):
        self.xint, self.legend_bottom = xint, legend_bottom
        self.title, self.xlabel, self.ylabel, self.xlog, self.ylog = title, xlabel, ylabel, xlog, ylog
        self.ylim, self.hline = ylim, hline
        self.items: list[tuple] = []

    def line(self, x, y, color, label=None, dash=None, marker=True):
        self.items.append(("line", list(x), list(y), color, label, dash, marker))

    def band(self, x, lo, hi, color, opacity=0.18):
        self.items.append(("band", list(x), list(lo), list(hi), color, opacity))

    def errorbars(self, x, lo, hi, color):
        self.items.append(("err", list(x), list(lo), list(hi), color))

    def _limits(self):
        xs, ys = [], []
        for it in self.items:
            xs += it[1]
            ys += it[2] + (it[3] if it[0] in ("band", "err") else [])
        ok = lambda v, log: v is not None and math.isfinite(v) and (v > 0 or not log)  # noqa: E731
        xs = [v for v in xs if ok(v, self.xlog)]
        ys = [v for v in ys if ok(v, self.ylog)]
        if not xs:
            xs, ys = [1, 2], [1, 2]
        x0, x1 = min(xs), max(xs)
        y0, y1 = self.ylim if self.ylim else (min(ys), max(ys))
        if self.xlog:
            x0, x1 = x0 / 1.3, x1 * 1.3
        else:
            pad = 0.05 * (x1 - x0 or 1)
            x0, x1 = x0 - pad, x1 + pad
        if not self.ylim:
            if self.ylog:
                y0, y1 = y0 / 1.15, y1 * 1.15
            else:
                pad = 0.08 * (y1 - y0 or 1)
                y0, y1 = y0 - pad, y1 + pad
        return x0, x1, y0, y1

    def render(self, ox: float, oy: float, w: float, h: float) -> list[str]:
        m_l, m_r, m_t, m_b = 58, 12, 26, 40
        pw, ph = w - m_l - m_r, h - m_t - m_b
        x0, x1, y0, y1 = self._limits()
        tx = (lambda v: math.log10(v)) if self.xlog else (lambda v: v)
        ty = (lambda v: math.log10(v)) if self.ylog else (lambda v: v)
        X = lambda v: ox + m_l + (tx(v) - tx(x0)) / (tx(x1) - tx(x0)) * pw  # noqa: E731
        Y = lambda v: oy + m_t + ph - (ty(v) - ty(y0)) / (ty(y1) - ty(y0)) * ph  # noqa: E731
        good = lambda v, log: v is not None and math.isfinite(v) and (v > 0 or not log)  # noqa: E731
        clipY = lambda v: min(max(Y(v), oy + m_t), oy + m_t + ph)  # noqa: E731
        out = [f'<rect x="{ox + m_l}" y="{oy + m_t}" width="{pw}" height="{ph}" fill="white" stroke="#888"/>',
               f'<text x="{ox + m_l + pw / 2}" y="{oy + 16}" text-anchor="middle" font-size="13" font-weight="bold">{escape(self.title)}</text>',
               f'<text x="{ox + m_l + pw / 2}" y="{oy + h - 6}" text-anchor="middle" font-size="11">{escape(self.xlabel)}</text>',
               f'<text x="{ox + 13}" y="{oy + m_t + ph / 2}" text-anchor="middle" font-size="11" '
               f'transform="rotate(-90 {ox + 13} {oy + m_t + ph / 2})">{escape(self.ylabel)}</text>']
        xt = _log_ticks(x0, x1) if self.xlog else _nice_linear_ticks(x0, x1)
        if self.xint:
            xt = [float(v) for v in range(math.ceil(x0), math.floor(x1) + 1)]
        yt = _log_ticks(y0, y1) if self.ylog else _nice_linear_ticks(y0, y1)
        for v in xt:
            if x0 <= v <= x1:
                out.append(f'<line x1="{X(v):.1f}" x2="{X(v):.1f}" y1="{oy + m_t}" y2="{oy + m_t + ph}" stroke="#eee"/>')
                out.append(f'<text x="{X(v):.1f}" y="{oy + m_t + ph + 14}" text-anchor="middle" font-size="10">{_fmt(v)}</text>')
        for v in yt:
            if y0 <= v <= y1:
                out.append(f'<line x1="{ox + m_l}" x2="{ox + m_l + pw}" y1="{Y(v):.1f}" y2="{Y(v):.1f}" stroke="#eee"/>')
                out.append(f'<text x="{ox + m_l - 4}" y="{Y(v) + 3:.1f}" text-anchor="end" font-size="10">{_fmt(v)}</text>')
        if self.hline is not None and y0 <= self.hline <= y1:
            out.append(f'<line x1="{ox + m_l}" x2="{ox + m_l + pw}" y1="{Y(self.hline):.1f}" y2="{Y(self.hline):.1f}" stroke="#444" stroke-dasharray="2,3"/>')
        legend = []
        for it in self.items:
            if it[0] == "band":
                _, xs, lo, hi, color, op = it
                pts = [(a, b, c) for a, b, c in zip(xs, lo, hi) if good(a, self.xlog) and good(b, self.ylog) and good(c, self.ylog)]
                if len(pts) >= 2:
                    poly = [f"{X(a):.1f},{clipY(c):.1f}" for a, _, c in pts] + [f"{X(a):.1f},{clipY(b):.1f}" for a, b, _ in reversed(pts)]
                    out.append(f'<polygon points="{" ".join(poly)}" fill="{color}" fill-opacity="{op}" stroke="none"/>')
            elif it[0] == "err":
                _, xs, lo, hi, color = it
                for a, b, c in zip(xs, lo, hi):
                    if good(a, self.xlog) and good(b, self.ylog) and good(c, self.ylog):
                        out.append(f'<line x1="{X(a):.1f}" x2="{X(a):.1f}" y1="{clipY(b):.1f}" y2="{clipY(c):.1f}" stroke="{color}" stroke-width="1.2"/>')
        for it in self.items:
            if it[0] != "line":
                continue
            _, xs, ys, color, label, dash, marker = it
            pts = [(X(a), clipY(b)) for a, b in zip(xs, ys) if good(a, self.xlog) and good(b, self.ylog)]
            if len(pts) >= 2:
                d = f' stroke-dasharray="{dash}"' if dash else ""
                out.append(f'<polyline points="{" ".join(f"{p:.1f},{q:.1f}" for p, q in pts)}" fill="none" stroke="{color}" stroke-width="1.6"{d}/>')
            if marker:
                out += [f'<circle cx="{p:.1f}" cy="{q:.1f}" r="2.4" fill="{color}"/>' for p, q in pts]
            if label:
                legend.append((label, color, dash))
        for i, (label, color, dash) in enumerate(legend):
            ly = (oy + m_t + ph - 10 - 13 * (len(legend) - 1 - i)) if self.legend_bottom else (oy + m_t + 10 + 13 * i)
            d = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(f'<line x1="{ox + m_l + 6}" x2="{ox + m_l + 24}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="2"{d}/>')
            out.append(f'<text x="{ox + m_l + 28}" y="{ly + 4}" font-size="10">{escape(label)}</text>')
        return out


class Figure:
    def __init__(self, cols: int, panel_w: int = 380, panel_h: int = 280, title: str | None = None):
        self.cols, self.pw, self.ph, self.title = cols, panel_w, panel_h, title
        self.axes: list[Axes] = []

    def add(self, ax: Axes) -> Axes:
        self.axes.append(ax)
        return ax

    def svg(self) -> str:
        rows = max(1, math.ceil(len(self.axes) / self.cols))
        top = 24 if self.title else 0
        W, H = self.cols * self.pw, rows * self.ph + top
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif">',
               f'<rect width="{W}" height="{H}" fill="white"/>']
        if self.title:
            out.append(f'<text x="{W / 2}" y="17" text-anchor="middle" font-size="14">{escape(self.title)}</text>')
        for i, ax in enumerate(self.axes):
            out += ax.render((i % self.cols) * self.pw, top + (i // self.cols) * self.ph, self.pw, self.ph)
        out.append("</svg>")
        return "\n".join(out) + "\n"
