"""The quota dashboard's burn-down chart, drawn on the server as inline SVG."""

from __future__ import annotations

import datetime as dt

from django.utils.html import escape

from casebook.common.fiscal import fiscal_year_bounds
from casebook.experts.selectors.insights import QuotaLine


def burn_down_svg(line: QuotaLine, fiscal_year: int, *, width: int = 320, height: int = 170) -> str:
    """An inline SVG: remaining days at each month end (solid) against an even burn (dashed).

    Server-rendered text: every value interpolated is a number, except the escaped title.
    """
    pad_left, pad_bottom, pad_top, pad_right = 44, 22, 10, 10
    plot_w, plot_h = width - pad_left - pad_right, height - pad_top - pad_bottom
    first, last = fiscal_year_bounds(fiscal_year)
    span = (last - first).days or 1
    values = [float(v) for _, v in line.burn_down]
    top = float(line.quota) if line.quota is not None else max([*values, 1.0])
    top = top or 1.0

    def x(day: dt.date) -> float:
        return pad_left + plot_w * (day - first).days / span

    def y(value: float) -> float:
        clipped = max(min(value, top), 0.0) if line.quota is not None else max(value, 0.0)
        return pad_top + plot_h * (1 - clipped / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'style="width:100%;height:auto;max-width:{width}px" role="img" class="burn-down">',
        f"<title>{escape(line.label)}</title>",
        f'<line x1="{pad_left}" y1="{pad_top + plot_h}" x2="{pad_left + plot_w}" '
        f'y2="{pad_top + plot_h}" stroke="#888"/>',
        f'<line x1="{pad_left}" y1="{pad_top}" x2="{pad_left}" y2="{pad_top + plot_h}" '
        'stroke="#888"/>',
        f'<text x="{pad_left - 4}" y="{pad_top + 8}" font-size="10" text-anchor="end">'
        f"{top:g}</text>",
        f'<text x="{pad_left - 4}" y="{pad_top + plot_h}" font-size="10" '
        'text-anchor="end">0</text>',
    ]
    if line.quota is not None:
        parts.append(
            f'<line x1="{x(first):.1f}" y1="{y(top):.1f}" x2="{x(last):.1f}" y2="{y(0):.1f}" '
            'stroke="#aaa" stroke-dasharray="4 3"/>'
        )
    for month in range(12):
        day = dt.date(
            first.year + (first.month + month - 1) // 12, (first.month + month - 1) % 12 + 1, 1
        )
        parts.append(
            f'<text x="{x(day) + 2:.1f}" y="{height - 6}" font-size="9">{day.month}</text>'
        )
    points = [(x(first), y(top if line.quota is not None else 0.0))]
    points += [(x(day), y(float(value))) for day, value in line.burn_down]
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#1f6feb" stroke-width="2"/>')
    for px, py in points[1:]:
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="#1f6feb"/>')
    parts.append("</svg>")
    return "".join(parts)
