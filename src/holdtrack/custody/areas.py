"""The area of responsibility copied onto each booking (``Booking.area``, ADR 0044).

An area's bookings are listed newest first; through the custodian's jurisdiction PostgreSQL had to walk every
booking of the area, or of the whole table, to find a page. The copy lets one index range give a page's keys
(``custody.access.booking_keys_for_user``); the rows are read through the access rule, so a stale copy can hide a
booking from a page, never show it to another area. The copy is set when a booking is recorded and moved here
when an agency changes jurisdiction or a jurisdiction changes area.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models.signals import post_save

from holdtrack.core.rows import value_rows
from holdtrack.custody.models import Booking
from holdtrack.jurisdictions.models import Jurisdiction, LawEnforcementAgency
from holdtrack.jurisdictions.signals import areas_changed


def areas_of(lea_ids: Iterable[int] | None = None) -> dict[int, int | None]:
    """Each agency's area of responsibility (its jurisdiction's), by agency id; all agencies for None."""
    qs = LawEnforcementAgency.objects.all()
    if lea_ids is not None:
        qs = qs.filter(pk__in=set(lea_ids))
    return dict(qs.values_list("pk", "jurisdiction__aor_id"))


def area_of(lea: LawEnforcementAgency | int) -> int | None:
    """One agency's area: from its jurisdiction where the agency was read with it (``select_related``), else by
    one lookup compiled once (a booking's area and its parties ask it on every booking an API client posts)."""
    if isinstance(lea, LawEnforcementAgency):
        if "jurisdiction" in lea._state.fields_cache:
            return lea.jurisdiction.aor_id
        lea = lea.pk
    found = value_rows(
        ("custody.area_of",), lambda pk: LawEnforcementAgency.objects.filter(pk=pk).values("jurisdiction__aor_id"), lea
    )
    return found[0]["jurisdiction__aor_id"] if found else None


def booking_areas_sync(lea_ids: Iterable[int] | None = None) -> int:
    """Give the bookings of these agencies (all for None) their custodian's area where it differs; the number
    of bookings moved. One UPDATE per area, touching only the rows that change."""
    by_area: dict[int | None, list[int]] = defaultdict(list)
    for lea, area in areas_of(lea_ids).items():
        by_area[area].append(lea)
    moved = 0
    for area, leas in by_area.items():
        stale = Booking.objects.filter(custodian_id__in=leas)
        if area is None:
            moved += stale.filter(area__isnull=False).update(area=None)
        else:
            moved += stale.exclude(area_id=area).update(area_id=area)  # exclude() keeps the NULLs
    return moved


def booking_areas_repair() -> int:
    """Give their copy to bookings recorded without one — by the previous release while an upgrade runs
    ``custody.0008`` and before its restart — so they reappear on their area's pages; the sweep runs it every
    minute. Bookings of an agency in a jurisdiction without an area rightly keep none and are left alone."""
    stale = Booking.objects.filter(area__isnull=True, custodian__jurisdiction__aor__isnull=False)
    leas = set(stale.values_list("custodian_id", flat=True).distinct())
    return booking_areas_sync(leas) if leas else 0


def _on_areas_changed(sender: Any, lea_ids: Iterable[int] | None = None, **kwargs: Any) -> None:
    booking_areas_sync(lea_ids)


def _on_agency_saved(sender: Any, instance: LawEnforcementAgency, created: bool, **kwargs: Any) -> None:
    if not created:  # a new agency has no bookings yet
        booking_areas_sync([instance.pk])


def _on_jurisdiction_saved(sender: Any, instance: Jurisdiction, created: bool, **kwargs: Any) -> None:
    if not created:
        booking_areas_sync(instance.agencies.values_list("pk", flat=True))


def connect() -> None:
    """Called once by the custody app: keep the copies when the reference data moves."""
    areas_changed.connect(_on_areas_changed, dispatch_uid="custody.areas")
    post_save.connect(_on_agency_saved, sender=LawEnforcementAgency, dispatch_uid="custody.areas.agency")
    post_save.connect(_on_jurisdiction_saved, sender=Jurisdiction, dispatch_uid="custody.areas.jurisdiction")
