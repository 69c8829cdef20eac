"""The step dispatcher (kernel.dispatch): what follows a step is registered there, in order, and heard from the
single step path and the bulk writer alike; custody's facts reach the cases app without custody importing it."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models.signals import post_save

from holdtrack.accounts.services import system_user
from holdtrack.api import webhooks
from holdtrack.audit.models import CaseType, Channel, Transition
from holdtrack.audit.services import transition_record, transition_row, transitions_record_bulk
from holdtrack.core.bulk import SMALL
from holdtrack.custody import events
from holdtrack.desks import on_steps
from holdtrack.kernel import dispatch
from holdtrack.reports.models import PendingChange
from holdtrack.reports.models.stats import TRACKED_CASE_TYPES, outbox_on_steps
from tests.dispatch_spy import heard
from tests.factories import T0

SRC = Path(__file__).resolve().parents[2] / "src" / "holdtrack"


def test_no_receiver_listens_to_transition_saves() -> None:
    assert not post_save.has_listeners(Transition)


def test_the_apps_register_in_installed_apps_order() -> None:
    assert dispatch.handlers(CaseType.DETAINER, "transmit") == (
        outbox_on_steps,
        on_steps.on_detainer_transmitted,
        webhooks.on_steps,
    )
    assert dispatch.handlers(CaseType.SUBPOENA, "serve") == (outbox_on_steps, webhooks.on_steps)
    assert dispatch.handlers(CaseType.REFERRAL, "open") == (outbox_on_steps,)
    assert dispatch.handlers(CaseType.CITIZENSHIP_CLAIM, "open") == (on_steps.on_claim_opened,)
    assert dispatch.handlers(CaseType.BOOKING, "release") == ()
    assert dispatch.handlers(CaseType.IDENTITY_MATCH, "propose") == ()


def test_every_custody_fact_is_heard_by_the_cases_app() -> None:
    for name in events.__all__:
        kind = getattr(events, name)
        heard_by = dispatch.listeners(kind)
        assert len(heard_by) == 1, name
        assert heard_by[0].__module__ == "holdtrack.cases.services.detainers.custody_events", name


def test_custody_imports_no_app_above_it() -> None:
    above = ("cases", "screening", "intake", "reports", "documents", "api", "desks", "simulation")
    for path in (SRC / "custody").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for module in names:
                assert not module.startswith(tuple(f"holdtrack.{a}" for a in above)), f"{path}: {module}"


def test_registration_is_idempotent_and_a_batch_reaches_each_handler_once_in_order() -> None:
    t = [Transition(case_type="test_case", case_id=i, seq=1, name=n) for i, n in enumerate(["a", "b", "a"])]
    with heard(case_types=["test_case"], names=["a"]) as only_a, heard(case_types=["test_case"]) as every:
        before = dispatch.handlers(CaseType.DETAINER, "transmit")
        dispatch.on_step(outbox_on_steps, case_types=TRACKED_CASE_TYPES)  # as a second ready() would
        assert dispatch.handlers(CaseType.DETAINER, "transmit") == before
        assert len(dispatch.handlers("test_case", "a")) == 2
        dispatch.dispatch(t)
        dispatch.dispatch(t[1:2])
    assert [[x.case_id for x in batch] for batch in only_a] == [[0, 2]]
    assert [[x.case_id for x in batch] for batch in every] == [[0, 1, 2], [1]]
    assert dispatch.handlers("test_case", "a") == ()


@pytest.mark.django_db
def test_a_step_is_followed_in_its_transaction() -> None:
    with heard(case_types=[CaseType.SUBPOENA]) as calls:
        t = transition_record(
            case_type=CaseType.SUBPOENA, case_id=9, name="draft", source="", target="DRAFT", actor=None, at=T0
        )
    assert calls == [[t]] and t.pk is not None
    assert PendingChange.objects.filter(case_type=CaseType.SUBPOENA, case_id=9).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, SMALL + 6])
def test_the_bulk_recorder_writes_what_the_step_path_writes_and_dispatches_what_is_heard(count: int) -> None:
    sysu = system_user()
    data = {"z": 1, "subject_id": 7, "basis": "ASSERTED"}
    single = transition_record(
        case_type=CaseType.CITIZENSHIP_CLAIM, case_id=1, name="open", source="", target="OPEN", actor=sysu,
        at=T0, data=data, channel=Channel.SYSTEM,
    )  # fmt: skip
    rows = [
        transition_row(
            case_type=CaseType.CITIZENSHIP_CLAIM if i % 2 else CaseType.BOOKING, case_id=100 + i, seq=1,
            name="open" if i % 2 else "book", source="", target="OPEN", actor=sysu,
            at=T0 + timedelta(minutes=i), data=data, channel=Channel.SYSTEM,
        )
        for i in range(count)
    ]  # fmt: skip
    with heard(case_types=[CaseType.CITIZENSHIP_CLAIM]) as calls:
        transitions_record_bulk(rows)
    # Only what a handler listens to is handed on (the claims' "open"), with the keys the rows were stored under.
    (batch,) = calls
    assert [t.case_id for t in batch] == [100 + i for i in range(count) if i % 2]
    fields = ("case_type", "case_id", "seq", "at", "name", "source", "target", "actor_id", "actor_role", "channel",
              "reason", "data")  # fmt: skip
    for t in batch:
        stored = Transition.objects.values(*fields).get(pk=t.pk)
        assert stored == {f: getattr(t, f) for f in fields}
    stored_single = Transition.objects.values(*fields).get(pk=single.pk)
    stored_bulk = Transition.objects.values(*fields).get(case_id=101)
    same = ("case_type", "seq", "name", "source", "target", "actor_id", "actor_role", "channel", "reason", "data")
    assert {f: stored_single[f] for f in same} == {f: stored_bulk[f] for f in same}
    assert Transition.objects.filter(case_id__gte=100).count() == count
    assert all(t.recorded_at is not None for t in Transition.objects.filter(case_id__gte=100))
