"""One fact per released feed booking: what every hold-impact figure is computed from (docs/hold-impact.md).

The population is the bookings imported from jail feeds whose provenance row (``BookingImportRow``, event
BOOKING) carries the LEA-side hold flag, released, in the filters' release period and charge types. A booking
is a hold booking when the feed flags it or when a holdtrack detainer's hold started on it.

Days in custody are counted on the jail's wall clock: booking to release in the facility's time zone, as the
UWCHR study does (``release_dt - booking_dt`` over local times); across a DST change this differs from the
elapsed time by an hour (ADR 0023).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from holdtrack.cases.models import Detainer
from holdtrack.custody.models import BookingImportRow, FeedEvent

TOPCODE = 10  # charge counts of 10 or more are one category (UWCHR charges.py: charge_topcount)
UNKNOWN = "not recorded"


@dataclass(frozen=True)
class Levels:
    labels: dict[int, str]
    groups: dict[int, str]
    level_groups: dict[str, str]


@cache
def levels() -> Levels:
    """The seriousness levels and their grouping, held as data in ``seriousness.toml``."""
    data = tomllib.loads((Path(__file__).parent / "seriousness.toml").read_text(encoding="utf-8"))
    return Levels(
        labels={int(x["value"]): str(x["label"]) for x in data["level"]},
        groups={int(x["value"]): str(x["group"]) for x in data["level"]},
        level_groups={str(k): str(v) for k, v in data["charge_level_group"].items()},
    )


@dataclass(frozen=True)
class DetainerLink:
    """The holdtrack detainer on a hold booking: its hold-ceiling clock and over-detention flags."""

    detainer_id: int
    hold_started_at: datetime | None
    hold_expires_at: datetime | None
    hold_rule: str
    flags: tuple[str, ...]
    hold_minutes_used: int | None


@dataclass(frozen=True)
class BookingFact:
    booking_id: int
    booking_number: str
    mapping: str
    hold: bool
    booked_at: datetime
    released_at: datetime
    days: float
    booking_year: int
    charge_type: str
    sex: str
    race: str
    born_in_us: str  # "yes" | "no" | UNKNOWN
    seriousness: int | None
    seriousness_group: str
    charge_count: int | None  # top-coded at TOPCODE
    paid_bail: bool | None
    charge_records: int | None  # only where the feed carries the booking's complete charge records
    charge_records_pr: int | None
    disposition: str
    other_charges_resolved_at: datetime | None
    hold_released_at: datetime | None
    detainer: DetainerLink | None


def wall_days(booked_at: datetime, released_at: datetime, tz_name: str) -> float:
    """Days between two instants read on the jail's wall clock (the study's ``time_detained``)."""
    zone = ZoneInfo(tz_name or "UTC")
    start = booked_at.astimezone(zone).replace(tzinfo=None)
    end = released_at.astimezone(zone).replace(tzinfo=None)
    return (end - start) / timedelta(days=1)


def _local(value: str, tz_name: str) -> datetime | None:
    """A feed's local date-time column (``YYYY-MM-DD HH:MM:SS``) as an instant; blank is None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(tz_name or "UTC"))


def _int(value: Any) -> int | None:
    try:
        return int(float(str(value)))
    except ValueError:
        return None


def _flag(value: Any) -> bool | None:
    word = str(value or "").strip().lower()
    if word in ("1", "true", "yes"):
        return True
    if word in ("0", "false", "no"):
        return False
    return None


SEX_LABELS = {"M": "male", "F": "female", "X": "another sex", "U": UNKNOWN}


def _born_in_us(data: Mapping[str, Any], birth_country: str) -> str:
    flag = _flag(data.get("born_in_us"))
    if flag is None and birth_country:
        flag = birth_country.strip().upper() in ("US", "USA", "UNITED STATES", "UNITED STATES OF AMERICA")
    return UNKNOWN if flag is None else ("yes" if flag else "no")


def _seriousness(charges: Any) -> int | None:
    values = [c.get("seriousness") for c in charges or [] if isinstance(c, dict)]
    known = [int(v) for v in values if isinstance(v, int | float) and int(v) >= 0]
    return max(known) if known else None


def _charge_count(data: Mapping[str, Any], charges: Any) -> int | None:
    for key in ("charge_topcount", "charge_count"):
        n = _int(data.get(key, ""))
        if n is not None:
            return min(n, TOPCODE)
    return min(len(charges), TOPCODE) if charges else None


def _links(booking_ids: Iterable[int]) -> dict[int, DetainerLink]:
    """Per booking, its detainer whose hold started (else the latest one)."""
    out: dict[int, DetainerLink] = {}
    rows = Detainer.objects.filter(booking_id__in=list(booking_ids)).order_by("booking_id", "prepared_at", "pk")
    for d in rows.values(
        "pk",
        "booking_id",
        "hold_started_at",
        "hold_expires_at",
        "hold_rule",
        "over_detention_flags",
        "hold_minutes_used",
    ):
        current = out.get(d["booking_id"])
        if current is not None and current.hold_started_at is not None and d["hold_started_at"] is None:
            continue
        out[d["booking_id"]] = DetainerLink(
            detainer_id=d["pk"],
            hold_started_at=d["hold_started_at"],
            hold_expires_at=d["hold_expires_at"],
            hold_rule=d["hold_rule"],
            flags=tuple(str(f.get("code", "")) for f in d["over_detention_flags"] or [] if isinstance(f, dict)),
            hold_minutes_used=d["hold_minutes_used"],
        )
    return out


def booking_facts(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    charge_types: Iterable[str] = (),
    exclude_charge_types: Iterable[str] = (),
) -> list[BookingFact]:
    rows = BookingImportRow.objects.filter(
        event=FeedEvent.BOOKING, immigration_hold__isnull=False, booking__released_at__isnull=False
    )
    if date_from is not None:
        rows = rows.filter(booking__released_at__date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(booking__released_at__date__lt=date_to + timedelta(days=1))
    include = {t.strip().lower() for t in charge_types if t.strip()}
    exclude = {t.strip().lower() for t in exclude_charge_types if t.strip()}
    if include:
        rows = rows.filter(charge_type__in=include)
    if exclude:
        rows = rows.exclude(charge_type__in=exclude)
    values = list(
        rows.values(
            "booking_id",
            "booking_number",
            "immigration_hold",
            "charge_type",
            "source_disposition",
            "data",
            "run__mapping",
            "booking__booked_at",
            "booking__released_at",
            "booking__release_eligible_at",
            "booking__release_type",
            "booking__charges",
            "booking__charge_level",
            "booking__stated_birth_country",
            "booking__facility__timezone",
            # Read for counting only: no attribute of a person leaves this module except inside aggregates
            # (the per-booking rows of ``hold_time`` carry times and the booking number, never the person).
            "booking__subject__sex",
            "booking__subject__birth_country",
        )
    )
    links = _links(v["booking_id"] for v in values)
    lv = levels()
    facts = []
    for v in values:
        tz, data = v["booking__facility__timezone"], v["data"] or {}
        booked, released = v["booking__booked_at"], v["booking__released_at"]
        if released is None:  # filtered out above; for the type checker
            continue
        link = links.get(v["booking_id"])
        hold = bool(v["immigration_hold"]) or (link is not None and link.hold_started_at is not None)
        seriousness = _seriousness(v["booking__charges"])
        group = lv.groups.get(seriousness, UNKNOWN) if seriousness is not None else None
        if group is None:
            group = lv.level_groups.get(v["booking__charge_level"], UNKNOWN)
        complete = _flag(data.get("charge_records_complete"))
        records = _int(data.get("n_charge_records", "")) if complete else None
        # The other charges resolved: the feed's latest non-hold charge release where it carries one, else the
        # release eligibility holdtrack recorded (the end of the LEA's own authority).
        other = _local(data.get("last_other_charge_dt_release", ""), tz) if complete else None
        if other is None and not complete:
            other = v["booking__release_eligible_at"]
        hold_released = _local(data.get("imm_hold_charge_dt_release", ""), tz) or (released if hold else None)
        facts.append(
            BookingFact(
                booking_id=v["booking_id"],
                booking_number=v["booking_number"],
                mapping=v["run__mapping"] or "",
                hold=hold,
                booked_at=booked,
                released_at=released,
                days=wall_days(booked, released, tz),
                booking_year=booked.astimezone(ZoneInfo(tz or "UTC")).year,
                charge_type=v["charge_type"] or UNKNOWN,
                sex=SEX_LABELS.get(v["booking__subject__sex"], UNKNOWN),
                race=str(data.get("race") or UNKNOWN),
                born_in_us=_born_in_us(
                    data, v["booking__subject__birth_country"] or v["booking__stated_birth_country"] or ""
                ),
                seriousness=seriousness,
                seriousness_group=group,
                charge_count=_charge_count(data, v["booking__charges"]),
                paid_bail=_flag(data.get("paid_bail")),
                charge_records=records,
                charge_records_pr=_int(data.get("n_charge_records_pr", "")) if records is not None else None,
                disposition=v["source_disposition"] or v["booking__release_type"] or UNKNOWN,
                other_charges_resolved_at=other,
                hold_released_at=hold_released if hold else None,
                detainer=link,
            )
        )
    return facts
