"""Places by stable identifiers and the per-case facts the cells are counted from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import Q

from holdtrack.audit.models import CaseType, Transition
from holdtrack.cases.models import (
    LIFT_REASON_GROUP,
    TERMINAL_STATES,
    CourtCase,
    Detainer,
    DetainerState,
    OutcomeGroup,
    Subpoena,
)
from holdtrack.jurisdictions.models import LawEnforcementAgency, Level
from holdtrack.reports.models.stats import (
    DetainerFact,
    SubpoenaFact,
)

S = DetainerState


# ------------------------------------------------------------------------------------------------ places


@dataclass(frozen=True)
class Place:
    state_abbr: str
    aor: str
    county_fips: str


def places_for_leas(lea_ids: Iterable[int]) -> dict[int, Place]:
    """State, AOR and county of each agency, from its jurisdiction: a county's own FIPS; a city's county; a
    city spanning several counties (New York City) or a statewide agency has no county."""
    out: dict[int, Place] = {}
    leas = LawEnforcementAgency.objects.filter(pk__in=set(lea_ids)).select_related(
        "jurisdiction__aor", "jurisdiction__parent__aor"
    )
    for lea in leas:
        j = lea.jurisdiction
        county = ""
        aor = j.aor.name if j.aor is not None else ""
        if j.level == Level.COUNTY:
            county = j.fips
        elif j.parent is not None and j.parent.level == Level.COUNTY:
            county = j.parent.fips
            aor = aor or (j.parent.aor.name if j.parent.aor is not None else "")
        elif j.level in (Level.MUNICIPALITY, Level.CONSOLIDATED):
            members = list(j.member_counties.values_list("fips", flat=True)[:2])
            if len(members) == 1:
                county = members[0]
        out[lea.pk] = Place(j.state_abbr, aor, county if len(county) == 5 else "")
    return out


def month_of(value: datetime | date | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
    return date(value.year, value.month, 1)


# ------------------------------------------------------------------------------------------------- facts

STATE_GROUP: dict[str, str] = {
    S.CUSTODY_TRANSFERRED: OutcomeGroup.CUSTODY_TRANSFERRED,
    S.DECLINED: OutcomeGroup.DECLINED_BY_LEA,
    S.RELEASED_WINDOW_EXPIRED: OutcomeGroup.HOLD_EXPIRED_RELEASED,
    S.RELEASED_BEFORE_PICKUP: OutcomeGroup.RELEASED_BEFORE_PICKUP,
    S.RELEASED_NOTICE_GIVEN: OutcomeGroup.RELEASED_BEFORE_PICKUP,
    S.TRANSFERRED_TO_AGENCY: OutcomeGroup.TRANSFERRED_WITH_CUSTODY,
}
_EVENT_NAMES = {
    "decline": "declined_at",
    "expire_hold": "lapsed_at",
    "transfer_custody": "transferred_at",
    "transfer_to_agency": "to_agency_at",
    "close": "closed_at",
}


def _effective_outcome(state: str, outcome_group: str, lift_reason: str) -> str:
    if outcome_group and outcome_group != OutcomeGroup.OPEN_OR_UNKNOWN:
        return outcome_group
    if state == S.LIFTED:
        return str(LIFT_REASON_GROUP.get(lift_reason, OutcomeGroup.LIFTED_UNSPECIFIED))
    return str(STATE_GROUP.get(state, OutcomeGroup.OPEN_OR_UNKNOWN))


def flag_bits(flags: Any) -> int:
    bits = 0
    for flag in flags or []:
        code = str(flag.get("code", "")) if isinstance(flag, dict) else str(flag)
        if len(code) == 2 and code[0] == "V" and code[1] in "12345678":
            bits |= 1 << (int(code[1]) - 1)
    return bits


def detainer_facts(ids: Iterable[int]) -> dict[int, DetainerFact]:
    """Facts of the given detainers, from the case table and the transition log (unsaved rows)."""
    ids = list(set(ids))
    if not ids:
        return {}
    rows = list(
        Detainer.objects.filter(pk__in=ids).values(
            "id",
            "addressed_lea_id",
            "addressed_lea__ori",
            "facility__code",
            "form_type",
            "request_type",
            "prepared_at",
            "lea_decision",
            "decided_at",
            "outcome_group",
            "outcome_at",
            "state",
            "lift_reason",
            "over_detention_flags",
            "booking__release_eligible_at",
        )
    )
    events: dict[int, dict[str, datetime]] = defaultdict(dict)
    terminal_at: dict[int, datetime] = {}
    for case_id, name, at, target in (
        Transition.objects.filter(case_type=CaseType.DETAINER, case_id__in=ids)
        .filter(Q(name__in=list(_EVENT_NAMES)) | Q(target__in=list(TERMINAL_STATES)))
        .order_by("case_id", "seq")
        .values_list("case_id", "name", "at", "target")
    ):
        key = _EVENT_NAMES.get(name)
        if key and key not in events[case_id]:
            events[case_id][key] = at
        if target in TERMINAL_STATES and case_id not in terminal_at:
            terminal_at[case_id] = at
    places = places_for_leas(r["addressed_lea_id"] for r in rows)
    out: dict[int, DetainerFact] = {}
    for r in rows:
        ev = events.get(r["id"], {})
        place = places.get(r["addressed_lea_id"], Place("", "", ""))
        outcome = _effective_outcome(r["state"], r["outcome_group"], r["lift_reason"])
        outcome_at = None
        if outcome != OutcomeGroup.OPEN_OR_UNKNOWN:
            outcome_at = terminal_at.get(r["id"]) or r["outcome_at"]
        transferred_at = ev.get("transferred_at")
        eligible = r["booking__release_eligible_at"]
        minutes = None
        if transferred_at is not None and eligible is not None:
            minutes = max(0, int((transferred_at - eligible).total_seconds() // 60))
        decided_at = r["decided_at"] if r["lea_decision"] else None
        out[r["id"]] = DetainerFact(
            detainer_id=r["id"],
            state_abbr=place.state_abbr,
            aor=place.aor,
            county_fips=place.county_fips,
            ori=r["addressed_lea__ori"],
            facility_code=r["facility__code"],
            form_type=r["form_type"],
            request_type=r["request_type"],
            prepared_at=r["prepared_at"],
            prepared_month=month_of(r["prepared_at"]),  # type: ignore[misc]  # prepared_at is never null
            lea_decision=r["lea_decision"] or "",
            decided_month=month_of(decided_at),
            outcome_group=outcome,
            outcome_month=month_of(outcome_at),
            declined_month=month_of(ev.get("declined_at")),
            lapsed_month=month_of(ev.get("lapsed_at")),
            transferred_month=month_of(transferred_at),
            elig_transfer_minutes=minutes,
            to_agency_month=month_of(ev.get("to_agency_at")),
            closed_month=month_of(ev.get("closed_at")),
            flag_bits=flag_bits(r["over_detention_flags"]),
        )
    return out


FACT_FIELDS = [f.attname for f in DetainerFact._meta.concrete_fields if not f.primary_key]
SUBPOENA_FACT_FIELDS = [f.attname for f in SubpoenaFact._meta.concrete_fields if not f.primary_key]


def subpoena_facts(ids: Iterable[int]) -> dict[int, SubpoenaFact]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = list(
        Subpoena.objects.filter(pk__in=ids).values(
            "id", "recipient_lea_id", "recipient_lea__ori", "state", "issued_at", "served_at", "return_due_at"
        )
    )
    complied: dict[int, tuple[datetime, bool]] = {}
    responded: dict[int, datetime] = {}
    for case_id, name, at in (
        Transition.objects.filter(case_type=CaseType.SUBPOENA, case_id__in=ids)
        .filter(name__in=["comply", "comply_partially", "object", "decline", "comply_under_order"])
        .order_by("case_id", "seq")
        .values_list("case_id", "name", "at")
    ):
        responded.setdefault(case_id, at)
        if name in ("comply", "comply_under_order") and case_id not in complied:
            complied[case_id] = (at, name == "comply_under_order")
    courts = {
        c["referral__subpoena_id"]: c
        for c in CourtCase.objects.filter(referral__subpoena_id__in=ids).values(
            "referral__subpoena_id", "state", "filed_at"
        )
    }
    places = places_for_leas(r["recipient_lea_id"] for r in rows)
    out: dict[int, SubpoenaFact] = {}
    for r in rows:
        place = places.get(r["recipient_lea_id"], Place("", "", ""))
        c = complied.get(r["id"])
        court = courts.get(r["id"])
        out[r["id"]] = SubpoenaFact(
            subpoena_id=r["id"],
            state_abbr=place.state_abbr,
            aor=place.aor,
            county_fips=place.county_fips,
            ori=r["recipient_lea__ori"],
            state=r["state"],
            issued_month=month_of(r["issued_at"]),
            served_month=month_of(r["served_at"]),
            complied_month=month_of(c[0]) if c else None,
            complied_under_order=bool(c and c[1]),
            return_due_at=r["return_due_at"],
            responded_at=responded.get(r["id"]),
            court_state=court["state"] if court else "",
            court_filed_month=month_of(court["filed_at"]) if court else None,
        )
    return out
