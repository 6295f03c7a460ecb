"""A bar chart of money by month, laid out for inline SVG (no JavaScript, nothing fetched).

Pure geometry: the template draws what this returns. Heights are proportional to the amount,
on a scale whose top is a round number, so the gridlines read as whole amounts.
"""

from dataclasses import dataclass
from datetime import date

WIDTH = 720
HEIGHT = 240
LEFT = 96  # room for the scale's labels
BOTTOM = 40  # room for the month labels
TOP = 16
GAP = 0.25  # share of each slot left empty between bars


@dataclass(frozen=True)
class Bar:
    start: date
    amount: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, amount in minor units)
    top: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM


def nice_top(largest: int) -> int:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above `largest` (1 when nothing was recovered)."""
    if largest <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= largest:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= largest:
            return top
    return 10 * magnitude


def layout(months: list[tuple[date, int]]) -> Chart:
    """Bars for (month start, amount) pairs, oldest first; a negative month draws as zero."""
    top = nice_top(max((amount for _, amount in months), default=0))
    plot_height = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(1, len(months))
    bars = []
    for i, (start, amount) in enumerate(months):
        height = plot_height * max(0, amount) / top
        x = LEFT + i * slot + slot * GAP / 2
        bars.append(Bar(start, amount, x, HEIGHT - BOTTOM - height, slot * (1 - GAP), height))
    ticks = [(HEIGHT - BOTTOM - plot_height * k / 4, top * k // 4) for k in range(5)]
    return Chart(bars, ticks, top)
