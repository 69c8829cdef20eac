"""Re-screening stored bookings and exporting the proposals (``holdtrack screening rescreen|export``).

Re-screening applies the active (or a named) model version to bookings already stored — after a new model,
or for bookings imported before the registry held their subject. It adds no duplicate proposal (one match
per booking and subject), gives a still-PROPOSED match the new score, and never touches a CONFIRMED or
REJECTED decision. One audit event covers the whole run.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from django.db.models import Q
from django.utils import timezone

from holdtrack.accounts.models import User
from holdtrack.audit.services import audit_record
from holdtrack.core.errors import ValidationFailed
from holdtrack.custody.models import Booking, IdentifierType, IdentityMatch, SubjectIdentifier
from holdtrack.kernel.parties import authorize
from holdtrack.kernel.steps import when
from holdtrack.screening.models import ScreeningModel
from holdtrack.screening.proposals import ranges
from holdtrack.screening.services import active_model, screen_bookings

CHUNK = 2000
Progress = Callable[[str, int, int | None], None]


@dataclass
class RescreenResult:
    model_version: str
    screened: int = 0
    candidates: int = 0
    proposed: int = 0
    biometric: int = 0
    updated: int = 0
    wide: int = 0  # bookings probed by the second-stage blocking rules
    deep: int = 0  # bookings probed by the third-stage rules
    spelled: int = 0  # bookings read again with a misspelt name corrected (fourth stage)

    def summary(self) -> str:
        return (
            f"{self.screened:,} bookings re-screened with {self.model_version}: {self.proposed:,} new proposals "
            f"({self.biometric:,} biometric), {self.updated:,} proposed matches re-scored, "
            f"{self.candidates:,} candidates scored, {self.spelled:,} bookings read with a misspelt name corrected"
        )


def bookings_rescreen(
    *,
    actor: User,
    since: date | None = None,
    model_version: str | None = None,
    at: datetime | None = None,
    progress: Progress | None = None,
) -> RescreenResult:
    """Screen the stored bookings (booked on or after ``since``) again; see the module docstring."""
    authorize(actor, "bookings_rescreen")
    at = when(at)
    if model_version:
        model = ScreeningModel.objects.filter(version=model_version).first()
        if model is None:
            raise ValidationFailed(f"No screening model version {model_version!r} (see `holdtrack screening models`).")
    else:
        model = active_model()
        if model is None:
            raise ValidationFailed("No active screening model: train one first (`holdtrack screening train`).")
    # Bookings of people outside the registry (a registry subject's own record is never screened against itself).
    qs = Booking.objects.filter(subject__registry_key__isnull=True)
    if since is not None:
        qs = qs.filter(
            booked_at__gte=timezone.make_aware(datetime.combine(since, time.min), timezone.get_current_timezone())
        )
    ids = list(qs.order_by("id").values_list("id", flat=True))
    result = RescreenResult(model.version)
    created: list[int] = []
    rescored: list[int] = []
    for start in range(0, len(ids), CHUNK):
        part = list(Booking.objects.filter(id__in=ids[start : start + CHUNK]).select_related("subject").order_by("id"))
        r = screen_bookings(actor=actor, bookings=part, at=at, model=model, refresh=True, audit=False)
        result.screened += r.screened
        result.candidates += r.candidates
        result.proposed += r.proposed
        result.biometric += r.biometric
        result.wide += r.wide
        result.deep += r.deep
        result.spelled += r.spelled
        result.updated += len(r.updated_ids)
        created.extend(r.match_ids)
        rescored.extend(r.updated_ids)
        if progress:
            progress("bookings", result.screened, len(ids))
    audit_record(
        actor=actor,
        action="screening.rescreen",
        entity_type="screening_model",
        entity_id=model.pk,
        data={
            "model_version": model.version,
            "since": since.isoformat() if since else None,
            "bookings": result.screened,
            "booking_ids": ranges(ids),
            "proposed": result.proposed,
            "biometric": result.biometric,
            "updated": result.updated,
            "match_ids": ranges(sorted(created)),
            "rescored_match_ids": ranges(sorted(rescored)),
        },
        at=at,
    )
    return result


# ------------------------------------------------------------------------------------------------ export

EXPORT_COLUMNS = ("booking_number", "agency_ori", "registry_subject_id", "probability", "state", "model_version")


def identity_matches_export(*, actor: User, out: Path) -> int:
    """Every proposal as one CSV row (``EXPORT_COLUMNS``). Personal data: agency roles and the system
    account only; each export is one access event. Returns the number of rows written."""
    authorize(actor, "identity_matches_export")
    matches = (
        IdentityMatch.objects.select_related("booking__custodian")
        .order_by("id")
        .values_list(
            "id", "booking__booking_number", "booking__custodian__ori", "subject_id", "score", "status", "model_version"
        )
    )
    keys: dict[int, str] = dict(
        SubjectIdentifier.objects.filter(type=IdentifierType.AGENCY_KEY)
        .filter(Q(subject__matches__isnull=False))
        .values_list("subject_id", "value")
        .distinct()
    )
    n = 0
    first = last = None
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(EXPORT_COLUMNS)
        for mid, number, ori, sid, score, status, version in matches.iterator(chunk_size=5000):
            w.writerow([number, ori or "", keys.get(sid, ""), "" if score is None else f"{score:.6f}", status, version])
            n += 1
            first = mid if first is None else first
            last = mid
    audit_record(
        actor=actor,
        action="identity_match.export",
        entity_type="identity_match",
        entity_id="export",
        data={"rows": n, "file": out.name, "first_match_id": first, "last_match_id": last},
    )
    return n
