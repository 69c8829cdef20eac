"""Who may write accounts (ADR 0019): creating users is the system's or an administrator's; a user's own
second-factor codes are that user's. An organisation is its own owner (``Relation.OWN_ORGANISATION``), which
the rules of things an organisation owns (API clients, webhooks) read."""

from __future__ import annotations

from holdtrack.accounts.models import Organization, Role
from holdtrack.kernel.parties import ActionRule, Parties, Party, register_parties, register_rules
from holdtrack.kernel.parties import Relation as R

HUMAN_ROLES = frozenset(Role.values) - {Role.SYSTEM}

RULES = (
    ActionRule(
        "user_ensure",
        "create a user account",
        (Party(frozenset({Role.ADMIN}), R.ANYONE),),
        notes="the system account (demo, simulator, `api-client`) or an administrator",
    ),
    ActionRule(
        "backup_codes_regenerate",
        "replace second-factor backup codes",
        (Party(HUMAN_ROLES, R.ANYONE),),
        system=False,
        notes="the user's own codes only (the service writes the actor's)",
    ),
)

register_rules(RULES)
register_parties(Organization, lambda o: Parties(organization_ids=frozenset({o.pk})))
