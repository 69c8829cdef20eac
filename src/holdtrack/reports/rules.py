"""Who may load public releases into the reports (ADR 0019): the system account (the `import` command), an
administrator or an analyst. The rows are aggregates of a published FOIA release, party to no case."""

from __future__ import annotations

from holdtrack.accounts.models import Role
from holdtrack.kernel.parties import ActionRule, Party, register_rules
from holdtrack.kernel.parties import Relation as R

RULES = (
    ActionRule(
        "foia_detainers_import",
        "import a FOIA release",
        (Party(frozenset({Role.ADMIN, Role.ANALYST}), R.ANYONE),),
    ),
)

register_rules(RULES)
