"""Who may write the reference data of jurisdictions (ADR 0019): the system account or an administrator."""

from __future__ import annotations

from holdtrack.accounts.models import Role
from holdtrack.kernel.parties import ActionRule, Party, register_rules
from holdtrack.kernel.parties import Relation as R

RULES = (ActionRule("agencies_import", "import law enforcement agencies", (Party(frozenset({Role.ADMIN}), R.ANYONE),)),)

register_rules(RULES)
