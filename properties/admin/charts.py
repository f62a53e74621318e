"""The dashboard's charts as geometry: each bar with its place, its number and its title, for
the SVG template (admin/properties/dashboard/chart.svg) to draw. Pure: numbers in, shapes out.

Two kinds: rows of stacked bars (a count split by series, labelled at the left, its total at the
right) and columns of grouped bars (one bar per series, its number above it). Every number is
drawn as text and said again in the chart's description, for screen readers.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
FONT_WIDTH = 7.0  # an average character at the charts' 12 px, for what fits where
LEGEND_HEIGHT = 22
LEGEND_SPACING = 130

ROW_LABEL_WIDTH = 180
ROW_TOTAL_WIDTH = 56
ROW_HEIGHT = 26
ROW_BAR_HEIGHT = 18
ROW_LABEL_CHARACTERS = 24

COLUMN_LEFT = 40  # the scale's numbers
COLUMN_TOP = 20  # room for the numbers above the tallest bars
COLUMN_PLOT_HEIGHT = 160
COLUMN_BOTTOM = 24  # the columns' labels
COLUMN_RIGHT = 24  # half the last column's label


@dataclass(frozen=True)
class Series:
    key: str  # the CSS class that colours it: series-<key>
    label: str


@dataclass(frozen=True)
class Bar:
    series: Series
    text: str  # the number as shown
    title: str
    x: float
    y: float
    width: float
    height: float
    text_x: float
    text_y: float
    shows_text: bool  # False where the number does not fit the bar (the title still says it)


@dataclass(frozen=True)
class Group:
    """A row or a column: its label, its bars and, for a row, its total."""

    key: str
    label: str
    title: str
    url: str  # where the row leads ("": nowhere)
    label_x: float
    label_y: float
    bars: tuple[Bar, ...]
    total: str
    total_x: float
    total_y: float


@dataclass(frozen=True)
class Tick:
    text: str
    y: float


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    description: str
    width: int
    height: int
    series: tuple[Series, ...]
    groups: tuple[Group, ...]
    rows: bool  # rows of stacked bars, else columns of grouped bars
    plot_top: float
    plot_bottom: float
    plot_left: float
    ticks: tuple[Tick, ...]

    @property
    def legend(self) -> list[tuple[Series, float]]:
        """Each series and where its key starts, when there are several."""
        if len(self.series) < 2:
            return []
        return [(one, index * LEGEND_SPACING) for index, one in enumerate(self.series)]


@dataclass(frozen=True)
class Datum:
    """One row's or column's numbers, one per series (None: no figure, as a week without
    valuations)."""

    key: str
    label: str
    values: tuple[float | None, ...]
    url: str = ""


def number_text(value: float | None) -> str:
    """12 → "12", 30.5 → "30.5", 76.0 → "76"; no figure → "—"."""
    if value is None:
        return "—"
    return f"{value:,.1f}".removesuffix(".0")


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above the value (1 for nothing)."""
    if value <= 0:
        return 1
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _shortened(label: str) -> str:
    if len(label) <= ROW_LABEL_CHARACTERS:
        return label
    return label[: ROW_LABEL_CHARACTERS - 1] + "…"


def _described(data: Sequence[Datum], series: Sequence[Series]) -> str:
    def said(datum: Datum) -> str:
        if len(series) == 1:
            return f"{datum.label}: {number_text(datum.values[0])}"
        parts = ", ".join(
            f"{one.label} {number_text(value)}"
            for one, value in zip(series, datum.values, strict=True)
        )
        return f"{datum.label}: {parts}"

    return "; ".join(said(datum) for datum in data) + "." if data else "No data yet."


def stacked_rows(
    *, slug: str, title: str, series: Sequence[Series], data: Sequence[Datum]
) -> Chart:
    """A row per datum: its label, its values stacked left to right, and their total."""
    top = LEGEND_HEIGHT if len(series) > 1 else 0
    plot_left = float(ROW_LABEL_WIDTH)
    plot_width = WIDTH - ROW_LABEL_WIDTH - ROW_TOTAL_WIDTH
    scale = nice_ceiling(max((_total(datum) for datum in data), default=0))
    groups = []
    for index, datum in enumerate(data):
        y = top + index * ROW_HEIGHT + (ROW_HEIGHT - ROW_BAR_HEIGHT) / 2
        x = plot_left
        bars = []
        for one, value in zip(series, datum.values, strict=True):
            width = (value or 0) / scale * plot_width
            text = number_text(value)
            bars.append(
                Bar(
                    series=one,
                    text=text,
                    title=f"{datum.label}: {text} {one.label.lower()}",
                    x=x,
                    y=y,
                    width=width,
                    height=ROW_BAR_HEIGHT,
                    text_x=x + width / 2,
                    text_y=y + ROW_BAR_HEIGHT - 5,
                    # One series: its total at the row's end says it already.
                    shows_text=len(series) > 1
                    and bool(value)
                    and width >= len(text) * FONT_WIDTH + 6,
                )
            )
            x += width
        total = number_text(_total(datum))
        groups.append(
            Group(
                key=datum.key,
                label=_shortened(datum.label),
                title=f"{datum.label}: {total}",
                url=datum.url,
                label_x=plot_left - 8,
                label_y=y + ROW_BAR_HEIGHT - 5,
                bars=tuple(bars),
                total=total,
                total_x=x + 6,
                total_y=y + ROW_BAR_HEIGHT - 5,
            )
        )
    height = top + max(len(data), 1) * ROW_HEIGHT
    return Chart(
        slug=slug,
        title=title,
        description=_described(data, series),
        width=WIDTH,
        height=height,
        series=tuple(series),
        groups=tuple(groups),
        rows=True,
        plot_top=top,
        plot_bottom=height,
        plot_left=plot_left,
        ticks=(),
    )


def grouped_columns(
    *, slug: str, title: str, series: Sequence[Series], data: Sequence[Datum], label_every: int = 1
) -> Chart:
    """A column per datum, a bar per series with its number above it, on a scale from zero;
    every ``label_every``-th column is labelled (and the last), the others in their titles."""
    top = (LEGEND_HEIGHT if len(series) > 1 else 0) + COLUMN_TOP
    bottom = top + COLUMN_PLOT_HEIGHT
    plot_width = WIDTH - COLUMN_LEFT - COLUMN_RIGHT
    column_width = plot_width / max(len(data), 1)
    bar_width = column_width * 0.8 / len(series)
    values = [value for datum in data for value in datum.values if value is not None]
    scale = nice_ceiling(max(values, default=0))
    groups = []
    for index, datum in enumerate(data):
        left = COLUMN_LEFT + index * column_width + column_width * 0.1
        bars = []
        for position, (one, value) in enumerate(zip(series, datum.values, strict=True)):
            height = (value or 0) / scale * COLUMN_PLOT_HEIGHT
            x = left + position * bar_width
            text = number_text(value)
            bars.append(
                Bar(
                    series=one,
                    text=text,
                    title=f"{datum.label}: {one.label.lower()} {text}",
                    x=x,
                    y=bottom - height,
                    width=bar_width,
                    height=height,
                    text_x=x + bar_width / 2,
                    text_y=bottom - height - 4,
                    shows_text=True,
                )
            )
        labelled = index % label_every == 0 or index == len(data) - 1
        groups.append(
            Group(
                key=datum.key,
                label=datum.label if labelled else "",
                title=datum.label,
                url=datum.url,
                label_x=COLUMN_LEFT + (index + 0.5) * column_width,
                label_y=bottom + 16,
                bars=tuple(bars),
                total="",
                total_x=0,
                total_y=0,
            )
        )
    return Chart(
        slug=slug,
        title=title,
        description=_described(data, series),
        width=WIDTH,
        height=int(bottom + COLUMN_BOTTOM),
        series=tuple(series),
        groups=tuple(groups),
        rows=False,
        plot_top=top,
        plot_bottom=bottom,
        plot_left=COLUMN_LEFT,
        ticks=(Tick(number_text(scale), top), Tick("0", bottom)),
    )


def _total(datum: Datum) -> float:
    return sum(value or 0 for value in datum.values)
