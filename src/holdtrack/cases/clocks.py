"""Legal clocks, computed from recorded events and a versioned rule. Never typed in.

Each clock can explain itself: what started it, which rule (id and version) set its length, and what
local law changed. Times are UTC instants; day-based rules count in the facility's or court's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import holidays

from holdtrack.cases.models import Notification, OrderType

# The rules live on the floor (core.legal_rules: the reference data cites them too); callers know them here.
from holdtrack.core.legal_rules import (
    R_CO_RELEASE_6H,
    R_COMPLY_BY,
    R_HOLD_48H,
    R_NEUTRAL_REVIEW,
    R_NOTICE_48H,
    R_SUBPOENA_RETURN,
    RULES,
    Rule,
)
from holdtrack.core.rows import read_all
from holdtrack.core.timeutil import iso, local

if TYPE_CHECKING:
    from holdtrack.cases.models import CourtCase, Detainer, Subpoena


@dataclass(frozen=True)
class Clock:
    name: str
    label: str
    starts_at: datetime
    due_at: datetime
    rule: str
    explanation: str
    stopped_at: datetime | None = None

    def status(self, now: datetime) -> str:
        if self.stopped_at is not None:
            return "met" if self.stopped_at <= self.due_at else "missed"
        return "running" if now < self.due_at else "expired"

    def remaining(self, now: datetime) -> timedelta:
        return self.due_at - now

    def as_dict(self, now: datetime | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "starts_at": iso(self.starts_at),
            "due_at": iso(self.due_at),
            "rule": self.rule,
            "explanation": self.explanation,
        }
        if now is not None:
            out["status"] = self.status(now)
        return out


__all__ = [
    "RULES",
    "R_COMPLY_BY",
    "R_CO_RELEASE_6H",
    "R_HOLD_48H",
    "R_NEUTRAL_REVIEW",
    "R_NOTICE_48H",
    "R_SUBPOENA_RETURN",
    "Clock",
    "Rule",
    "comply_by",
    "court_clocks",
    "days_from",
    "detainer_clocks",
    "hold_window",
    "next_business_day",
    "subpoena_clocks",
    "subpoena_return",
]


def hold_window(
    release_eligible_at: datetime, *, max_hours: int, ceiling_rule: str, policy_note: str = "", tz_name: str = "UTC"
) -> Clock:
    """The hold ceiling: never longer than R_HOLD_48H's clock hours; a policy may only shorten it (domain.md A1.5)."""
    hours = min(R_HOLD_48H.hours, max_hours)
    # Clock hours are elapsed time: add them to the UTC instant (aware arithmetic in a local zone is wall-clock
    # arithmetic and would be an hour off across a DST change).
    release_eligible_at = release_eligible_at.astimezone(ZoneInfo("UTC"))
    due = release_eligible_at + timedelta(hours=hours)
    why = (
        f"{hours} clock hours from release eligibility at {local(release_eligible_at, tz_name)}; rule {R_HOLD_48H.ref}"
    )
    if ceiling_rule != R_HOLD_48H.ref:
        why += f"; shortened by {ceiling_rule}"
    if policy_note:
        why += f"; {policy_note}"
    return Clock("hold_ceiling", "Hold ceiling", release_eligible_at, due, ceiling_rule, why)


def next_business_day(day: date) -> date:
    us = holidays.country_holidays("US", years=range(day.year, day.year + 2))
    while day.weekday() >= 5 or day in us:
        day += timedelta(days=1)
    return day


def _end_of_day(day: date, tz_name: str) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(tz_name)).astimezone(ZoneInfo("UTC"))


def days_from(start: datetime, days: int, tz_name: str) -> tuple[datetime, str]:
    """FRCP 6(a)(1): exclude the trigger day, count every day, and if the last day is a Saturday, Sunday or
    legal holiday, run on to the next day that is not."""
    local_start = start.astimezone(ZoneInfo(tz_name)).date()
    nominal = local_start + timedelta(days=days)
    due_day = next_business_day(nominal)
    note = f"{days} days from {local_start.isoformat()}"
    if due_day != nominal:
        note += f"; {nominal.isoformat()} is a weekend or federal holiday, so the date runs to {due_day.isoformat()}"
    return _end_of_day(due_day, tz_name), note


def subpoena_return(served_at: datetime, days: int, tz_name: str) -> Clock:
    due, note = days_from(served_at, days, tz_name)
    return Clock(
        "subpoena_return",
        "Subpoena return date",
        served_at,
        due,
        R_SUBPOENA_RETURN.ref,
        f"{note} (service at {local(served_at, tz_name)}); rule {R_SUBPOENA_RETURN.ref}",
    )


def comply_by(order_at: datetime, days: int, tz_name: str) -> Clock:
    due, note = days_from(order_at, days, tz_name)
    return Clock(
        "court_comply_by",
        "Court comply-by date",
        order_at,
        due,
        R_COMPLY_BY.ref,
        f"{note} from the order; rule {R_COMPLY_BY.ref}",
    )


def detainer_clocks(d: Detainer) -> list[Clock]:
    tz = d.facility.timezone
    clocks: list[Clock] = []
    booking = d.booking
    if d.hold_started_at and d.hold_expires_at:
        note = ""
        if d.policy_at_decision:
            note = (
                "policy: " + ", ".join(h["rule_id"] for h in d.policy_at_decision.get("hits", [])[1:])
                if len(d.policy_at_decision.get("hits", [])) > 1
                else ""
            )
        c = hold_window(
            d.hold_started_at,
            max_hours=int((d.hold_expires_at - d.hold_started_at).total_seconds() // 3600),
            ceiling_rule=d.hold_rule or R_HOLD_48H.ref,
            policy_note=note,
            tz_name=tz,
        )
        clocks.append(Clock(c.name, c.label, c.starts_at, c.due_at, c.rule, c.explanation, stopped_at=d.hold_ended_at))
    if booking.projected_release_at and d.state not in ("DECLINED", "CLOSED"):
        target = R_NOTICE_48H.before(booking.projected_release_at)
        notices = read_all(  # compiled once: every detainer page asks
            ("cases.first_notice",),
            lambda pk: Notification.objects.filter(detainer_id=pk).order_by("sent_at")[:1],
            d.pk,
        )
        first_notice = notices[0] if notices else None
        clocks.append(
            Clock(
                "notice_target",
                "Advance-notice target",
                # The duty to notify starts with the detainer's receipt; the target is set by projected release.
                d.received_at or d.transmitted_at or d.prepared_at,
                target,
                R_NOTICE_48H.ref,
                f"{R_NOTICE_48H.length_text} before projected release at {local(booking.projected_release_at, tz)}; "
                f"rule {R_NOTICE_48H.ref}",
                stopped_at=first_notice.sent_at if first_notice else None,
            )
        )
    if d.neutral_review_required and d.transmitted_at:
        clocks.append(
            Clock(
                "neutral_review",
                "Neutral probable-cause review",
                d.transmitted_at,
                R_NEUTRAL_REVIEW.due(d.transmitted_at),
                R_NEUTRAL_REVIEW.ref,
                f"{R_NEUTRAL_REVIEW.length_text} from transmission at {local(d.transmitted_at, tz)}; rule {R_NEUTRAL_REVIEW.ref}",
                stopped_at=d.neutral_review_at,
            )
        )
    release_within = (d.policy_at_decision or {}).get("release_within_hours")
    if release_within and booking.release_eligible_at:
        clocks.append(
            Clock(
                "release_after_bond",
                "Release after bond or PR",
                booking.release_eligible_at,
                booking.release_eligible_at + timedelta(hours=release_within),
                R_CO_RELEASE_6H.ref,
                f"{release_within} hours from release eligibility at {local(booking.release_eligible_at, tz)}; "
                f"rule {R_CO_RELEASE_6H.ref}",
                stopped_at=booking.released_at,
            )
        )
    return clocks


def subpoena_clocks(s: Subpoena) -> list[Clock]:
    if not s.served_at:
        return []
    c = subpoena_return(s.served_at, s.return_days, s.recipient_lea.jurisdiction.timezone)
    return [Clock(c.name, c.label, c.starts_at, c.due_at, c.rule, c.explanation, stopped_at=s.responded_at)]


def court_clocks(case: CourtCase) -> list[Clock]:
    order = case.orders.filter(order_type=OrderType.ORDER_ENFORCING_SUBPOENA).order_by("-issued_at").first()
    if order is None or order.comply_within_days is None:
        return []
    c = comply_by(order.issued_at, order.comply_within_days, case.referral.subpoena.recipient_lea.jurisdiction.timezone)
    complied = case.state in ("COMPLIED", "PURGED", "CLOSED")
    return [
        Clock(c.name, c.label, c.starts_at, c.due_at, c.rule, c.explanation, stopped_at=c.due_at if complied else None)
    ]
