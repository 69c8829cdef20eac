"""The staff-recorded channel of the API (issue 11, ADR 0019): a counterpart records the other side's act.

An action the party table lets the counterpart record (its rule has ``recorded_by``) takes an optional
``recorded_from`` object naming the other side's document; the call then goes through the same service on the
STAFF_RECORDED channel with that document. The table alone decides who may: only the counterpart on that case.
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema

from holdtrack.accounts.models import User
from holdtrack.api.errors import field_error
from holdtrack.audit.models import Channel
from holdtrack.core.errors import NotPermitted
from holdtrack.kernel.parties import rule_for

RECORDED_FROM_DESCRIPTION = (
    "Only for the counterpart on the case (the addressed LEA's staff for the issuing office's act, the issuing "
    "office's staff for the LEA's act): record the other side's act from its document. The step is marked as "
    "staff-recorded, with the document's name, in the timeline, the audit trail and the event export."
)


class RecordedFromIn(Schema):
    document: str = Field(
        ...,
        min_length=1,
        max_length=200,
        description="The other side's document the act is recorded from (form, number, date received)",
    )


class RecordedIn(Schema):
    """The body of an action without other fields: empty, or the document a counterpart records it from."""

    recorded_from: RecordedFromIn | None = Field(None, description=RECORDED_FROM_DESCRIPTION)


def via(user: User, service: str, payload: RecordedIn | None) -> dict[str, Any]:
    """The service's channel arguments for this call: none for a party acting itself; the STAFF_RECORDED channel
    and the document for a counterpart. Whether this actor is the counterpart *on this case* is the service's
    (the table's) decision; here only a role that takes the act itself is told not to send ``recorded_from``."""
    recorded_from = payload.recorded_from if payload is not None else None
    if recorded_from is None:
        return {}
    document = recorded_from.document.strip()
    if not document:
        raise field_error("recorded_from.document", "Name the other side's document the act is recorded from.")
    rule = rule_for(service)
    if rule.recorded_by is None:  # only reachable if a route offers recorded_from for a rule without one
        raise field_error("recorded_from", f"Nobody records the act to {rule.text} from the other side's document.")
    if str(user.role) in rule.roles:
        raise NotPermitted(
            f"A {user.get_role_display().lower()} takes the act to {rule.text} itself: 'recorded_from' is for the "
            "other side's staff recording it from a document."
        )
    return {"channel": Channel.STAFF_RECORDED, "source_document": document}
