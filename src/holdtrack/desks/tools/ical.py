"""iCalendar (RFC 5545) feed of a user's deadlines, written by hand.

- Lines end in CRLF and are folded at 75 octets (RFC 5545 3.1), never inside a UTF-8 sequence.
- TEXT values escape backslash, semicolon, comma and newline (3.3.11); the URI value of URL is not escaped.
- One VEVENT per case clock: UID stable per case and clock, DTSTART in UTC (``Z``), a SUMMARY naming the
  clock and the case by kind and id only (no personal data), URL to the case page.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from holdtrack.desks.tools.calendar import Deadline

PRODID = "-//holdtrack//deadline calendar//EN"
LIMIT = 75  # octets per line, excluding the CRLF


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets; continuation lines start with one space."""
    raw = line.encode("utf-8")
    if len(raw) <= LIMIT:
        return line
    parts: list[bytes] = []
    start, limit = 0, LIMIT
    while start < len(raw):
        end = min(start + limit, len(raw))
        # Back off to the start of a UTF-8 sequence (continuation bytes are 0b10xxxxxx).
        while end < len(raw) and (raw[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(raw[start:end])
        start, limit = end, LIMIT - 1  # the leading space of a continuation line counts
    return "\r\n ".join(p.decode("utf-8") for p in parts)


def utc_stamp(value: datetime) -> str:
    return value.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")


def _event(d: Deadline, *, base_url: str, stamp: str) -> list[str]:
    url = f"{base_url}{d.path}"
    description = f"{d.explanation}. Status: {d.status_label}. Rule {d.rule}. Due {d.local_due}."
    return [
        "BEGIN:VEVENT",
        f"UID:{escape_text(d.uid)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{utc_stamp(d.due_at)}",
        f"SUMMARY:{escape_text(d.summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"CATEGORIES:{escape_text(d.rule)}",
        f"URL:{url}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def build_calendar(
    deadlines: Iterable[Deadline], *, base_url: str, at: datetime, name: str = "holdtrack deadlines"
) -> str:
    stamp = utc_stamp(at)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for d in deadlines:
        lines += _event(d, base_url=base_url.rstrip("/"), stamp=stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
