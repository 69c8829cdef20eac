"""What a run left in the database, counted from the database (so a skipped re-run reports the same).

A run is identified by its booking numbers (``S<seed>-nnnnnnn``); subpoenas, referrals and court cases are
those that follow from its detainers; citizenship claims are those of its subjects.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count

from holdtrack.cases.models import CourtCase, Detainer, EnforcementReferral, Notification, Subpoena
from holdtrack.custody.models import Booking, CitizenshipClaim, IdentityMatch
from holdtrack.simulation.planner import booking_prefix, top_share

TOP = 10


def _by(qs: Any, field: str, top: int = TOP) -> dict[str, int]:
    rows = list(qs.values(field).annotate(n=Count("id")).order_by("-n", field))
    out = {str(r[field] or "—"): r["n"] for r in rows[:top]}
    other = sum(r["n"] for r in rows[top:])
    if other:
        out["other"] = other
    return out


def summarize(seed: int) -> dict[str, Any]:
    prefix = booking_prefix(seed)
    bookings = Booking.objects.filter(booking_number__startswith=prefix)
    detainers = Detainer.objects.filter(booking__booking_number__startswith=prefix)
    subpoenas = Subpoena.objects.filter(related_detainer__booking__booking_number__startswith=prefix)
    referrals = EnforcementReferral.objects.filter(subpoena__in=subpoenas)
    courts = CourtCase.objects.filter(referral__in=referrals)
    claims = CitizenshipClaim.objects.filter(subject__in=bookings.values("subject_id"))
    matches = IdentityMatch.objects.filter(booking__booking_number__startswith=prefix)

    flags: Counter[str] = Counter()
    flagged = 0
    for row in detainers.values_list("over_detention_flags", flat=True):
        if row:
            flagged += 1
            flags.update(str(f.get("code")) for f in row)

    n = detainers.count()
    per_state = dict(detainers.values_list("addressed_lea__jurisdiction__state_abbr").annotate(n=Count("id")))
    per_lea = [c for _, c in detainers.values_list("addressed_lea").annotate(n=Count("id"))]

    def share(states: tuple[str, ...]) -> float:
        return round(sum(per_state.get(s, 0) for s in states) / n, 3) if n else 0.0

    return {
        "seed": seed,
        "case_types": {
            "bookings": bookings.count(),
            "identity matches confirmed": matches.filter(status="CONFIRMED").count(),
            "identity matches rejected": matches.filter(status="REJECTED").count(),
            "detainers": n,
            "notifications": Notification.objects.filter(detainer__in=detainers).count(),
            "citizenship claims": claims.count(),
            "claims verified citizen": claims.filter(status="VERIFIED_USC").count(),
            "subpoenas": subpoenas.count(),
            "referrals": referrals.count(),
            "court cases": courts.count(),
        },
        "detainer_states": _by(detainers, "state"),
        "detainer_outcomes": _by(detainers, "outcome_group", top=20),
        "lift_reasons": _by(detainers.exclude(lift_reason=""), "lift_reason", top=20),
        "lea_decisions": _by(detainers, "lea_decision"),
        "subpoena_states": _by(subpoenas, "state"),
        "court_states": _by(courts, "state"),
        "over_detention": {"detainers flagged": flagged, **{f"flag {k}": v for k, v in sorted(flags.items())}},
        "concentration": {
            "receiving LEAs": len(per_lea),
            "top 9% of receiving LEAs, share": round(top_share([float(c) for c in per_lea]), 3),
            "CA+TX share": share(("CA", "TX")),
            "FL share": share(("FL",)),
        },
    }
