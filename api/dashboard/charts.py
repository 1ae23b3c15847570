"""Charts as inline SVG, drawn on the server: bars and one line chart, nothing else.

Colours come from CSS classes (``dashboard.css``), so the page's palette lives in one place
and the SVG carries no inline styles (the pages' Content-Security-Policy forbids them). Every
text that reaches SVG goes through :func:`markupsafe.escape`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from tracker.i18n import formats as cldr

#: Width of a bar's coordinate system; bars stretch to their box (preserveAspectRatio none).
BAR_WIDTH = 1000


@dataclass(frozen=True)
class Segment:
    """One coloured part of a bar: its size in the bar's unit, CSS class and hover text."""

    value: float
    css: str
    title: str
    #: CSS class of a tick drawn where the segment ends (for a pale fill that needs an edge).
    edge: str | None = None


def _num(value: float) -> str:
    """A coordinate, short and without a locale: SVG wants ``12.5``, not ``12,5``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def bar(
    segments: Sequence[Segment],
    *,
    scale: float,
    label: str,
    stacked: bool = False,
    target: float | None = None,
    css: str = "bar",
    height: int = 16,
) -> Markup:
    """A horizontal bar: ``segments`` against ``scale`` (the full width).

    Overlaid (the default) draws the largest segment first, so ``pledged ⊇ committed ⊇
    disbursed`` reads as nested bars; ``stacked`` puts segments end to end (projects by
    status). A value beyond the scale is cut at the end; ``target`` draws a tick there.
    """
    values = [max(s.value, 0.0) for s in segments]
    extent = max(scale, target or 0.0, sum(values) if stacked else max(values, default=0.0))
    parts = [
        f'<svg class="{escape(css)}" viewBox="0 0 {BAR_WIDTH} {height}" '
        f'preserveAspectRatio="none" role="img" aria-label="{escape(label)}" focusable="false">',
        f'<rect class="bar-track" x="0" y="0" width="{BAR_WIDTH}" height="{height}"/>',
    ]
    if extent > 0:
        ordered = list(segments) if stacked else sorted(segments, key=lambda s: -s.value)
        ends: list[tuple[float, str]] = []
        x = 0.0
        for index, segment in enumerate(ordered):
            width = BAR_WIDTH * max(segment.value, 0.0) / extent
            if width <= 0:
                continue
            start = x if stacked else 0.0
            parts.append(
                f'<rect class="{escape(segment.css)}" x="{_num(start)}" y="0" '
                f'width="{_num(width)}" height="{height}"><title>{escape(segment.title)}</title>'
                "</rect>"
            )
            end = start + width
            if segment.edge:
                ends.append((end, segment.edge))
            elif (stacked or index) and end < BAR_WIDTH:
                # A thin gap tells neighbouring colours apart without relying on contrast.
                ends.append((end, "bar-gap"))
            if stacked:
                x = end
        for end, css_class in ends:
            ex = _num(min(end, BAR_WIDTH - 1))
            parts.append(
                f'<line class="{escape(css_class)}" x1="{ex}" x2="{ex}" y1="0" y2="{height}" '
                'vector-effect="non-scaling-stroke"/>'
            )
        if target is not None and 0 < target < extent:
            tx = _num(BAR_WIDTH * target / extent)
            parts.append(
                f'<line class="bar-target" x1="{tx}" x2="{tx}" y1="0" y2="{height}" '
                'vector-effect="non-scaling-stroke"/>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Series:
    """A line: points in time order; ``step`` draws it as a staircase (targets)."""

    key: str
    label: str
    points: Sequence[tuple[date, float]]
    css: str
    step: bool = False


@dataclass(frozen=True)
class Marker:
    """A labelled dot on the chart, e.g. where a target was restated."""

    day: date
    value: float
    label: str
    title: str
    #: Extra CSS class of the dot (an observation's, beside a target's plain one).
    css: str = ""


@dataclass(frozen=True)
class Band:
    """An invisible column over one period that says, on hover, what the period holds."""

    start: date
    end: date
    title: str


def nice_ticks(maximum: float, count: int = 4) -> list[float]:
    """Round numbers from 0 that cover ``maximum`` in about ``count`` steps."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    top = math.ceil(maximum / step - 1e-9) * step
    ticks, value = [], 0.0
    while value <= top + step / 2:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _time_ticks(first: date, last: date, compact: bool) -> list[tuple[date, str]]:
    years = [date(y, 1, 1) for y in range(first.year, last.year + 2)]
    inside = [d for d in years if first <= d <= last]
    if len(inside) >= 2 or (inside and compact):
        return [(d, str(d.year)) for d in inside]
    months = []
    y, m = first.year, first.month
    while date(y, m, 1) <= last:
        if date(y, m, 1) >= first:
            months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    stride = max(1, math.ceil(len(months) / (4 if compact else 8)))
    return [(d, cldr.month(d)) for d in months[::stride]]


def line_chart(
    series: Sequence[Series],
    *,
    markers: Sequence[Marker] = (),
    bands: Sequence[Band] = (),
    title: str,
    description: str,
    ident: str,
    value_label: Callable[[float], str],
    width: int = 1040,
    height: int = 320,
    compact: bool = False,
) -> Markup:
    """Lines over time with a value axis from zero, year (or month) ticks and markers."""
    days = [d for s in series for d, _ in s.points] + [m.day for m in markers]
    if not days:
        return Markup("")
    first, last = min(days), max(days)
    if first == last:
        first = date.fromordinal(first.toordinal() - 15)
        last = date.fromordinal(last.toordinal() + 15)
    top_value = max([v for s in series for _, v in s.points] + [m.value for m in markers] + [0.0])
    ticks = nice_ticks(top_value, 3 if compact else 4)
    y_max = ticks[-1]
    widest = max(len(value_label(tick)) for tick in ticks)
    left = max(44, 10 + int(widest * 7.6))
    right = 12 if compact else 20
    top, bottom = 26, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (last - first).days

    def x(d: date) -> float:
        return left + plot_w * (d - first).days / span

    def y(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    title_id, desc_id = f"{ident}-title", f"{ident}-desc"
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" font-size="13">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
    ]
    for tick in ticks:
        ty = _num(y(tick))
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{ty}" y2="{ty}"/>'
            f'<text class="axis" x="{left - 8}" y="{ty}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(value_label(tick))}</text>'
        )
    for tick_day, text in _time_ticks(first, last, compact):
        tx = _num(x(tick_day))
        parts.append(
            f'<line class="grid-x" x1="{tx}" x2="{tx}" y1="{top}" y2="{top + plot_h}"/>'
            f'<text class="axis" x="{tx}" y="{height - 8}" text-anchor="middle">'
            f"{escape(text)}</text>"
        )
    for band in bands:
        bx, bw = x(band.start), max(x(band.end) - x(band.start), 1.0)
        parts.append(
            f'<rect class="band" x="{_num(bx)}" y="{top}" width="{_num(bw)}" '
            f'height="{plot_h}"><title>{escape(band.title)}</title></rect>'
        )
    for line in series:
        if not line.points:
            continue
        coords: list[tuple[float, float]] = []
        for index, (d, v) in enumerate(line.points):
            if line.step and index:
                coords.append((x(d), coords[-1][1]))
            coords.append((x(d), y(v)))
        if line.step:
            coords.append((x(last), coords[-1][1]))
        points = " ".join(f"{_num(px)},{_num(py)}" for px, py in coords)
        parts.append(
            f'<polyline class="line {escape(line.css)}" points="{points}" fill="none">'
            f"<title>{escape(line.label)}</title></polyline>"
        )
    placed: list[float] = []
    for marker in markers:
        mx, my = x(marker.day), y(marker.value)
        extra = f" {escape(marker.css)}" if marker.css else ""
        parts.append(
            f'<line class="marker-guide{extra}" x1="{_num(mx)}" x2="{_num(mx)}" '
            f'y1="{_num(my)}" y2="{top + plot_h}"/>'
            f'<circle class="marker{extra}" cx="{_num(mx)}" cy="{_num(my)}" r="5">'
            f"<title>{escape(marker.title)}</title></circle>"
        )
        if all(abs(mx - p) > (48 if compact else 56) for p in placed):
            placed.append(mx)
            anchor = "end" if mx > width - right - 40 else "start" if mx < left + 30 else "middle"
            parts.append(
                f'<text class="marker-label{extra}" x="{_num(mx)}" y="{_num(max(my - 10, 12))}" '
                f'text-anchor="{anchor}">{escape(marker.label)}</text>'
            )
    parts.append(
        f'<line class="axis-line" x1="{left}" x2="{width - right}" '
        f'y1="{top + plot_h}" y2="{top + plot_h}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def standalone(chart: Markup, css: str) -> str:
    """A chart drawn for the page as an SVG file of its own: its namespace, its size in
    pixels (from its viewBox) and the stylesheet rules that colour it (``css``), so it
    looks as on the page once saved, opened or converted."""
    head, rest = str(chart).split(">", 1)
    width, height = head.split('viewBox="0 0 ', 1)[1].split('"', 1)[0].split()
    opening = head.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'{opening} width="{width}" height="{height}">'
        f"<style>{escape(css)}\nsvg, svg.chart {{ font-family: system-ui, sans-serif; "
        "background: #fff; }</style>"
        f"{rest}"
    )
