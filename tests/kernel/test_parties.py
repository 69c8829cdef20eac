"""The party table itself (kernel.parties): lookups, registration, the check's standing and its rendering in
docs/security.md. Every service against every role is tests/test_service_matrix.py."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from holdtrack.audit.models import Channel
from holdtrack.cases.models import LiftReason
from holdtrack.cases.services import detainers as ds
from holdtrack.core.errors import GuardRefused, NotPermitted, ValidationFailed
from holdtrack.kernel.parties import (
    ActionRule,
    Party,
    Relation,
    authorize,
    parties_of,
    refusal,
    register_rules,
    rule_for,
    rules_markdown,
)
from tests.factories import T0, hold_eligible, other_aor_world

NOTICE = "Agency lift notice on Form I-247A, faxed 3 March 2026"
DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
BEGIN, END = "<!-- party-table:begin -->", "<!-- party-table:end -->"


def test_a_service_without_a_rule_is_a_lookup_error() -> None:
    with pytest.raises(LookupError, match="detainer_teleport"):
        rule_for("detainer_teleport")


def test_a_second_different_rule_for_a_service_is_refused() -> None:
    rule = rule_for("detainer_lift")
    register_rules([rule])  # the same rule again (a module imported twice) is harmless
    with pytest.raises(ValueError, match="detainer_lift"):
        register_rules([ActionRule("detainer_lift", "lift", (Party(frozenset({"ADMIN"}), Relation.ANYONE),))])
    assert rule_for("detainer_lift") is rule


def test_an_object_without_a_parties_resolver_is_a_lookup_error() -> None:
    with pytest.raises(LookupError, match="object"):
        parties_of(object())


@pytest.mark.django_db
def test_the_standing_says_on_what_ground_the_actor_acts(world) -> None:  # type: ignore[no-untyped-def]
    d = hold_eligible(world)
    assert authorize(world.officer, "detainer_lift", d).standing == "issuing office"
    staff = authorize(world.booking_clerk, "detainer_lift", d, channel=Channel.STAFF_RECORDED, document=NOTICE)
    assert staff.recorded_by_counterpart and staff.standing == "counterpart: addressed LEA"
    far = other_aor_world()
    with pytest.raises(NotPermitted, match="Only the issuing office may lift a detainer"):
        authorize(far.officer, "detainer_lift", d)
    with pytest.raises(NotPermitted, match="Only staff of the law enforcement agency this case is addressed to"):
        authorize(far.booking_clerk, "detainer_lift", d, channel=Channel.STAFF_RECORDED, document=NOTICE)


@pytest.mark.django_db
def test_a_page_asks_the_table_whether_to_offer_an_action(world) -> None:  # type: ignore[no-untyped-def]
    d = hold_eligible(world)
    assert refusal(world.officer, "detainer_lift", d) is None
    assert refusal(world.booking_clerk, "detainer_lift", d, channel=Channel.STAFF_RECORDED) is None
    assert isinstance(refusal(world.booking_clerk, "detainer_lift", d), NotPermitted)
    assert isinstance(refusal(other_aor_world().officer, "detainer_lift", d), NotPermitted)


@pytest.mark.django_db
def test_a_staff_recorded_act_is_marked_in_the_log_and_the_audit_event(world) -> None:  # type: ignore[no-untyped-def]
    from holdtrack.audit.models import AuditEvent, Transition

    d = hold_eligible(world)
    ds.detainer_lift(
        actor=world.booking_clerk,
        detainer=d,
        reason=LiftReason.CASE_CLOSED,
        at=T0 + timedelta(hours=2),
        channel=Channel.STAFF_RECORDED,
        source_document=NOTICE,
    )
    t = Transition.objects.get(case_type="detainer", case_id=d.pk, name="lift")
    assert t.channel == Channel.STAFF_RECORDED and t.data["recorded_from_document"] == NOTICE
    event = AuditEvent.objects.get(action="detainer.lift", entity_id=d.pk)
    assert event.data["recorded_from_document"] == NOTICE
    assert event.data["rule"] == "detainer_lift" and event.data["standing"] == "counterpart: addressed LEA"


@pytest.mark.django_db
def test_the_counterpart_names_the_document_or_records_nothing(world) -> None:  # type: ignore[no-untyped-def]
    from holdtrack.audit.models import Transition

    d = hold_eligible(world)
    before = Transition.objects.count()
    for blank in ("", "   "):
        with pytest.raises(ValidationFailed, match="name the document"):
            ds.detainer_lift(
                actor=world.booking_clerk,
                detainer=d,
                reason=LiftReason.CASE_CLOSED,
                channel=Channel.STAFF_RECORDED,
                source_document=blank,
            )
    d.refresh_from_db()
    assert d.state == "ACTIVE_HOLD_ELIGIBLE" and Transition.objects.count() == before


@pytest.mark.django_db
def test_the_refusal_of_a_rule_keeps_its_own_error_and_rule_id(world) -> None:  # type: ignore[no-untyped-def]
    from holdtrack.custody.models import MatchBasis
    from holdtrack.custody.services import identity_match_propose
    from tests.factories import book, registry_subject

    m = identity_match_propose(
        actor=world.officer, booking=book(world), subject=registry_subject(world), basis=MatchBasis.BIOGRAPHIC
    )
    with pytest.raises(GuardRefused) as info:
        authorize(other_aor_world().officer, "identity_match_review", m)
    assert info.value.rule == "R-MATCH-CONFIRMED v1"
    with pytest.raises(NotPermitted):  # a wrong role stays NotPermitted, whatever the rule's refusal
        authorize(world.booking_clerk, "identity_match_review", m)


def test_docs_security_shows_the_table_as_declared() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOC} needs the markers {BEGIN} … {END}"
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert shown == rules_markdown().strip(), (
        "docs/security.md is out of date with the party table; run `holdtrack rules --write docs/security.md`"
    )


def test_the_kernel_imports_no_app_above_the_floor() -> None:
    """The kernel sits below every app (issue 13): the party model imports only core's errors, the steps only the
    audit log besides; no app's models or services."""
    import ast

    kernel = Path(__file__).resolve().parents[2] / "src" / "holdtrack" / "kernel"
    floor = {"parties.py": {"holdtrack.core"}, "steps.py": {"holdtrack.core", "holdtrack.audit", "holdtrack.kernel"}}
    for name, allowed in floor.items():
        tree = ast.parse((kernel / name).read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        ours = {m for m in imported if m.startswith("holdtrack.")}
        assert all(m.startswith(tuple(allowed)) for m in ours), f"{name} imports {sorted(ours)}"
