"""iCalendar feed: RFC 5545 line endings, folding and escaping, parsed back; secret token, rotation, revocation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from holdtrack.core.timeutil import now
from holdtrack.custody import services as cs
from holdtrack.desks.models import CalendarFeedToken
from holdtrack.desks.tools import calendar as cal
from holdtrack.desks.tools import ical
from tests.factories import hold_eligible, make_world

pytestmark = pytest.mark.django_db


def parse(text: str) -> list[dict[str, str]]:
    """A strict little reader: every line ends in CRLF, continuation lines start with one space."""
    assert text.endswith("\r\n")
    raw_lines = text[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in raw_lines)
    assert all(len(line.encode()) <= 75 for line in raw_lines)
    logical: list[str] = []
    for line in raw_lines:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    assert logical[0] == "BEGIN:VCALENDAR" and logical[-1] == "END:VCALENDAR"
    for line in logical:
        name, _, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            events.append(current)
            current = None
        elif current is not None:
            current[name] = value
    return events


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def test_fold_keeps_utf8_sequences_whole_and_unfolds_to_the_original():
    line = "DESCRIPTION:" + "Résumé; déjà vu, naïve — ✓ " * 12
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert parts[0] + "".join(p[1:] for p in parts[1:]) == line
    assert ical.fold("SHORT:x") == "SHORT:x"
    exactly = "X:" + "a" * 73
    assert ical.fold(exactly) == exactly


def test_escape_text_round_trip():
    text = "a,b;c\\d\ne"
    assert ical.escape_text(text) == "a\\,b\\;c\\\\d\\ne"
    assert unescape(ical.escape_text(text)) == text


@pytest.fixture
def held(db):
    w = make_world()
    d = hold_eligible(w, at=now() - timedelta(hours=3))
    cs.booking_record_release_eligibility(
        actor=w.booking_clerk, booking=d.booking, at=now() - timedelta(hours=1), reason="BOND_POSTED"
    )
    d.refresh_from_db()
    return w, d


def test_feed_parses_back_with_one_event_per_clock(client, held, settings):
    settings.HOLDTRACK_BASE_URL = "https://holdtrack.example"
    w, d = held
    client.force_login(w.booking_clerk)
    assert client.post(reverse("tools:calendar_feed_manage"), {"action": "rotate"}).status_code == 302
    token = cal.feed_token_active(w.booking_clerk)
    assert token is not None
    anonymous = Client()  # no session: the token is the credential
    r = anonymous.get(reverse("tools:calendar_feed", args=[token.token]))
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/calendar")
    text = r.content.decode("utf-8")
    assert "VERSION:2.0\r\n" in text and "PRODID:" in text
    events = {e["UID"]: e for e in parse(text)}
    expected = cal.deadlines_for_user(w.booking_clerk)
    assert set(events) == {e.uid for e in expected}
    hold = events[f"detainer-{d.pk}-hold_ceiling@holdtrack"]
    assert hold["DTSTART"] == d.hold_expires_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert datetime.strptime(hold["DTSTART"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) == d.hold_expires_at.replace(
        microsecond=0
    )
    assert unescape(hold["SUMMARY"]) == f"Hold ceiling: Detainer {d.pk}"
    assert hold["URL"] == f"https://holdtrack.example/detainers/{d.pk}/"
    assert "R-HOLD-48H" in unescape(hold["DESCRIPTION"])
    assert d.subject.last_name not in text and d.subject.first_name + " " not in text


def test_uid_is_stable_across_fetches(held):
    w, _d = held
    at = now()
    first = parse(ical.build_calendar(cal.deadlines_for_user(w.booking_clerk), base_url="", at=at))
    second = parse(
        ical.build_calendar(cal.deadlines_for_user(w.booking_clerk), base_url="", at=at + timedelta(hours=1))
    )
    assert [e["UID"] for e in first] == [e["UID"] for e in second]


def test_rotate_and_revoke(client, held):
    w, _d = held
    client.force_login(w.booking_clerk)
    client.post(reverse("tools:calendar_feed_manage"), {"action": "rotate"})
    old = cal.feed_token_active(w.booking_clerk)
    client.post(reverse("tools:calendar_feed_manage"), {"action": "rotate"})
    new = cal.feed_token_active(w.booking_clerk)
    assert old is not None and new is not None and old.token != new.token
    anonymous = Client()
    assert anonymous.get(reverse("tools:calendar_feed", args=[old.token])).status_code == 404
    assert anonymous.get(reverse("tools:calendar_feed", args=[new.token])).status_code == 200
    page = client.get(reverse("tools:calendar")).content.decode()
    assert new.token in page and old.token not in page
    client.post(reverse("tools:calendar_feed_manage"), {"action": "revoke"})
    assert anonymous.get(reverse("tools:calendar_feed", args=[new.token])).status_code == 404
    assert CalendarFeedToken.objects.filter(user=w.booking_clerk, revoked_at__isnull=True).count() == 0
    assert anonymous.get(reverse("tools:calendar_feed", args=["not-a-token"])).status_code == 404


def test_inactive_user_feed_is_gone(held):
    w, _d = held
    token = cal.feed_token_rotate(actor=w.booking_clerk)
    w.booking_clerk.is_active = False
    w.booking_clerk.save(update_fields=["is_active"])
    assert Client().get(reverse("tools:calendar_feed", args=[token.token])).status_code == 404


def test_manage_requires_post(client, held):
    w, _d = held
    client.force_login(w.booking_clerk)
    assert client.get(reverse("tools:calendar_feed_manage")).status_code == 405
