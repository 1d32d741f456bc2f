"""The daily chart's geometry: the revenue desk draws it as inline SVG on the server (no script, no CDN).

A chart is one or more series of daily values on one y scale; `line_chart` turns them into polyline points, axis
ticks and per-day hover targets, in SVG user units. Pure functions of their input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 900, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 28  # room for the axis labels


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # the stroke colour's class in paywall/desk.css
    points: str  # "x,y x,y ..." for <polyline points=...>
    total: int


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Column:
    """A day's hover target: a transparent rectangle whose <title> lists the day's values."""

    x: float
    width: float
    title: str


@dataclass(frozen=True)
class LineChart:
    title: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    series: list[Series]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    columns: list[Column]

    @property
    def plot_height(self) -> int:
        return self.plot_bottom - self.plot_top


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 2.5, 5 x 10^n that is >= value (at least 1): a round top for the y axis."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return 10 * magnitude  # pragma: no cover - the loop always returns


def compact(n: float) -> str:
    """12, 1.2k, 340k, 1.2M."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    if n >= 1_000:
        return f"{n / 1_000:.1f}k".replace(".0k", "k")
    return f"{n:g}"


def line_chart(*, title: str, days: list[date], series: list[tuple[str, str, list[int]]]) -> LineChart:
    """`series`: (name, css class, one value per day of `days`). Days run left to right, values on a shared scale
    from 0 to a round top; 4 y ticks, at most 7 x ticks (first and last day among them)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max((max(values, default=0) for _, _, values in series), default=0))
    n = len(days)
    step = plot_w / max(n - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + (i * step if n > 1 else plot_w / 2), 1)

    def y(v: float) -> float:
        return round(TOP + plot_h - v / top * plot_h, 1)

    drawn = [
        Series(name, css, " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values)), sum(values))
        for name, css, values in series
    ]
    y_ticks = [Tick(y(top * k / 4), compact(top * k / 4)) for k in range(5)]
    every = max(1, -(-(n - 1) // 6)) if n > 1 else 1
    x_index = sorted({*range(0, n, every), n - 1}) if n else []
    if len(x_index) > 1 and x_index[-1] - x_index[-2] < every / 2:
        x_index.pop(-2)  # the last day's label would overlap the one before
    x_ticks = [Tick(x(i), days[i].strftime("%b %-d")) for i in x_index]
    width = step if n > 1 else plot_w
    columns = [
        Column(
            round(x(i) - width / 2, 1),
            round(width, 1),
            f"{d:%a %b %-d, %Y}: " + ", ".join(f"{name} {values[i]:,}" for name, _, values in series),
        )
        for i, d in enumerate(days)
    ]
    return LineChart(title, WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, TOP + plot_h, drawn, y_ticks, x_ticks, columns)
