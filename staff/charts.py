"""Charts drawn on the server as inline SVG (no JavaScript): bars and their labels as plain numbers."""

from __future__ import annotations

from dataclasses import dataclass

from storage.services.report import Day

WIDTH = 720
HEIGHT = 180
LEFT = 40  # room for the scale
BOTTOM = 20  # room for the dates


@dataclass
class Bar:
    x: float
    width: float
    y: float
    height: float
    fail_y: float
    fail_height: float
    day: Day
    label: str  # the date under every seventh bar, else ""


@dataclass
class BarChart:
    width: int
    height: int
    left: int
    base: int  # y of the x axis
    top: int  # the scale's maximum
    bars: list[Bar]


def checks_per_day(days: list[Day]) -> BarChart:
    """Checks per day (grey) with the failed checks of each day (red) drawn over them."""
    top = max([d.checks for d in days] + [1])
    base = HEIGHT - BOTTOM
    plot = base - 10
    step = (WIDTH - LEFT) / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        height = plot * day.checks / top
        fail_height = plot * min(day.failures, day.checks) / top
        bars.append(
            Bar(
                x=round(LEFT + index * step + 1, 1),
                width=round(max(step - 2, 1), 1),
                y=round(base - height, 1),
                height=round(height, 1),
                fail_y=round(base - fail_height, 1),
                fail_height=round(fail_height, 1),
                day=day,
                label=day.day.strftime("%m-%d") if index % 7 == 0 else "",
            )
        )
    return BarChart(WIDTH, HEIGHT, LEFT, base, top, bars)
