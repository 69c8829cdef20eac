"""Service-level authorization matrix, generated from the party table (issue 11, ADR 0019).

Every write service of the modules in ``SERVICE_MODULES`` — and of the other apps' modules listed in
``tests/test_service_matrix_apps.py``, which checks those services' refusals — (a public ``<entity>_<action>`` function taking a
keyword ``actor``) must have a row in the table of ``kernel.parties``: a new service without one fails
``test_every_write_service_has_a_rule``. Then, for every rule, one scene is built through the real services
and the service is called by every role, from the organisation that is party to the case (world ``w``) and from
another area, LEA and DOJ office (world ``x``), by an inactive account and by the system, and — where the rule
lets the counterpart record the act from a document — on the staff-recorded channel. Each call runs in a
savepoint that is rolled back, so one scene serves every cell. The expectation is read from the rule alone:
an allowed call writes its transition or audit event (a staff-recorded one marked as such), a refused one
raises the rule's refusal and writes nothing.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from django.db import transaction

from holdtrack.accounts.models import Role, User
from holdtrack.accounts.services import system_user
from holdtrack.audit.models import AuditEvent, Channel, Transition
from holdtrack.cases.models import (
    CourtCase,
    Detainer,
    ItemCategory,
    LeaDecision,
    LiftReason,
    OrderType,
    ResponseType,
    ReviewResult,
    Subpoena,
    Warrant,
    WarrantType,
)
from holdtrack.cases.services import detainers as ds
from holdtrack.cases.services import subpoenas as ss
from holdtrack.core.errors import DomainError, NotPermitted
from holdtrack.custody import services as cs
from holdtrack.custody.models import Booking, CitizenshipClaim, ClaimBasis, IdentityMatch, MatchBasis
from holdtrack.kernel.parties import ActionRule, Relation, all_rules, rule_for
from tests.factories import (
    T0,
    UserFactory,
    World,
    book,
    confirmed_match,
    hold_eligible,
    make_world,
    other_aor_world,
    prepared,
    received,
    registry_subject,
    subpoena_to,
)

pytestmark = pytest.mark.django_db

SERVICE_MODULES: tuple[ModuleType, ...] = (ds, ss, cs)
SERVICE_NAME = re.compile(r"[a-z]+(_[a-z]+)+")

# World attribute of each role's user; analysts, auditors and administrators belong to no organisation.
ROLE_USER: dict[str, str] = {
    Role.AGENCY_OFFICER: "officer",
    Role.AGENCY_SUPERVISOR: "supervisor",
    Role.AGENCY_COUNSEL: "agency_counsel",
    Role.LEA_BOOKING: "booking_clerk",
    Role.LEA_COUNSEL: "lea_counsel",
    Role.DOJ_ATTORNEY: "doj_attorney",
}
NO_ORG_ROLES: tuple[str, ...] = (Role.ANALYST, Role.AUDITOR, Role.ADMIN)


def write_services(modules: tuple[ModuleType, ...] = SERVICE_MODULES) -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for module in modules:
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn):
                continue
            # A package's services live in its rooms (e.g. cases.services.detainers.agency) and are imported by it.
            if fn.__module__ != module.__name__ and not fn.__module__.startswith(f"{module.__name__}."):
                continue
            actor = inspect.signature(fn).parameters.get("actor")
            if SERVICE_NAME.fullmatch(name) and actor is not None and actor.kind == inspect.Parameter.KEYWORD_ONLY:
                found[name] = fn
    return found


SERVICES = write_services()


def test_every_write_service_has_a_rule() -> None:
    from tests.test_service_matrix_apps import OTHER_SERVICES

    missing = sorted(name for name in (*SERVICES, *OTHER_SERVICES) if _rule_or_none(name) is None)
    assert not missing, f"write services without a row in the party table: {missing}"


def test_every_rule_of_these_modules_names_a_service_that_exists() -> None:
    apps = {m.__name__.split(".")[1] for m in SERVICE_MODULES}
    stale = [r.service for r in all_rules() if r.service in SCENES and r.service not in SERVICES]
    assert not stale, f"rules for services that no longer exist: {stale}"
    assert apps == {"cases", "custody"}
    assert set(SCENES) == set(SERVICES), "every write service needs a scene in SCENES"


def test_staff_recording_is_declared_only_where_the_service_takes_a_channel_and_a_document() -> None:
    for name, fn in SERVICES.items():
        rule = rule_for(name)
        if rule.recorded_by is not None:
            assert {"channel", "source_document"} <= set(inspect.signature(fn).parameters), name


def _rule_or_none(name: str) -> ActionRule | None:
    try:
        return rule_for(name)
    except LookupError:
        return None


# ------------------------------------------------------------------------------------------------ scenes


@dataclass
class Scene:
    call: Callable[[User, dict[str, Any]], Any]


PAPER = "Form received by fax, 2 March 2026, page 1"


def _ch(channel: str | None) -> dict[str, Any]:
    if channel == Channel.STAFF_RECORDED:
        return {"channel": channel, "source_document": PAPER}
    return {} if channel is None else {"channel": channel}


def _fresh(model: Any, pk: int) -> Any:
    return model.objects.get(pk=pk)


def _scene_detainer(w: World, service: str) -> Scene:
    later = T0 + timedelta(days=1)
    if service == "detainer_prepare":
        b = book(w)
        m = confirmed_match(w, b)
        return Scene(
            lambda a, kw: ds.detainer_prepare(
                actor=a,
                booking=_fresh(Booking, b.pk),
                identity_match=_fresh(IdentityMatch, m.pk),
                pc_bases=["BIOMETRIC_AND_DATABASE"],
                at=later,
                **kw,
            )
        )
    if service == "warrant_attach":
        d = prepared(w, warrant=False)
        return Scene(
            lambda a, kw: ds.warrant_attach(
                actor=a,
                detainer=_fresh(Detainer, d.pk),
                warrant_type=WarrantType.I200,
                signed_by_name="A. Officer",
                signed_by_title="Supervisory Detention and Deportation Officer",
                signed_at=later,
                at=later,
                **kw,
            )
        )
    if service == "warrant_confirm_judicial":
        d = received(w)
        wt = ds.warrant_attach(
            actor=w.officer,
            detainer=d,
            warrant_type=WarrantType.JUDICIAL_ARREST,
            signed_by_name="A. Signer",
            signed_by_title="United States Magistrate Judge",
            court="U.S. District Court for the S.D. Tex.",
            signed_at=T0,
            at=T0 + timedelta(hours=1),
        )
        return Scene(lambda a, kw: ds.warrant_confirm_judicial(actor=a, warrant=_fresh(Warrant, wt.pk), at=later, **kw))
    if service == "detainer_record_neutral_review":
        w.office.neutral_review_required = True
        w.office.save(update_fields=["neutral_review_required"])
        d = prepared(w)
        return Scene(
            lambda a, kw: ds.detainer_record_neutral_review(
                actor=a, detainer=_fresh(Detainer, d.pk), result=ReviewResult.PC_FOUND, at=later, **kw
            )
        )
    if service == "detainer_revalidate":
        # Approved without a warrant (recorded by the LEA from the agency's document), so validation fails;
        # the warrant then arrives and the LEA re-validates.
        d = prepared(w, warrant=False)
        ds.detainer_approve(
            actor=w.booking_clerk,
            detainer=d,
            at=T0 + timedelta(minutes=10),
            channel=Channel.STAFF_RECORDED,
            source_document=PAPER,
        )
        ds.detainer_transmit(actor=w.officer, detainer=d, at=T0 + timedelta(minutes=11))
        ds.detainer_receive(actor=w.booking_clerk, detainer=d, at=T0 + timedelta(minutes=30))
        ds.warrant_attach(
            actor=w.officer,
            detainer=d,
            warrant_type=WarrantType.I200,
            signed_by_name="A. Officer",
            signed_by_title="Supervisory Detention and Deportation Officer",
            signed_at=T0 + timedelta(minutes=40),
            at=T0 + timedelta(minutes=40),
        )
        return Scene(lambda a, kw: ds.detainer_revalidate(actor=a, detainer=_fresh(Detainer, d.pk), at=later, **kw))
    if service in ("detainer_approve", "detainer_transmit"):
        d = prepared(w)
        if service == "detainer_transmit":
            ds.detainer_approve(actor=w.supervisor, detainer=d, at=T0 + timedelta(minutes=10))
        fn = getattr(ds, service)
        return Scene(lambda a, kw: fn(actor=a, detainer=_fresh(Detainer, d.pk), at=later, **kw))
    if service == "detainer_receive":
        d = prepared(w)
        ds.detainer_approve(actor=w.supervisor, detainer=d, at=T0 + timedelta(minutes=10))
        ds.detainer_transmit(actor=w.officer, detainer=d, at=T0 + timedelta(minutes=11))
        return Scene(lambda a, kw: ds.detainer_receive(actor=a, detainer=_fresh(Detainer, d.pk), at=later, **kw))
    if service == "detainer_serve_subject":
        d = received(w)
        return Scene(lambda a, kw: ds.detainer_serve_subject(actor=a, detainer=_fresh(Detainer, d.pk), at=later, **kw))
    if service == "detainer_decide":
        d = received(w)
        ds.detainer_serve_subject(actor=w.booking_clerk, detainer=d, at=T0 + timedelta(minutes=40))
        return Scene(
            lambda a, kw: ds.detainer_decide(
                actor=a, detainer=_fresh(Detainer, d.pk), decision=LeaDecision.NOTIFY_ONLY, at=later, **kw
            )
        )
    if service == "detainer_lift":
        d = hold_eligible(w)
        return Scene(
            lambda a, kw: ds.detainer_lift(
                actor=a, detainer=_fresh(Detainer, d.pk), reason=LiftReason.CASE_CLOSED, at=later, **kw
            )
        )
    if service == "notification_send":
        d = hold_eligible(w)
        return Scene(lambda a, kw: ds.notification_send(actor=a, detainer=_fresh(Detainer, d.pk), at=later, **kw))
    if service == "detainer_transfer_custody":
        d = hold_eligible(w)
        cs.booking_record_release_eligibility(actor=w.booking_clerk, booking=d.booking, at=later, reason="BOND_POSTED")
        return Scene(
            lambda a, kw: ds.detainer_transfer_custody(
                actor=a, detainer=_fresh(Detainer, d.pk), at=later + timedelta(hours=1), **kw
            )
        )
    raise KeyError(service)


def _scene_subpoena(w: World, service: str) -> Scene:
    at = T0 + timedelta(days=80)
    d = hold_eligible(w)
    if service == "subpoena_draft":
        return Scene(
            lambda a, kw: ss.subpoena_draft(
                actor=a, recipient_lea=w.lea, subject=d.subject, items=[ItemCategory.RELEASE_DATE], at=at, **kw
            )
        )
    stage = {
        "subpoena_issue": "draft",
        "subpoena_serve": "issued",
        "subpoena_withdraw": "issued",
        "subpoena_acknowledge": "served",
        "subpoena_respond": "acknowledged",
        "subpoena_refer": "declined",
        "referral_decline": "referred",
        "court_petition_file": "referred",
        "court_order_record": "in_court",
        "court_case_advance": "enforced",
        "court_compliance_record": "enforced",
    }[service]
    s = subpoena_to(w, stage=stage, detainer=d)

    def sub() -> Subpoena:
        return _fresh(Subpoena, s.pk)

    def court() -> CourtCase:
        return CourtCase.objects.get(referral__subpoena_id=s.pk)

    calls: dict[str, Callable[[User, dict[str, Any]], Any]] = {
        "subpoena_issue": lambda a, kw: ss.subpoena_issue(actor=a, subpoena=sub(), at=at, **kw),
        "subpoena_serve": lambda a, kw: ss.subpoena_serve(actor=a, subpoena=sub(), at=at, **kw),
        "subpoena_withdraw": lambda a, kw: ss.subpoena_withdraw(actor=a, subpoena=sub(), reason="moot", at=at, **kw),
        "subpoena_acknowledge": lambda a, kw: ss.subpoena_acknowledge(actor=a, subpoena=sub(), at=at, **kw),
        "subpoena_respond": lambda a, kw: ss.subpoena_respond(
            actor=a,
            subpoena=sub(),
            response_type=ResponseType.DECLINATION,
            grounds="Production only under a court order.",
            at=at,
            **kw,
        ),
        "subpoena_refer": lambda a, kw: ss.subpoena_refer(actor=a, subpoena=sub(), doj_office=w.doj, at=at, **kw),
        "referral_decline": lambda a, kw: ss.referral_decline(
            actor=a, referral=sub().referral, reason="declined", at=at, **kw
        ),
        "court_petition_file": lambda a, kw: ss.court_petition_file(
            actor=a, referral=sub().referral, court="S.D. Tex.", case_number="4:26-mc-99999", at=at, **kw
        ),
        "court_order_record": lambda a, kw: ss.court_order_record(
            actor=a, case=court(), order_type=OrderType.BRIEFING_SCHEDULE, issued_at=at, **kw
        ),
        "court_case_advance": lambda a, kw: ss.court_case_advance(actor=a, case=court(), action="appeal", at=at, **kw),
        "court_compliance_record": lambda a, kw: ss.court_compliance_record(actor=a, case=court(), at=at, **kw),
    }
    return Scene(calls[service])


def _scene_custody(w: World, service: str) -> Scene:
    later = T0 + timedelta(days=1)
    if service == "subject_create":
        return Scene(lambda a, kw: cs.subject_create(actor=a, first_name="Matrix", last_name="Subject", **kw))
    if service == "booking_create":
        subject = cs.subject_create(actor=w.booking_clerk, first_name="Matrix", last_name="Booked")
        return Scene(
            lambda a, kw: cs.booking_create(
                actor=a, subject=subject, facility=w.facility, booking_number="M-1", booked_at=later, **kw
            )
        )
    b = book(w)
    if service == "booking_record_release_eligibility":
        return Scene(
            lambda a, kw: cs.booking_record_release_eligibility(
                actor=a, booking=_fresh(Booking, b.pk), at=later, reason="BOND_POSTED", **kw
            )
        )
    if service == "booking_release":
        return Scene(
            lambda a, kw: cs.booking_release(
                actor=a, booking=_fresh(Booking, b.pk), at=later, release_type="BOND", **kw
            )
        )
    registry = registry_subject(w)
    if service == "identity_match_propose":
        return Scene(
            lambda a, kw: cs.identity_match_propose(
                actor=a, booking=_fresh(Booking, b.pk), subject=registry, basis=MatchBasis.BIOGRAPHIC, at=later, **kw
            )
        )
    if service == "identity_match_review":
        m = cs.identity_match_propose(actor=w.officer, booking=b, subject=registry, basis=MatchBasis.BIOGRAPHIC)
        return Scene(
            lambda a, kw: cs.identity_match_review(
                actor=a, match=_fresh(IdentityMatch, m.pk), confirm=True, reason="same person", at=later, **kw
            )
        )
    if service == "identity_match_revoke":
        m = confirmed_match(w, b, subject=registry)
        return Scene(
            lambda a, kw: cs.identity_match_revoke(
                actor=a, match=_fresh(IdentityMatch, m.pk), reason="wrong person", at=later, **kw
            )
        )
    if service == "citizenship_claim_open":
        return Scene(
            lambda a, kw: cs.citizenship_claim_open(
                actor=a, subject=b.subject, basis=ClaimBasis.ASSERTED, at=later, **kw
            )
        )
    if service == "citizenship_claim_resolve":
        claim = cs.citizenship_claim_open(actor=w.booking_clerk, subject=b.subject, basis=ClaimBasis.ASSERTED, at=T0)
        return Scene(
            lambda a, kw: cs.citizenship_claim_resolve(
                actor=a,
                claim=_fresh(CitizenshipClaim, claim.pk),
                verified_citizen=False,
                notes="A-file checked",
                at=later,
                **kw,
            )
        )
    raise KeyError(service)


SCENES: dict[str, Callable[[World, str], Scene]] = {
    **{name: _scene_detainer for name in SERVICES if name.startswith(("detainer_", "warrant_", "notification_"))},
    **{name: _scene_subpoena for name in SERVICES if name.startswith(("subpoena_", "referral_", "court_"))},
    **{name: _scene_custody for name in SERVICES if name.startswith(("subject_", "booking_", "identity_", "citizen"))},
}


# ------------------------------------------------------------------------------------------------- cells


def expected(rule: ActionRule, role: str, side: str, channel: str | None) -> bool:
    """What the rule says about one cell; ``side`` is "own" (the case's parties), "foreign" or "inactive"."""
    if role == Role.SYSTEM:
        return rule.system
    if side == "inactive":
        return False
    counterpart = rule.recorded_by
    if channel == Channel.STAFF_RECORDED and counterpart is not None and role in counterpart.roles - rule.roles:
        return side == "own" or counterpart.relation == Relation.ANYONE
    relations = {p.relation for p in rule.parties if role in p.roles}
    if not relations:
        return False
    return side == "own" or bool(relations & {Relation.FIELD_OFFICE, Relation.ANYONE})


class _Rollback(Exception):
    pass


@dataclass
class Outcome:
    allowed: bool
    error: BaseException | None
    transitions: list[Transition]
    events: list[AuditEvent]


def run_cell(scene: Scene, actor: User, channel: str | None) -> Outcome:
    """Call the service in a savepoint, look at what it wrote, and roll it back."""
    result: list[Outcome] = []
    t0 = Transition.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    a0 = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        with transaction.atomic():
            error: BaseException | None = None
            try:
                scene.call(actor, _ch(channel))
            except DomainError as exc:
                error = exc
            result.append(
                Outcome(
                    error is None,
                    error,
                    list(Transition.objects.filter(pk__gt=t0)),
                    list(AuditEvent.objects.filter(pk__gt=a0)),
                )
            )
            raise _Rollback
    except _Rollback:
        pass
    return result[0]


def _users(w: World, x: World, role: str) -> dict[str, Any]:
    if role in NO_ORG_ROLES:
        return {"none": UserFactory(role=role)}
    own: User = getattr(w, ROLE_USER[role])
    inactive = UserFactory(role=role, organization=own.organization, is_active=False)
    return {"own": own, "foreign": getattr(x, ROLE_USER[role]), "inactive": inactive}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_service_does_exactly_what_its_rule_says(service: str) -> None:
    rule = rule_for(service)
    system = system_user()
    w = make_world()
    x = other_aor_world()
    scene = SCENES[service](w, service)
    channels: list[str | None] = [None]
    if rule.recorded_by is not None:
        channels = [Channel.PORTAL, Channel.STAFF_RECORDED]
    cells: list[tuple[str, str, User, str | None]] = [(Role.SYSTEM, "own", system, None)]
    role: str
    for role in (*ROLE_USER, *NO_ORG_ROLES):
        for side, user in _users(w, x, role).items():
            cells.extend((role, side, user, ch) for ch in channels)
    wrong: list[str] = []
    for role, side, user, channel in cells:
        want = expected(rule, role, "foreign" if side == "none" else side, channel)
        got = run_cell(scene, user, channel)
        label = f"{service} by {role} ({side}){' on ' + channel if channel else ''}"
        if want and not got.allowed:
            wrong.append(f"{label}: refused, but the rule allows it — {got.error!r}")
        elif want and not (got.transitions or got.events):
            wrong.append(f"{label}: allowed but wrote no transition and no audit event")
        elif not want and got.allowed:
            wrong.append(f"{label}: allowed, but the rule refuses it")
        elif not want and not isinstance(got.error, (NotPermitted, rule.refusal)):
            wrong.append(f"{label}: refused with {got.error!r}, not by the rule ({rule.refusal.__name__})")
        elif not want and (got.transitions or got.events):
            wrong.append(f"{label}: refused but wrote {len(got.transitions)} transitions, {len(got.events)} events")
        elif want and channel == Channel.STAFF_RECORDED and role not in rule.roles:
            # The counterpart recorded the other side's act: the transition log and the audit event say so.
            first = got.transitions[0] if got.transitions else None
            marked = (
                first is not None
                and first.channel == Channel.STAFF_RECORDED
                and first.data.get("recorded_from_document") == PAPER
            )
            if not marked:
                wrong.append(f"{label}: the counterpart's record is not marked as staff-recorded")
    assert not wrong, "\n".join(wrong)
