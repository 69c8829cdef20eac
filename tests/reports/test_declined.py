"""The weekly declined-detainer report: by recorded decline date, keyed by ORI and facility code, transfers
apart, with completeness and data-fidelity notes (domain.md A4.1)."""

from __future__ import annotations

import csv
import io
import re
import zlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from holdtrack.accounts.models import Role
from holdtrack.reports import declined
from tests.factories import T0, UserFactory, received
from tests.reports.conftest import History, decline

pytestmark = pytest.mark.django_db

WEEK = "2026-W10"  # Monday 2 March 2026 (T0) to Monday 9 March


def pdf_objects(data: bytes) -> bytes:
    """The PDF with its compressed object streams inflated, so that dictionary keys can be searched."""
    out = [data]
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            continue
    return b"".join(out)


def by_key(report: declined.DeclinedReport) -> dict[tuple[str, str], declined.DeclinedRow]:
    return {(r.ori, r.facility_code): r for r in report.rows}


def test_week_bounds_are_iso_weeks_in_utc() -> None:
    start, end = declined.parse_week("2026-w10")
    assert start.isoformat() == "2026-03-02T00:00:00+00:00" and end - start == timedelta(days=7)
    with pytest.raises(ValueError):
        declined.parse_week("2026-13")


@pytest.mark.smoke
def test_counts_by_recorded_decline_date_not_issue_date(history: History) -> None:
    report = declined.build(WEEK)
    tx = by_key(report)[(history.tx.lea.ori, history.tx.facility.code)]
    # Both tx declines were recorded this week; one detainer was issued 20 days earlier.
    assert tx.declined == 2
    assert tx.issued_in_week == 1 and tx.issued_earlier == 1
    assert report.total.declined == 4
    # The week the old detainer was issued has no decline in it.
    assert declined.build("2026-W07").total.declined == 0


def test_transfers_to_another_agency_are_not_declines(history: History) -> None:
    report = declined.build(WEEK)
    ca = by_key(report)[(history.ca.lea.ori, history.ca.facility.code)]
    assert ca.declined == 1  # the CA transfer is not among them
    assert [(t.ori, t.transferred) for t in report.transfers] == [(history.ca.lea.ori, 1)]
    assert report.transfers_total == 1
    assert any("transfers, listed separately" in n for n in report.fidelity)


def test_keyed_by_ori_never_by_name(history: History) -> None:
    assert history.tx.lea.name == history.tx2.lea.name
    report = declined.build(WEEK)
    keys = by_key(report)
    assert (history.tx.lea.ori, history.tx.facility.code) in keys
    assert (history.tx2.lea.ori, history.tx2.facility.code) in keys  # namesakes stay apart
    body = declined.to_csv(report).decode()
    assert history.tx.lea.name not in body
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["ori"] for r in rows} == {history.tx.lea.ori, history.tx2.lea.ori, history.ca.lea.ori, "Total"}
    assert rows[-1]["declined"] == "4"


def test_completeness_counts_the_weeks_detainers_with_a_decision(history: History) -> None:
    undecided = received(history.ca, at=T0 + timedelta(days=2))  # received this week, no decision yet
    report = declined.build(WEEK)
    assert undecided.lea_decision == ""
    assert report.received_all > report.received_all_with_decision
    ca = by_key(report)[(history.ca.lea.ori, history.ca.facility.code)]
    assert ca.received_in_week == ca.received_with_decision + 1
    assert any(n.startswith("Completeness:") for n in report.fidelity)


def test_reassessment_of_old_detainers_is_flagged(history: History) -> None:
    for _ in range(declined.REASSESSMENT_MIN_DECLINES):
        d = received(history.ca, at=T0 - timedelta(days=60))
        decline(history.ca, d, T0 + timedelta(days=2))
    report = declined.build(WEEK)
    ca = by_key(report)[(history.ca.lea.ori, history.ca.facility.code)]
    assert ca.reassessment_suspected
    assert any("Re-assessment suspected" in n for n in report.fidelity)


def test_command_writes_csv_pdf_and_html(history: History, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "declined.csv"
    call_command("report", "declined", "--week", WEEK, "--format", "csv", "--out", str(out))
    assert out.read_text().splitlines()[0].startswith("week,ori,facility_code")
    pdf = tmp_path / "declined.pdf"
    call_command("report", "declined", "--week", WEEK, "--format", "pdf", "--out", str(pdf))
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and b"/StructTreeRoot" in pdf_objects(data)  # tagged
    html = tmp_path / "declined.html"
    call_command("report", "declined", "--week", WEEK, "--out", str(html))
    text = html.read_text()
    assert "Data fidelity" in text and '<html lang="en">' in text and history.tx.lea.ori in text


def test_page_and_downloads(client, history: History) -> None:  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(role=Role.ANALYST))
    url = reverse("reports:declined")
    page = client.get(url, {"week": WEEK}).content.decode()
    assert "Declines by agency (ORI) and facility (code)" in page and history.tx.lea.ori in page
    assert history.tx.lea.name not in page
    r = client.get(url, {"week": WEEK, "format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert client.get(url, {"week": "not-a-week"}).status_code == 400
