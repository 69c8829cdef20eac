from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


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
