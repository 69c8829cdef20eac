"""The event export (JSON lines) and the audit hash chain, through the library and the commands."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from holdtrack.audit.export import export_events, iter_events
from holdtrack.audit.models import AuditEvent, Transition
from holdtrack.audit.services import audit_verify
from holdtrack.cases.invariants import check_events
from holdtrack.cases.models import DetainerState, OutcomeGroup
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services.sweep import sweep
from holdtrack.custody import services as cs
from tests.factories import T0, hold_eligible

pytestmark = pytest.mark.django_db

KEYS = {"case", "id", "seq", "at", "transition", "source", "target", "actor_role", "channel", "data"}
ELIGIBLE = T0 + timedelta(days=2)


@pytest.fixture
def lifecycle(world):
    """One detainer from preparation to close: hold from release eligibility, custody transferred at 30 h."""
    d = hold_eligible(world)
    cs.booking_record_release_eligibility(
        actor=world.booking_clerk, booking=d.booking, at=ELIGIBLE, reason="BOND_POSTED"
    )
    ds.detainer_transfer_custody(actor=world.officer, detainer=d, at=ELIGIBLE + timedelta(hours=30))
    sweep(ELIGIBLE + timedelta(hours=31))
    d.refresh_from_db()
    assert d.state == DetainerState.CLOSED
    return d


def _utc(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value)


def test_events_are_ordered_complete_and_utc(lifecycle):
    d = lifecycle
    events = list(iter_events())
    assert events and all(e.keys() >= KEYS for e in events)
    order = [(e["case"], e["id"], e["seq"]) for e in events]
    assert order == sorted(order)
    for e in events:
        _utc(e["at"])

    mine = [e for e in events if e["case"] == "detainer" and e["id"] == d.pk]
    assert [e["seq"] for e in mine] == list(range(1, len(mine) + 1))
    names = [e["transition"] for e in mine]
    assert names == [
        "prepare",
        "attach_warrant",
        "approve",
        "transmit",
        "receive",
        "pass_validation",
        "serve_subject",
        "decide_hold",
        "start_hold",
        "transfer_custody",
        "close",
    ]
    by_name = {e["transition"]: e for e in mine}
    assert by_name["prepare"]["source"] == "" and by_name["prepare"]["data"]["subject_id"] == d.subject_id
    # Warrant ids travel with the approval and the hold, so a reader can fetch the warrant itself.
    warrant_ids = [w.pk for w in d.warrants.all()]
    assert by_name["attach_warrant"]["data"]["warrant_id"] == warrant_ids[0]
    assert by_name["approve"]["data"]["warrant_ids"] == warrant_ids
    assert by_name["decide_hold"]["data"]["hold_allowed"] is True

    start = by_name["start_hold"]
    assert start["channel"] == "SYSTEM" and start["actor_role"] == "SYSTEM"
    assert start["data"]["warrant_ids"] == warrant_ids
    window = start["data"]["hold_window"]
    assert datetime.fromisoformat(window["starts_at"]) == ELIGIBLE
    assert datetime.fromisoformat(window["expires_at"]) == ELIGIBLE + timedelta(hours=48)
    [clock] = start["data"]["clocks"]
    assert clock["name"] == "hold_ceiling" and clock["rule"] == "R-HOLD-48H v1"
    assert _utc(clock["due_at"]) == ELIGIBLE + timedelta(hours=48)

    assert by_name["close"]["data"]["outcome_group"] == OutcomeGroup.CUSTODY_TRANSFERRED
    assert by_name["close"]["data"]["hold_minutes_used"] == 30 * 60
    assert check_events(events) == []


def test_case_filter_and_json_lines(lifecycle):
    only = list(iter_events(case_types=["detainer"]))
    assert only and {e["case"] for e in only} == {"detainer"}
    assert {e["case"] for e in iter_events()} >= {"detainer", "booking", "identity_match"}

    buf = io.StringIO()
    n = export_events(buf, case_types=["booking", "detainer"])
    lines = buf.getvalue().splitlines()
    assert n == len(lines) > 0
    assert [json.loads(line) for line in lines] == list(iter_events(case_types=["booking", "detainer"]))
    with pytest.raises(ValueError, match="Unknown case type"):
        list(iter_events(case_types=["warrant"]))


def test_export_command_writes_a_file(lifecycle, tmp_path):
    out = tmp_path / "events.jsonl"
    stdout = io.StringIO()
    call_command("export", "events", "--out", str(out), stdout=stdout, stderr=io.StringIO())
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(list(iter_events()))
    assert f"Exported {len(lines):,} events to {out}" in stdout.getvalue()
    assert check_events(json.loads(line) for line in lines) == []

    call_command("export", "events", "--out", str(out), "--case", "detainer", stdout=io.StringIO())
    assert {json.loads(line)["case"] for line in out.read_text().splitlines()} == {"detainer"}


def test_export_command_to_stdout_keeps_stdout_clean(lifecycle):
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("export", "events", "--out", "-", "--case", "detainer", "booking", stdout=stdout, stderr=stderr)
    events = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert events == list(iter_events(case_types=["detainer", "booking"]))
    assert "Exported" in stderr.getvalue()


def test_export_command_needs_a_subcommand():
    with pytest.raises(CommandError):
        call_command("export")


def _tamper(event_id: int) -> None:
    """Rewrite one audit row behind the application's back, as someone with database access could."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # The trigger refuses it; a superuser can still bypass triggers for the session, and the chain
            # must catch that too.
            with pytest.raises(Exception, match="append-only"), transaction.atomic():
                cur.execute("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["tampered", event_id])
            cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["tampered", event_id])
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL session_replication_role = origin")


def test_audit_chain_verifies_and_reports_the_first_tampered_event(lifecycle):
    report = audit_verify()
    assert report.ok and report.checked == AuditEvent.objects.count() + Transition.objects.count() > 10
    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    victim = ids[len(ids) // 2]
    position = AuditEvent.objects.get(pk=victim).chain_seq
    _tamper(victim)
    report = audit_verify()
    assert not report.ok
    assert (report.bad_table, report.first_bad_id, report.bad_seq) == ("event", victim, position)
    assert report.checked == position - 1
    assert "keyed link" in report.problem


def test_audit_verify_command(lifecycle):
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "Audit chain OK" in out.getvalue()

    victim = AuditEvent.objects.order_by("id").values_list("id", flat=True)[3]
    _tamper(victim)
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", stdout=io.StringIO())
    assert exc.value.returncode == 1
    assert f"(event {victim})" in str(exc.value)


def test_a_staff_recorded_step_names_who_recorded_it_and_from_which_document(world):
    from holdtrack.audit.models import Channel
    from tests.factories import received

    d = received(world)
    ds.detainer_serve_subject(
        actor=world.officer, detainer=d, channel=Channel.STAFF_RECORDED, source_document="Jail proof of service 4"
    )
    buf = io.StringIO()
    export_events(buf, case_types=["detainer"])
    events = [json.loads(line) for line in buf.getvalue().splitlines()]
    recorded = [e for e in events if e["recorded_from"] is not None]
    assert [e["transition"] for e in recorded] == ["serve_subject"]
    assert recorded[0]["recorded_from"] == {"organization": str(world.office), "document": "Jail proof of service 4"}
    assert all(e["channel"] != Channel.STAFF_RECORDED for e in events if e["recorded_from"] is None)
