"""Server-side SVG bar charts of the hold-impact page: grouped bars (with a hold, without) per category. Geometry
only; ``reports/_bars.html`` draws it with classes from reports.css — no inline style, no script, so the page
is clean under the Content-Security-Policy (vega-embed applies inline styles). The tables beside each chart have
every number; a bar whose value is suppressed is not drawn and is marked."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from holdtrack.reports.hold_impact.tables import EDGES

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 92
GROUPS = ("hold", "no_hold")
WORDS = {"hold": "with a hold", "no_hold": "without a hold"}


def _nice(top: float) -> tuple[float, float]:
    """An axis maximum and tick step: 1, 2 or 5 times a power of ten, about five ticks."""
    if top <= 0:
        return 1.0, 0.2
    raw = top / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * math.ceil(top / step), step


def grouped_bars(
    categories: Sequence[str],
    values: dict[str, Sequence[float | None]],
    *,
    tick: Callable[[float], str],
    describe: Callable[[str, str, float], str],
    labels: Sequence[str] | None = None,
    hidden: dict[str, Sequence[bool]] | None = None,
) -> dict[str, Any]:
    present = [v for g in GROUPS for v in values[g] if v is not None]
    axis_max, step = _nice(max(present, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(categories))
    bar = slot * 0.38
    bars, texts, marks = [], [], []
    for i, category in enumerate(categories):
        x0 = LEFT + i * slot
        for k, g in enumerate(GROUPS):
            value = values[g][i]
            x = x0 + slot * 0.1 + k * bar
            if value is None:
                if hidden and hidden[g][i]:
                    marks.append({"x": round(x + bar / 2, 1), "y": TOP + plot_h - 4})
                continue
            h = plot_h * value / axis_max
            bars.append(
                {
                    "x": round(x, 1),
                    "y": round(TOP + plot_h - h, 1),
                    "w": round(bar, 1),
                    "h": round(h, 1),
                    "group": g,
                    "title": describe(category, WORDS[g], value),
                }
            )
        texts.append({"x": round(x0 + slot * 0.1, 1), "y": TOP + plot_h + 14, "text": (labels or categories)[i]})
    ticks = []
    for j in range(round(axis_max / step) + 1):
        value = j * step
        ticks.append({"y": round(TOP + plot_h - plot_h * value / axis_max, 1), "text": tick(value)})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "tick_x": LEFT - 6,
        "right": WIDTH - RIGHT,
        "base": TOP + plot_h,
        "bars": bars,
        "labels": texts,
        "ticks": ticks,
        "marks": marks,
        "legend_y": HEIGHT - 10,
        "legend_box_y": HEIGHT - 20,
        "axis_title_y": HEIGHT - 38,
        "legend_x": (LEFT, LEFT + 18, LEFT + 130, LEFT + 148),
    }


def _lower_edge(i: int) -> str:
    """A distribution bin's lower edge: the axis of a log scale reads as doubling steps."""

    if i == 0:
        return "0"
    d = EDGES[i - 1]
    return f"{int(d * 24)} h" if d < 1 else f"{int(d)} d"


def distribution_chart(table: dict[str, Any]) -> dict[str, Any]:
    """Share of each group's bookings per log-scale bin of days in custody (``tables.distribution``)."""
    rows = table["rows"]
    return grouped_bars(
        [r["category"] for r in rows],
        {g: [r[f"{g}_share"] for r in rows] for g in GROUPS},
        tick=lambda v: f"{v:.0%}",
        describe=lambda c, g, v: f"{c}: {v:.1%} of bookings {g}",
        labels=[_lower_edge(i) for i in range(len(rows))],
        hidden={g: [r[f"{g}_bookings"] is None for r in rows] for g in GROUPS},
    )


def median_chart(result: dict[str, Any]) -> dict[str, Any]:
    """Median days in custody, overall and by charge type."""
    entries = [("all charges", result), *((r["charge_type"], r) for r in result["by_charge_type"])]
    return grouped_bars(
        [name for name, _ in entries],
        {g: [e[g]["median_days"] for _, e in entries] for g in GROUPS},
        tick=lambda v: f"{v:g}",
        describe=lambda c, g, v: f"{c}, {g}: median {v:,.1f} days",
    )
