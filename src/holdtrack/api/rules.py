"""Who may manage an organisation's API clients and webhooks (ADR 0019). Both belong to one organisation: its
own staff (for clients, the roles that answer for the organisation) or an administrator manage them; the
system account is the `api-client` command."""

from __future__ import annotations

from holdtrack.accounts.models import AGENCY_ROLES, LEA_ROLES, Role
from holdtrack.api.models import ApiClient, WebhookEndpoint
from holdtrack.kernel.parties import ActionRule, Parties, Party, register_parties, register_rules
from holdtrack.kernel.parties import Relation as R

ADMIN = Party(frozenset({Role.ADMIN}), R.ANYONE)
# The role that answers for each kind of organisation: supervisor, LEA counsel, DOJ attorney.
CLIENT_MANAGERS = Party(frozenset({Role.AGENCY_SUPERVISOR, Role.LEA_COUNSEL, Role.DOJ_ATTORNEY}), R.OWN_ORGANISATION)
# Webhooks are registered by the organisation's API clients, whose service users hold ordinary roles.
OWN_STAFF = Party(AGENCY_ROLES | LEA_ROLES | {Role.DOJ_ATTORNEY}, R.OWN_ORGANISATION)

RULES = (
    ActionRule("api_client_create", "create an API client", (CLIENT_MANAGERS, ADMIN)),
    ActionRule("api_client_deactivate", "deactivate an API client", (CLIENT_MANAGERS, ADMIN)),
    ActionRule(
        "webhook_endpoint_create",
        "register a webhook",
        (OWN_STAFF, ADMIN),
        notes="the API also asks for the scope `webhooks:manage`",
    ),
    ActionRule("webhook_endpoint_deactivate", "deactivate a webhook", (OWN_STAFF, ADMIN)),
)

register_rules(RULES)
register_parties(ApiClient, lambda c: Parties(organization_ids=frozenset({c.organization_id})))
register_parties(WebhookEndpoint, lambda e: Parties(organization_ids=frozenset({e.organization_id})))
