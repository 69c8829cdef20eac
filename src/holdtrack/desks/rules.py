"""Who may take the desks' own writes (ADR 0019): each user's notifications and calendar feed token are that
user's (the services write the actor's rows only); an audit export is recorded for the audit readers."""

from __future__ import annotations

from holdtrack.accounts.models import Role
from holdtrack.cases.access import AUDIT_READER_ROLES
from holdtrack.kernel.parties import ActionRule, Party, register_rules
from holdtrack.kernel.parties import Relation as R

HUMANS = (Party(frozenset(Role.values) - {Role.SYSTEM}, R.ANYONE),)
SELF = "the actor's own rows only"

RULES = (
    ActionRule("notification_mark_read", "mark notifications read", HUMANS, system=False, notes=SELF),
    ActionRule("feed_token_rotate", "issue a calendar feed link", HUMANS, system=False, notes=SELF),
    ActionRule("feed_token_revoke", "revoke a calendar feed link", HUMANS, system=False, notes=SELF),
    ActionRule(
        "audit_export_record",
        "export the audit trail",
        (Party(AUDIT_READER_ROLES, R.ANYONE),),
        system=False,
    ),
)

register_rules(RULES)
