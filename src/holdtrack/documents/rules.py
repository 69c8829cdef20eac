"""Who may write a document's event on its case (ADR 0019). Sending and acknowledging are scoped by the
documents services themselves (the case must be visible to the sender; an acknowledgement comes from the
recipient organisation), so these rows only name the roles of the case parties."""

from __future__ import annotations

from holdtrack.accounts.models import AGENCY_ROLES, LEA_ROLES, Role
from holdtrack.kernel.parties import ActionRule, Party, Relation, register_rules

CASE_ROLES = AGENCY_ROLES | LEA_ROLES | {Role.DOJ_ATTORNEY}

RULES = (
    ActionRule(
        "document_deliver",
        "send a case document",
        (Party(CASE_ROLES, Relation.ANYONE),),
        notes="the case must be visible to the sender (documents.services.require_case_visible)",
    ),
    ActionRule(
        "delivery_acknowledge",
        "acknowledge a delivery",
        (Party(CASE_ROLES, Relation.ANYONE),),
        notes="only users of the recipient organisation (checked by the service)",
    ),
)

register_rules(RULES)
