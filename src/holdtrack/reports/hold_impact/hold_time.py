"""The hold's own time: for each hold booking, when its other charges were resolved, when the hold was released
and the person left, and the time added after the other charges (docs/hold-impact.md, "The hold's own time").

"Held past the other charges" (UWCHR ``analyze.py``, ``held_longer_on_detainer``): the hold charge's release
came strictly after the latest release of every other charge of the booking. A booking whose only charge is
the hold, or whose other charges have no release time, does not count. Where a booking has a holdtrack
detainer, its hold-ceiling clock and over-detention flags are linked.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, timedelta
from typing import Any

from holdtrack.reports.hold_impact.facts import BookingFact


def _iso(value: Any) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def hold_time_rows(facts: Sequence[BookingFact]) -> list[dict[str, Any]]:
    """One row per hold booking (for the LEA's evidence; not on the aggregate pages)."""
    out = []
    for f in facts:
        if not f.hold:
            continue
        other, hold_end = f.other_charges_resolved_at, f.hold_released_at
        held_past = other is not None and hold_end is not None and hold_end > other
        added = (hold_end - other) / timedelta(hours=1) if held_past and other and hold_end else 0.0
        link = f.detainer
        row: dict[str, Any] = {
            "booking_number": f.booking_number,
            "booked_at": _iso(f.booked_at),
            "other_charges_resolved_at": _iso(other),
            "hold_released_at": _iso(hold_end),
            "left_at": _iso(f.released_at),
            "held_past_other_charges": held_past,
            "added_hours": round(added, 6),
            "detainer_id": None,
            "hold_ceiling_at": None,
            "hold_rule": "",
            "left_after_ceiling": None,
            "over_detention_flags": [],
            "hold_minutes_used": None,
        }
        if link is not None:
            ceiling = link.hold_expires_at
            row.update(
                detainer_id=link.detainer_id,
                hold_ceiling_at=_iso(ceiling),
                hold_rule=link.hold_rule,
                left_after_ceiling=None if ceiling is None else f.released_at > ceiling,
                over_detention_flags=list(link.flags),
                hold_minutes_used=link.hold_minutes_used,
            )
        out.append(row)
    return out


def hold_time_summary(facts: Sequence[BookingFact]) -> dict[str, Any]:
    rows = hold_time_rows(facts)
    with_other = [r for r in rows if r["other_charges_resolved_at"] is not None]
    past = [r["added_hours"] for r in rows if r["held_past_other_charges"]]
    linked = [r for r in rows if r["detainer_id"] is not None]
    flags: Counter[str] = Counter(code for r in linked for code in r["over_detention_flags"])
    return {
        "hold_bookings": len(rows),
        "with_other_charge_release": len(with_other),
        "held_past_other_charges": len(past),
        "added_hours": {
            "total": round(sum(past), 4) if past else 0.0,
            "mean": round(statistics.fmean(past), 6) if past else None,
            "median": round(statistics.median(past), 6) if past else None,
            "max": round(max(past), 6) if past else None,
        },
        "with_detainer": len(linked),
        "left_after_hold_ceiling": sum(1 for r in linked if r["left_after_ceiling"]),
        "over_detention_flagged": sum(1 for r in linked if r["over_detention_flags"]),
        "over_detention_flags": dict(sorted(flags.items())),
    }
