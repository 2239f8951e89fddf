"""Charts drawn on the server as SVG (docs/reports.md, "Charts"): no script, nothing fetched,
and they print as they show. A chart is geometry; `templates/reports/_bar_chart.html` draws
it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 220
LEFT = 36
BOTTOM = 28
TOP = 12
# Colours that stay apart when printed in grey.
PALETTE = ("#2f4858", "#f6ae2d", "#86bbd8", "#b5452f")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: float
    series: int

    @property
    def fill(self) -> str:
        return PALETTE[self.series % len(PALETTE)]


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    labels: list[tuple[float, str]]  # (x of the label's centre, text)
    ticks: list[tuple[float, str]]  # (y, value)
    legend: list[tuple[str, str]]  # (colour, series name)
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> float:
        return self.height - BOTTOM

    @property
    def left(self) -> int:
        return LEFT


def _nice_max(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^n at or above `value` (a readable top tick)."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
) -> BarChart:
    """Grouped bars: one group per label, one bar per series in each group."""
    top = _nice_max(max((float(v) for _name, values in series for v in values), default=0))
    plot_width = WIDTH - LEFT - 8
    plot_height = HEIGHT - BOTTOM - TOP
    group = plot_width / max(len(labels), 1)
    bar_width = group * 0.8 / max(len(series), 1)
    bars = []
    for index, (_name, values) in enumerate(series):
        for position, value in enumerate(values):
            height = plot_height * float(value) / top
            x = LEFT + position * group + group * 0.1 + index * bar_width
            bars.append(
                Bar(
                    x=round(x, 1),
                    y=round(HEIGHT - BOTTOM - height, 1),
                    width=round(bar_width, 1),
                    height=round(height, 1),
                    label=labels[position],
                    value=float(value),
                    series=index,
                )
            )
    ticks = [
        (round(HEIGHT - BOTTOM - plot_height * share, 1), f"{top * share:g}")
        for share in (0, 0.5, 1)
    ]
    centres = [(round(LEFT + (i + 0.5) * group, 1), label) for i, label in enumerate(labels)]
    legend = [(PALETTE[index % len(PALETTE)], name) for index, (name, _values) in enumerate(series)]
    return BarChart(title=title, bars=bars, labels=centres, ticks=ticks, legend=legend)
