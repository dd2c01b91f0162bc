"""Charts as plain inline SVG strings: no script, no style attribute, every text escaped.

Colours and fonts are SVG presentation attributes (``fill``, ``stroke``, ``font-size``),
which a Content-Security-Policy without ``'unsafe-inline'`` allows, unlike ``style=``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

__all__ = ["bar_chart", "interval_chart", "reliability_diagram", "round_chart", "stacked_bar"]

PALETTE = ("#3b6ea5", "#e07b39", "#5a9e5a", "#b94a48", "#8064a2", "#c9a227", "#4aa3a8", "#888")
STATUS_COLORS = {
    "gold": "#2e7d32",
    "human": "#5a9e5a",
    "auto": "#3b6ea5",
    "review": "#e07b39",
    "unlabeled": "#bbbbbb",
}
_FONT = 'font-family="system-ui, sans-serif"'


def _t(text: object) -> str:
    return escape(str(text), quote=True)


def _num(x: float) -> str:
    return f"{x:.1f}"


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {_FONT} '
        f'font-size="12"><title>{_t(title)}</title>'
    )


def _fmt(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.3g}"


def bar_chart(
    items: Sequence[tuple[str, float]], *, title: str, width: int = 560, max_bars: int = 40
) -> str:
    """Horizontal bars, one per ``(label, value)``, in the given order.

    Examples
    --------
    >>> svg = bar_chart([("ham", 3), ("<spam>", 1)], title="classes")
    >>> svg.startswith("<svg") and "&lt;spam&gt;" in svg and "<spam>" not in svg
    True
    """
    shown = list(items)[:max_bars]
    bar_h, gap, label_w, top = 18, 6, 160, 8
    height = top + len(shown) * (bar_h + gap) + 8
    biggest = max([v for _, v in shown] + [1e-12])
    plot_w = width - label_w - 70
    parts = [_open(width, max(height, 30), title)]
    for i, (label, value) in enumerate(shown):
        y = top + i * (bar_h + gap)
        w = max(plot_w * (value / biggest), 0.0)
        name = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{_num(y + 13)}" text-anchor="end" fill="#333">'
            f"{_t(name)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{_num(w)}" height="{bar_h}" '
            f'fill="{PALETTE[0]}"><title>{_t(label)}: {_t(_fmt(value))}</title></rect>'
            f'<text x="{_num(label_w + w + 4)}" y="{_num(y + 13)}" fill="#333">'
            f"{_t(_fmt(value))}</text>"
        )
    if len(items) > max_bars:
        parts.append(
            f'<text x="{label_w}" y="{height - 2}" fill="#666">'
            f"… {len(items) - max_bars} more not shown</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar(segments: Sequence[tuple[str, float]], *, title: str, width: int = 560) -> str:
    """One horizontal bar split into segments (e.g. items per status), with a legend.

    Examples
    --------
    >>> "auto" in stacked_bar([("auto", 70), ("review", 30)], title="status")
    True
    """
    total = sum(max(v, 0) for _, v in segments) or 1.0
    parts = [_open(width, 64, title)]
    x = 0.0
    for i, (label, value) in enumerate(segments):
        w = width * max(value, 0) / total
        color = STATUS_COLORS.get(label, PALETTE[i % len(PALETTE)])
        parts.append(
            f'<rect x="{_num(x)}" y="4" width="{_num(w)}" height="24" fill="{color}">'
            f"<title>{_t(label)}: {_t(_fmt(value))} ({value / total:.1%})</title></rect>"
        )
        x += w
    lx = 0.0
    for i, (label, value) in enumerate(segments):
        color = STATUS_COLORS.get(label, PALETTE[i % len(PALETTE)])
        text = f"{label} {value / total:.0%}"
        parts.append(
            f'<rect x="{_num(lx)}" y="40" width="10" height="10" fill="{color}"/>'
            f'<text x="{_num(lx + 14)}" y="49" fill="#333">{_t(text)}</text>'
        )
        lx += 30 + 7 * len(text)
    parts.append("</svg>")
    return "".join(parts)


def interval_chart(
    rows: Sequence[tuple[str, float | None, float, float, int]],
    *,
    title: str,
    target: float | None = None,
    width: int = 560,
) -> str:
    """Dot-and-whisker chart of proportions with intervals: ``(label, estimate, lower,
    upper, n)`` per row; the axis zooms to the smallest lower bound.

    Examples
    --------
    >>> svg = interval_chart([("auto", 0.97, 0.95, 0.985, 400)], title="acc", target=0.95)
    >>> "target 0.95" in svg
    True
    """
    label_w, row_h, top = 200, 22, 22
    height = top + len(rows) * row_h + 26
    lows = [lo for _, _, lo, _, _ in rows] + ([target] if target is not None else [])
    lo_axis = max(0.0, math.floor((min(lows) if lows else 0.0) * 10) / 10)
    plot_w = width - label_w - 20
    step = 0.05 if lo_axis >= 0.7 else (0.1 if lo_axis >= 0.4 else 0.2)

    def sx(v: float) -> float:
        return label_w + plot_w * (v - lo_axis) / max(1.0 - lo_axis, 1e-9)

    parts = [_open(width, height, title)]
    ticks = [v for v in np.arange(1.0, lo_axis - 1e-9, -step)][::-1]
    for v in ticks:
        x = sx(v)
        parts.append(
            f'<line x1="{_num(x)}" y1="{top - 6}" x2="{_num(x)}" y2="{height - 22}" '
            f'stroke="#e3e3e3"/><text x="{_num(x)}" y="{height - 8}" text-anchor="middle" '
            f'fill="#666">{v:.2f}</text>'
        )
    if target is not None:
        x = sx(target)
        parts.append(
            f'<line x1="{_num(x)}" y1="{top - 10}" x2="{_num(x)}" y2="{height - 22}" '
            f'stroke="#b94a48" stroke-dasharray="4 3"/><text x="{_num(x)}" y="{top - 12}" '
            f'text-anchor="middle" fill="#b94a48">target {target:g}</text>'
        )
    for i, (label, est, lo, hi, n) in enumerate(rows):
        y = top + i * row_h + row_h / 2
        name = label if len(label) <= 22 else label[:21] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{_num(y + 4)}" text-anchor="end" fill="#333">'
            f"{_t(name)} (n={n:,})<title>{_t(label)}</title></text>"
        )
        parts.append(
            f'<line x1="{_num(sx(lo))}" y1="{_num(y)}" x2="{_num(sx(hi))}" y2="{_num(y)}" '
            f'stroke="{PALETTE[0]}" stroke-width="2"/>'
        )
        if est is not None:
            parts.append(
                f'<circle cx="{_num(sx(est))}" cy="{_num(y)}" r="4" fill="{PALETTE[0]}">'
                f"<title>{_t(label)}: {est:.3f} [{lo:.3f}, {hi:.3f}], n={n}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def reliability_diagram(
    bins: Sequence[tuple[float, float, float, float, float, float, int]],
    *,
    title: str,
    size: int = 340,
) -> str:
    """Reliability diagram: per bin ``(bin_lower, bin_upper, mean_confidence, accuracy,
    lower, upper, n)``; bars show accuracy, whiskers its interval, the diagonal is perfect
    calibration.

    Examples
    --------
    >>> "perfect calibration" in reliability_diagram([(0.9, 1.0, 0.95, 0.93, 0.9, 0.96, 200)],
    ...                                              title="calibration")
    True
    """
    pad = 40
    plot = size - pad - 12

    def sx(v: float) -> float:
        return pad + plot * v

    def sy(v: float) -> float:
        return 12 + plot * (1.0 - v)

    parts = [_open(size, size, title)]
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{_num(sx(0))}" y1="{_num(sy(v))}" x2="{_num(sx(1))}" y2="{_num(sy(v))}" '
            f'stroke="#eee"/><text x="{pad - 4}" y="{_num(sy(v) + 4)}" text-anchor="end" '
            f'fill="#666">{v:g}</text><text x="{_num(sx(v))}" y="{size - 16}" '
            f'text-anchor="middle" fill="#666">{v:g}</text>'
        )
    for b_lo, b_hi, conf, acc, lo, hi, n in bins:
        x, w = sx(b_lo), max(sx(b_hi) - sx(b_lo) - 1, 1)
        parts.append(
            f'<rect x="{_num(x)}" y="{_num(sy(acc))}" width="{_num(w)}" '
            f'height="{_num(sy(0) - sy(acc))}" fill="{PALETTE[0]}" fill-opacity="0.55">'
            f"<title>confidence {b_lo:.2f}-{b_hi:.2f}: accuracy {acc:.3f} "
            f"[{lo:.3f}, {hi:.3f}], mean confidence {conf:.3f}, n={n}</title></rect>"
            f'<line x1="{_num(sx(conf))}" y1="{_num(sy(lo))}" x2="{_num(sx(conf))}" '
            f'y2="{_num(sy(hi))}" stroke="#222"/>'
        )
    parts.append(
        f'<line x1="{_num(sx(0))}" y1="{_num(sy(0))}" x2="{_num(sx(1))}" y2="{_num(sy(1))}" '
        f'stroke="#b94a48" stroke-dasharray="4 3"><title>perfect calibration</title></line>'
        f'<text x="{_num(sx(0.5))}" y="{size - 2}" text-anchor="middle" fill="#333">'
        f"confidence shown</text>"
        f'<text x="10" y="{_num(sy(0.5))}" fill="#333" text-anchor="middle" '
        f'transform="rotate(-90 10 {_num(sy(0.5))})">accuracy on the audit</text></svg>'
    )
    return "".join(parts)


def round_chart(
    rounds: Sequence[tuple[int, float | None, float | None]], *, title: str, width: int = 560
) -> str:
    """Per round ``(round_id, share of items auto-accepted, audit accuracy)`` as two lines.

    Examples
    --------
    >>> "round" in round_chart([(1, 0.2, 0.9), (2, 0.5, 0.93)], title="rounds")
    True
    """
    height, pad = 180, 36
    n = len(rounds)
    plot_w, plot_h = width - 2 * pad, height - 2 * pad

    def sx(i: int) -> float:
        return pad + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def sy(v: float) -> float:
        return pad + plot_h * (1.0 - v)

    parts = [_open(width, height, title)]
    for v in (0.0, 0.5, 1.0):
        parts.append(
            f'<line x1="{pad}" y1="{_num(sy(v))}" x2="{width - pad}" y2="{_num(sy(v))}" '
            f'stroke="#eee"/><text x="{pad - 4}" y="{_num(sy(v) + 4)}" text-anchor="end" '
            f'fill="#666">{v:g}</text>'
        )
    for s, (name, color) in enumerate(
        (("auto-accepted share", PALETTE[0]), ("audit accuracy", PALETTE[1]))
    ):
        values = [(i, r[1 + s]) for i, r in enumerate(rounds)]
        points = [(sx(i), sy(float(v))) for i, v in values if v is not None]
        if len(points) > 1:
            path = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        for x, y in points:
            parts.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3" fill="{color}"/>')
        parts.append(
            f'<rect x="{pad + 170 * s}" y="6" width="10" height="10" fill="{color}"/>'
            f'<text x="{pad + 14 + 170 * s}" y="15" fill="#333">{_t(name)}</text>'
        )
    step = max(1, n // 12)
    for i, r in enumerate(rounds):
        if i % step == 0 or i == n - 1:
            parts.append(
                f'<text x="{_num(sx(i))}" y="{height - 12}" text-anchor="middle" fill="#666">'
                f"{_t(r[0])}</text>"
            )
    parts.append(
        f'<text x="{width // 2}" y="{height - 1}" text-anchor="middle" fill="#333">round</text>'
        "</svg>"
    )
    return "".join(parts)
