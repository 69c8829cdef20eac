"""Who may write a document's event on its case (ADR 0019). Sending and acknowledging are scoped by the
documents services themselves (the case must be visible to the sender; an acknowledgement comes from the
recipient organisation), so these rows only name the roles of the case parties."""

from __future__ import annotations

from holdtrack.accounts.models import AGENCY_ROLES, LEA_ROLES, Role
from holdtrack.kernel.parties import ActionRule, Party, Relation, register_rules

CASE_ROLES = AGENCY_ROLES | LEA_ROLES | {Role.DOJ_ATTORNEY}
VISIBLE = "the case must be visible to the actor (documents.services.require_case_visible)"

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
    ActionRule(
        "delivery_failure_resolve",
        "settle a failed delivery",
        (Party(CASE_ROLES, Relation.ANYONE),),
        notes="only the sender's organisation (checked by the service)",
    ),
    ActionRule("document_store", "store a case document", (Party(CASE_ROLES, Relation.ANYONE),), notes=VISIBLE),
    ActionRule("store_rendered", "store a case document", (Party(CASE_ROLES, Relation.ANYONE),), notes=VISIBLE),
    ActionRule(
        "document_render_and_store", "render a case document", (Party(CASE_ROLES, Relation.ANYONE),), notes=VISIBLE
    ),
    ActionRule("document_upload", "upload a case document", (Party(CASE_ROLES, Relation.ANYONE),), notes=VISIBLE),
    ActionRule(
        "packet_assemble",
        "assemble an enforcement packet",
        (Party(AGENCY_ROLES | {Role.DOJ_ATTORNEY}, Relation.ANYONE),),
        notes="the issuing office or the DOJ office on the referral (the case must be visible)",
    ),
)

register_rules(RULES)
