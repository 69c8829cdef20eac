"""Server-side SVG of the days-in-custody distribution: for each log-scale bin, the share of hold and of no-hold
bookings (grouped bars). Geometry only; the template draws it with classes from reports.css (no inline style, no
script: CSP-clean). Suppressed bins have no bar and are marked; the table beside the chart has every number."""

from __future__ import annotations

import math
from typing import Any

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 92
GROUPS = ("hold", "no_hold")


def _short(i: int) -> str:
    """The bin's lower edge: the axis of a log scale reads as doubling steps."""
    from holdtrack.reports.hold_impact.tables import EDGES

    if i == 0:
        return "0"
    d = EDGES[i - 1]
    return f"{int(d * 24)} h" if d < 1 else f"{int(d)} d"


def distribution_chart(table: dict[str, Any]) -> dict[str, Any]:
    rows = table["rows"]
    shares = [r[f"{g}_share"] for r in rows for g in GROUPS if r[f"{g}_share"] is not None]
    top = max(0.1, math.ceil(max(shares, default=0.1) * 10) / 10)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(rows))
    bar = slot * 0.38
    bars, labels, marks = [], [], []
    for i, r in enumerate(rows):
        x0 = LEFT + i * slot
        for k, g in enumerate(GROUPS):
            share = r[f"{g}_share"]
            x = x0 + slot * 0.1 + k * bar
            if share is None:
                if r[f"{g}_bookings"] is None:
                    marks.append({"x": round(x + bar / 2, 1), "y": TOP + plot_h - 4, "group": g})
                continue
            h = plot_h * share / top
            bars.append(
                {
                    "x": round(x, 1),
                    "y": round(TOP + plot_h - h, 1),
                    "w": round(bar, 1),
                    "h": round(h, 1),
                    "group": g,
                    "title": f"{r['category']}: {share:.1%} of bookings {'with' if g == 'hold' else 'without'} a hold",
                }
            )
        labels.append({"x": round(x0, 1), "y": TOP + plot_h + 14, "text": _short(i)})
    ticks = []
    for j in range(round(top * 10) + 1):
        value = j / 10
        ticks.append({"y": round(TOP + plot_h - plot_h * value / top, 1), "text": f"{value:.0%}"})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "base": TOP + plot_h,
        "bars": bars,
        "labels": labels,
        "ticks": ticks,
        "marks": marks,
        "legend_y": HEIGHT - 10,
    }
