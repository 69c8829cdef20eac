"""The keyed audit chain (ADR 0015): appends take no shared lock, the chainer links events and transitions, and
every kind of tampering by the database owner is found (tests/audit/test_checkpoint.py: the signed tail)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from holdtrack.audit.chain import GENESIS, audit_chain, event_payload, link_of, pending_count
from holdtrack.audit.keys import key_id, keyring
from holdtrack.audit.models import AuditEvent, ChainHead, Transition
from holdtrack.audit.services import audit_record, audit_verify, transition_record
from holdtrack.core.timeutil import now
from tests.audit.conftest import chain_order, owner, raw

pytestmark = pytest.mark.django_db


def test_append_is_a_plain_insert_without_the_chain_head(db):
    with CaptureQueriesContext(connection) as ctx:
        event = audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=7)
        transition_record(
            case_type="detainer", case_id=7, name="prepare", source="", target="DRAFT", actor=None, at=now()
        )
    sql = " ".join(q["sql"] for q in ctx.captured_queries).lower()
    assert "audit_chainhead" not in sql and "for update" not in sql
    assert event.chain_seq is None and not ChainHead.objects.exists()
    assert pending_count() == 2


@pytest.mark.smoke
def test_chain_links_events_and_transitions_in_one_chain(history):
    assert [t for t, _ in history].count("transition") == 6
    report = audit_verify()
    assert report.ok and report.checked == 18 and (report.events, report.transitions) == (12, 6)
    assert report.unchained == 0 and report.head_key == keyring().current_id
    head = ChainHead.objects.get(pk=1)
    assert (head.count, head.last_hash) == (18, report.head)
    assert audit_chain() == 0  # idempotent


def test_verify_reports_rows_not_yet_chained(history):
    audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=1)
    report = audit_verify(chain_first=False)
    assert report.ok and report.checked == 18 and report.unchained == 1
    report = audit_verify()
    assert report.ok and report.checked == 19 and report.unchained == 0


@pytest.mark.parametrize("table", ["event", "transition"])
def test_an_edited_row_is_found(history, table):
    victim = [i for t, i in history if t == table][3]
    with owner() as cur:
        if table == "event":
            raw(cur, "UPDATE {t} SET data = %s WHERE id = %s", table, ['{"n": 99}', victim])
        else:
            raw(cur, "UPDATE {t} SET target = %s WHERE id = %s", table, ["HOLD_IN_EFFECT", victim])
    report = audit_verify()
    assert not report.ok and (report.bad_table, report.first_bad_id) == (table, victim)
    assert report.bad_seq == history.index((table, victim)) + 1
    assert "does not match its keyed link" in report.problem


@pytest.mark.parametrize("table", ["event", "transition"])
def test_a_row_deleted_from_the_middle_is_found(history, table):
    victim = [i for t, i in history if t == table][2]
    position = history.index((table, victim)) + 1
    with owner() as cur:
        raw(cur, "DELETE FROM {t} WHERE id = %s", table, [victim])
    report = audit_verify()
    assert not report.ok and report.problem == f"position {position} is missing (a chained row was deleted)"
    assert report.checked == position - 1


def test_unchaining_a_row_is_found(history):
    """Emptying a row's chain fields makes the chainer link it again at the end; the hole stays."""
    table, victim = history[5]
    with owner() as cur:
        raw(cur, "UPDATE {t} SET chain_seq = NULL WHERE id = %s", table, [victim])
    report = audit_verify()
    assert not report.ok and "position 6 is missing" in report.problem


def test_a_reordered_pair_is_found(history):
    """Swap the positions (with their links) of two neighbours: each link now follows the wrong predecessor."""
    (ta, a), (tb, b) = history[6], history[7]
    with owner() as cur:
        raw(cur, "UPDATE {t} SET chain_seq = -1 WHERE id = %s", ta, [a])
        raw(cur, "UPDATE {t} SET chain_seq = 7 WHERE id = %s", tb, [b])
        raw(cur, "UPDATE {t} SET chain_seq = 8 WHERE id = %s", ta, [a])
    report = audit_verify()
    assert not report.ok and report.bad_seq == 7 and "keyed link" in report.problem


def _rehash(secret: bytes, kid: str) -> None:
    """Rebuild every link with another key, as someone with the database but not our key would."""
    from holdtrack.audit.chain import transition_payload

    prev = GENESIS
    with owner() as cur:
        for seq, (table, row_id) in enumerate(chain_order(), start=1):
            model = AuditEvent if table == "event" else Transition
            row = model.objects.get(pk=row_id)
            payload = event_payload(row) if table == "event" else transition_payload(row)
            prev = link_of(secret, prev, seq, kid, payload)
            raw(cur, "UPDATE {t} SET chain_link = %s, chain_key = %s WHERE id = %s", table, [prev, kid, row_id])


def test_a_full_rehash_without_the_key_is_found(history):
    forged = b"not-the-key"
    _rehash(forged, key_id(forged))
    report = audit_verify()
    assert not report.ok and report.bad_seq == 1 and "unknown key id" in report.problem


def test_a_full_rehash_under_our_key_id_with_another_key_is_found(history):
    _rehash(b"not-the-key", keyring().current_id)
    report = audit_verify()
    assert not report.ok and report.bad_seq == 1 and "keyed link" in report.problem


def test_key_rotation_keeps_old_links_verifiable(history, settings):
    old = keyring()
    settings.HOLDTRACK_AUDIT_KEY = "the-new-audit-key-0123456789abcdef"
    settings.HOLDTRACK_AUDIT_RETIRED_KEYS = old.current.decode()
    audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=1)
    assert audit_chain() == 1
    newest = AuditEvent.objects.order_by("-chain_seq").first()
    assert newest is not None and newest.chain_key == key_id(b"the-new-audit-key-0123456789abcdef") != old.current_id
    assert audit_verify().ok
    settings.HOLDTRACK_AUDIT_RETIRED_KEYS = ""  # the old key thrown away: its links no longer verify
    report = audit_verify()
    assert not report.ok and report.bad_seq == 1 and "unknown key id" in report.problem


def test_legacy_events_are_sealed_into_the_keyed_chain(db):
    """Events of the unkeyed SHA-256 chain (before ADR 0015) are chained like any other, their legacy hash
    inside the keyed link: rewriting the old chain is found too."""
    legacy = AuditEvent.objects.create(
        at=now(), action="legacy.view", entity_type="x", entity_id="1", prev_hash=GENESIS, hash="ab" * 32
    )
    assert audit_chain() == 1 and audit_verify().ok
    with owner() as cur:
        cur.execute("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["cd" * 32, legacy.pk])
    assert not audit_verify().ok


@pytest.mark.smoke
def test_verify_command_reports_position_and_pending(history):
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "Audit chain OK: 18 links verified (12 events, 6 transitions)" in out.getvalue()
    audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=1)
    out = io.StringIO()
    call_command("audit", "verify", "--no-chain", stdout=out)
    assert "1 not yet chained" in out.getvalue()
    call_command("audit", "chain", stdout=io.StringIO())
    table, victim = history[4]
    with owner() as cur:
        raw(cur, "DELETE FROM {t} WHERE id = %s", table, [victim])
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", stdout=io.StringIO())
    assert exc.value.returncode == 1 and "BROKEN at position 5" in str(exc.value)


@pytest.mark.postgres_only
def test_trigger_lets_only_the_one_chaining_update_through(db):
    event = audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=1)
    with connection.cursor() as cur:
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            cur.execute("UPDATE audit_auditevent SET action = 'x', chain_seq = 1 WHERE id = %s", [event.pk])
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert audit_chain() == 1
    with connection.cursor() as cur:
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            cur.execute("UPDATE audit_auditevent SET chain_link = 'x' WHERE id = %s", [event.pk])
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            cur.execute("UPDATE audit_auditevent SET chain_seq = NULL WHERE id = %s", [event.pk])


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_appends_never_wait_on_the_chainer_and_two_chainers_never_collide():
    """Issue 12's constraint, on real connections: while a chainer holds its lock, a writer's audit event and
    transition commit at once (a 300 ms lock timeout would fail them); two chainers together link each row once."""
    import threading

    from django.db import connections

    held, release = threading.Event(), threading.Event()

    def chainer_holding_its_lock() -> None:
        with transaction.atomic():
            ChainHead.objects.get_or_create(pk=1)
            ChainHead.objects.select_for_update().get(pk=1)
            held.set()
            release.wait(10)
        connections.close_all()

    t = threading.Thread(target=chainer_holding_its_lock)
    t.start()
    try:
        assert held.wait(10)
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '300ms'")
            for i in range(20):
                audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=i)
            transition_record(
                case_type="detainer", case_id=1, name="prepare", source="", target="DRAFT", actor=None, at=now()
            )
    finally:
        release.set()
        t.join()

    counts: list[int] = []

    def chain() -> None:
        counts.append(audit_chain(batch=5))
        connections.close_all()

    threads = [threading.Thread(target=chain) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(counts) == 21 and pending_count() == 0
    report = audit_verify(chain_first=False)
    assert report.ok and report.checked == 21
