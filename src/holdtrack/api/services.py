"""API writes: clients (tokens) and webhook endpoints. Tokens are shown once and stored as SHA-256 only."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction

from holdtrack.accounts.models import Organization, OrgKind, Role, User
from holdtrack.accounts.services import system_user, user_ensure
from holdtrack.api import webhook_targets
from holdtrack.api.errors import field_error
from holdtrack.api.models import ApiClient, WebhookEndpoint, WebhookEvent
from holdtrack.audit.services import audit_record
from holdtrack.core.errors import NotPermitted, ValidationFailed
from holdtrack.core.timeutil import now
from holdtrack.kernel.parties import authorize

TOKEN_PREFIX = "ht1_"  # noqa: S105 - a marker that tells tokens apart, not a secret

# Every scope the API knows, and which an organization of each kind may hold.
SCOPES: dict[str, str] = {
    "bookings:read": "Read bookings of the client's scope",
    "bookings:write": "Report bookings and release events (own agency only)",
    "detainers:read": "Read detainers",
    "detainers:write": "Act on detainers (prepare, approve, receive, serve, decide …)",
    "subpoenas:read": "Read subpoenas and referrals",
    "subpoenas:write": "Act on subpoenas and referrals",
    "court:read": "Read court cases",
    "court:write": "Record petitions, orders and compliance",
    "matches:read": "Read identity matches",
    "matches:write": "Review identity matches",
    "claims:read": "Read citizenship claims",
    "claims:write": "Open and resolve citizenship claims",
    "subjects:read": "Read subjects' personal data (scoped)",
    "work:read": "Read the organization's work items",
    "reference:read": "Read reference data (agencies, facilities)",
    "webhooks:manage": "Manage the organization's webhook endpoints",
}
_COMMON = {"reference:read", "subjects:read", "work:read", "webhooks:manage"}
SCOPES_BY_KIND: dict[str, frozenset[str]] = {
    OrgKind.LEA: frozenset(
        _COMMON
        | {"bookings:read", "bookings:write", "detainers:read", "detainers:write", "subpoenas:read"}
        | {"subpoenas:write", "court:read", "court:write", "claims:read", "claims:write"}
    ),
    OrgKind.AGENCY_OFFICE: frozenset(
        _COMMON
        | {"bookings:read", "detainers:read", "detainers:write", "subpoenas:read", "subpoenas:write"}
        | {"court:read", "court:write", "matches:read", "matches:write", "claims:read", "claims:write"}
    ),
    OrgKind.DOJ: frozenset(
        _COMMON | {"detainers:read", "subpoenas:read", "subpoenas:write", "court:read", "court:write"}
    ),
}
# The service user's role: the role a human of that organization doing the same work would hold.
DEFAULT_ROLE: dict[str, str] = {
    OrgKind.LEA: Role.LEA_BOOKING,
    OrgKind.AGENCY_OFFICE: Role.AGENCY_OFFICER,
    OrgKind.DOJ: Role.DOJ_ATTORNEY,
}
ROLES_BY_KIND: dict[str, set[str]] = {
    OrgKind.LEA: {Role.LEA_BOOKING, Role.LEA_COUNSEL},
    OrgKind.AGENCY_OFFICE: {Role.AGENCY_OFFICER},
    OrgKind.DOJ: {Role.DOJ_ATTORNEY},
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedClient:
    client: ApiClient
    token: str  # shown once; only its hash is stored


def api_client_create(
    *, actor: User | None, organization: Organization, name: str, scopes: list[str], role: str | None = None
) -> CreatedClient:
    """A system client of ``organization`` with a service user of a role fitting that organization."""
    authorize(actor or system_user(), "api_client_create", organization)
    name = name.strip()
    if not name:
        raise ValidationFailed("A client name is required.")
    allowed = SCOPES_BY_KIND.get(organization.kind)
    if allowed is None:
        raise NotPermitted(f"A {organization.get_kind_display().lower()} cannot have API clients.")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationFailed(f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(sorted(SCOPES))}.")
    refused = sorted(set(scopes) - allowed)
    if refused:
        raise NotPermitted(f"A {organization.get_kind_display().lower()} may not hold scope(s) {', '.join(refused)}.")
    role = role or DEFAULT_ROLE[organization.kind]
    if role not in ROLES_BY_KIND[organization.kind]:
        raise ValidationFailed(f"Role {role} does not fit a {organization.get_kind_display().lower()}.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        if ApiClient.objects.filter(organization=organization, name=name).exists():
            raise ValidationFailed(f"{organization} already has a client named {name!r}.")
        # The client's service account is the system's to create; the client's own event names the actor.
        user = user_ensure(
            actor=system_user(),
            username=f"api-{organization.pk}-{secrets.token_hex(4)}",
            role=role,
            organization=organization,
            first_name="API client",
            last_name=name[:150],
        )
        client = ApiClient.objects.create(
            organization=organization,
            user=user,
            name=name,
            scopes=sorted(set(scopes)),
            token_prefix=token[:12],
            token_sha256=token_hash(token),
            created_at=now(),
        )
        audit_record(
            actor=actor,
            action="api_client.create",
            entity_type="api_client",
            entity_id=client.pk,
            data={"organization": organization.pk, "scopes": client.scopes, "role": role},
        )
    return CreatedClient(client=client, token=token)


def api_client_deactivate(*, actor: User | None, client: ApiClient) -> ApiClient:
    authorize(actor or system_user(), "api_client_deactivate", client)
    with transaction.atomic():
        ApiClient.objects.filter(pk=client.pk).update(active=False)
        audit_record(actor=actor, action="api_client.deactivate", entity_type="api_client", entity_id=client.pk)
    client.refresh_from_db()
    return client


def webhook_endpoint_create(
    *, actor: User, organization: Organization, url: str, events: list[str], secret: str | None = None
) -> WebhookEndpoint:
    authorize(actor, "webhook_endpoint_create", organization)
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if unknown or not events:
        raise ValidationFailed(f"Unknown or no events: {', '.join(unknown)}. Known: {', '.join(WebhookEvent.values)}.")
    try:
        webhook_targets.vet(url)  # again at every delivery: DNS can change
    except webhook_targets.TargetRefused as exc:
        raise field_error("url", exc.reason) from None
    with transaction.atomic():
        ep = WebhookEndpoint.objects.create(
            organization=organization,
            url=url,
            secret=secret or secrets.token_urlsafe(32),
            events=sorted(set(events)),
            created_at=now(),
        )
        audit_record(
            actor=actor,
            action="webhook_endpoint.create",
            entity_type="webhook_endpoint",
            entity_id=ep.pk,
            data={"events": ep.events},
        )
    return ep


def webhook_endpoint_deactivate(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    authorize(actor, "webhook_endpoint_deactivate", endpoint)
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
        audit_record(
            actor=actor, action="webhook_endpoint.deactivate", entity_type="webhook_endpoint", entity_id=endpoint.pk
        )
    endpoint.refresh_from_db()
    return endpoint
