from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from holdtrack.core.errors import ValidationFailed

# The clock that counts as now for a simulator run or `sweep --now` (None: the wall clock).
_clock: ContextVar[datetime | None] = ContextVar("holdtrack_clock", default=None)
# A fact may be stamped a little ahead of our clock (the sender's clock runs fast); beyond that it has not
# happened yet.
FACT_SKEW = timedelta(minutes=5)
EARLIEST_FACT = datetime(1900, 1, 1, tzinfo=ZoneInfo("UTC"))
EARLIEST_BIRTH = date(1900, 1, 1)


def now() -> datetime:
    return _clock.get() or timezone.now()


@contextmanager
def clock(at: datetime | None) -> Iterator[None]:
    """Make ``at`` count as now inside the block (simulated time, an explicit sweep instant)."""
    token = _clock.set(at)
    try:
        yield
    finally:
        _clock.reset(token)


def fact_time(at: datetime, what: str, *, not_before: datetime | None = None, not_before_what: str = "") -> datetime:
    """Refuse a recorded fact's time that has not happened yet, is implausibly old, or precedes what it follows
    (issue 11: facts happen in the past, within reason). Deadlines and projections are not facts."""
    if timezone.is_naive(at):
        raise ValidationFailed(f"{what}: a time needs its zone offset.")
    if at < EARLIEST_FACT:
        raise ValidationFailed(f"{what} {at.date().isoformat()} is before 1900: not a plausible date.")
    if at > now() + FACT_SKEW:
        raise ValidationFailed(
            f"{what} {iso(at)} is in the future: a fact is recorded once it has happened (clock {iso(now())})."
        )
    # Forms and feeds give minutes: a fact stamped within the minute of what it follows is not before it.
    if not_before is not None and at < not_before.replace(second=0, microsecond=0):
        raise ValidationFailed(f"{what} {iso(at)} cannot precede {not_before_what} ({iso(not_before)}).")
    return at


def birth_date(value: date | None) -> date | None:
    if value is None:
        return None
    if value < EARLIEST_BIRTH:
        raise ValidationFailed(f"Date of birth {value.isoformat()} is before 1900: not a plausible date.")
    if value > now().date():
        raise ValidationFailed(f"Date of birth {value.isoformat()} is in the future.")
    return value


def aware(value: datetime) -> datetime:
    if timezone.is_naive(value):
        raise ValueError("naive datetime: every time in holdtrack carries its zone")
    return value


def local(value: datetime | None, tz_name: str) -> str:
    """Render a UTC instant in a facility's zone, with the zone abbreviation (e.g. 2026-03-08 03:00 PDT)."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%d %H:%M %Z")


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")
