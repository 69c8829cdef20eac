"""Service-level authorization matrix for the write services outside cases and custody (ADR 0019, amended).

``OTHER_MODULES`` lists every other module holding services (``<entity>_<action>`` functions taking a keyword
``actor``); a new service there without a row in the party table fails ``test_service_matrix``'s
``test_every_write_service_has_a_rule``. These services are imports, model training, uploads and settings,
too heavy to run once per role, so each is called for real with every argument ``None``: a service that asks
``authorize`` first refuses a role outside its row (``NotPermitted``), an inactive account of a role inside it
and — where the row says so — the system account, before it reads its arguments or writes anything. A service
that forgets ``authorize`` fails here (it writes, or breaks on the ``None`` arguments). The roles a row lets in
are checked on the table (``refusal``), and the rows with an organisation relation (API clients, webhooks) by
real calls from the owning and a foreign organisation.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from django.db import transaction

from holdtrack.accounts import otp
from holdtrack.accounts import services as accounts_services
from holdtrack.accounts.models import Role, User
from holdtrack.accounts.services import system_user
from holdtrack.api import services as api_services
from holdtrack.api.models import ApiClient, WebhookEndpoint
from holdtrack.audit import services as audit_services
from holdtrack.audit.models import AuditEvent, Transition
from holdtrack.core.errors import DomainError, NotPermitted
from holdtrack.custody import identity
from holdtrack.desks.tools import audit_search, calendar, notifications
from holdtrack.documents import delivery, packet
from holdtrack.documents import services as documents_services
from holdtrack.intake import bookings as intake_bookings
from holdtrack.intake import registry as intake_registry
from holdtrack.jurisdictions import agencies_import
from holdtrack.kernel.parties import Relation, all_rules, refusal, rule_for
from holdtrack.reports import foia
from holdtrack.screening import learning, rescreen, training
from holdtrack.screening import services as screening_services
from tests.factories import UserFactory, make_world, other_aor_world
from tests.test_service_matrix import write_services

pytestmark = pytest.mark.django_db

OTHER_MODULES: tuple[ModuleType, ...] = (
    accounts_services,
    otp,
    api_services,
    audit_services,
    identity,
    audit_search,
    calendar,
    notifications,
    delivery,
    packet,
    documents_services,
    intake_bookings,
    intake_registry,
    agencies_import,
    foia,
    learning,
    rescreen,
    screening_services,
    training,
)
# Shaped like services but steps of one: they record or link under the calling service's authorization.
NOT_ACTIONS = {
    "audit_record": "the audit primitive every service calls",
    "transition_record": "the transition primitive every step calls",
    "transition_row": "builds a row for transitions_record_bulk; writes nothing",
    "link_records": "a step of identity_match_review, under its lock and authorization",
    "unlink_records": "a step of identity_match_revoke, under its lock and authorization",
}
OTHER_SERVICES: dict[str, Callable[..., Any]] = {
    name: fn for name, fn in write_services(OTHER_MODULES).items() if name not in NOT_ACTIONS
}
HUMAN_ROLES = [r for r in Role.values if r != Role.SYSTEM]


def test_the_other_modules_are_listed_and_their_exceptions_exist() -> None:
    every = write_services(OTHER_MODULES)
    assert set(NOT_ACTIONS) <= set(every)
    assert len(OTHER_SERVICES) >= 30


def test_every_rule_names_a_service_that_exists() -> None:
    from tests.test_service_matrix import SERVICES

    stale = sorted(r.service for r in all_rules() if r.service not in SERVICES and r.service not in OTHER_SERVICES)
    assert not stale, f"rules for services that no longer exist: {stale}"


def _user(**fields: Any) -> User:
    user = UserFactory(**fields)
    assert isinstance(user, User)
    return user


def _call_with_nothing(fn: Callable[..., Any], actor: User) -> DomainError | None:
    """Call ``fn`` with every required argument None in a rolled-back savepoint; return its refusal and fail
    when it wrote an audit event or a transition."""
    kwargs: dict[str, Any] = {
        name: None
        for name, p in inspect.signature(fn).parameters.items()
        if name != "actor" and p.default is inspect.Parameter.empty
    }
    a0 = AuditEvent.objects.count()
    t0 = Transition.objects.count()
    error: DomainError | None = None
    with transaction.atomic():
        sid = transaction.savepoint()
        try:
            fn(actor=actor, **kwargs)
        except DomainError as exc:
            error = exc
        wrote = (AuditEvent.objects.count() - a0, Transition.objects.count() - t0)
        transaction.savepoint_rollback(sid)
    assert wrote == (0, 0), f"{fn.__name__} by {actor.role}: wrote {wrote} before refusing"
    return error


@pytest.mark.parametrize("service", sorted(OTHER_SERVICES))
def test_the_service_refuses_whom_its_rule_refuses_before_anything_else(service: str) -> None:
    fn = OTHER_SERVICES[service]
    rule = rule_for(service)
    wrong: list[str] = []
    for role in HUMAN_ROLES:
        if role in rule.roles:
            inactive = _user(role=role, is_active=False)
            err = _call_with_nothing(fn, inactive)
            if not isinstance(err, rule.refusal):
                wrong.append(f"inactive {role}: {err!r}, not a refusal by the rule")
        else:
            outsider = _user(role=role)
            err = _call_with_nothing(fn, outsider)
            if not isinstance(err, NotPermitted) or rule.text not in str(err):
                wrong.append(f"{role}: {err!r}, not the rule's NotPermitted")
    if not rule.system:
        err = _call_with_nothing(fn, system_user())
        if not isinstance(err, rule.refusal):
            wrong.append(f"system: {err!r}, not a refusal by the rule")
    assert not wrong, "\n".join(f"{service} by {w}" for w in wrong)


@pytest.mark.parametrize("service", sorted(OTHER_SERVICES))
def test_the_table_lets_in_the_roles_of_its_row(service: str) -> None:
    rule = rule_for(service)
    w = make_world()
    org_of = {"AGENCY": w.office, "LEA": w.lea_org, "DOJ": w.doj}
    for role in sorted(rule.roles):
        org = org_of.get(role.split("_")[0])
        user = _user(role=role, organization=org)
        # A row asking for the owning organisation is asked about a thing of the user's own organisation.
        owned = {p.relation for p in rule.parties if role in p.roles} == {Relation.OWN_ORGANISATION}
        assert refusal(user, service, org if owned else None) is None, f"{service}: {role} is in the row but refused"
    assert (refusal(system_user(), service) is None) == rule.system


def test_api_clients_and_webhooks_are_managed_by_their_own_organisation() -> None:
    w = make_world()
    x = other_aor_world()
    created = api_services.api_client_create(
        actor=w.lea_counsel, organization=w.lea_org, name="jail", scopes=["bookings:write"]
    )
    with pytest.raises(NotPermitted):
        api_services.api_client_create(actor=x.lea_counsel, organization=w.lea_org, name="other", scopes=[])
    with pytest.raises(NotPermitted):
        api_services.api_client_deactivate(actor=x.lea_counsel, client=created.client)
    assert ApiClient.objects.filter(organization=w.lea_org).count() == 1
    api_services.api_client_deactivate(actor=w.lea_counsel, client=created.client)
    assert not ApiClient.objects.get(pk=created.client.pk).active

    ep = WebhookEndpoint.objects.create(
        organization=w.lea_org,
        url="https://hooks.example.org/in",
        secret="s",
        events=["detainer.transmitted"],
        created_at=created.client.created_at,
    )
    with pytest.raises(NotPermitted, match="deactivate a webhook"):
        api_services.webhook_endpoint_deactivate(actor=x.booking_clerk, endpoint=ep)
    assert WebhookEndpoint.objects.get(pk=ep.pk).active
    api_services.webhook_endpoint_deactivate(actor=w.booking_clerk, endpoint=ep)
    assert not WebhookEndpoint.objects.get(pk=ep.pk).active
    assert refusal(x.booking_clerk, "webhook_endpoint_create", w.lea_org) is not None
    assert refusal(w.booking_clerk, "webhook_endpoint_create", w.lea_org) is None
