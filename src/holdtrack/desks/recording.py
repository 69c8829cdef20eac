"""Case-page actions by which the counterpart records the other side's act from its document (ADR 0019).

A deployment run by one side records the other side's acts from their papers: the addressed LEA's staff record
the issuing office's approval, transmittal, lift …; the issuing office's staff record the LEA's receipt, service
and decision. Each such action is the same action as the acting side's, with the document's name required; it
is offered only when the party table (``kernel.parties.refusal``) says this user may record it on this case
(and the state allows the act), and it runs the same service on the STAFF_RECORDED channel.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django import forms

from holdtrack.desks import actions
from holdtrack.desks.actions import Action
from holdtrack.desks.forms import ActionForm
from holdtrack.kernel.parties import STAFF_RECORDED, Relation, rule_for

STAFF = {
    Relation.ISSUING_OFFICE: "the issuing office's staff",
    Relation.CASE_LEA: "the addressed law enforcement agency's staff",
    Relation.AREA_OFFICE: "the staff of the field office for the jail's area",
}
KEY_PREFIX = "recorded-"  # "record-order" and "record-compliance" are acting-side keys
DOCUMENT_HELP = "The other side's document you record this from: its form, number and the date you received it."

# The acting side's actions that the counterpart records from the other side's document. Each is offered in the
# same states (its fsm steps and facts) and to whom the service's rule names as the counterpart.
RECORDABLE: tuple[tuple[str, str], ...] = (
    ("detainer", "attach-warrant"),
    ("detainer", "approve"),
    ("detainer", "transmit"),
    ("detainer", "transfer-custody"),
    ("detainer", "lift"),
    ("detainer", "receive"),
    ("detainer", "serve-subject"),
    ("detainer", "decide"),
    ("detainer", "release-eligibility"),
    ("detainer", "release"),
    ("subpoena", "serve"),
    ("subpoena", "acknowledge"),
    ("subpoena", "respond"),
)


def recorded_form(form: type[ActionForm]) -> type[ActionForm]:
    """The acting side's form with the document's name first (required; a blank one is refused)."""
    attrs: dict[str, Any] = {
        "source_document": forms.CharField(
            label="Document recorded from", max_length=200, help_text=DOCUMENT_HELP, strip=True
        ),
        "field_order": ["source_document"],
    }
    return type(f"Recorded{form.__name__}", (form,), attrs)


def recorded_actions() -> list[Action]:
    """One recorded action per row of ``RECORDABLE``, built from the acting side's action."""
    out = []
    for kind, key in RECORDABLE:
        acting = actions.get(kind, key)
        assert acting is not None, f"{kind}/{key}: no such action"
        rule = rule_for(acting.service)
        assert rule.recorded_by is not None, f"{kind}/{key}: no counterpart records {acting.service}"
        out.append(
            replace(
                acting,
                key=KEY_PREFIX + key,
                label=f"Record the other side's act from its document: {acting.label[0].lower()}{acting.label[1:]}",
                form=recorded_form(acting.form),
                channel=STAFF_RECORDED,
                hint=f"For {STAFF[rule.recorded_by.relation]} recording the other side's act from its document; "
                "the timeline, the audit trail and the export mark it as recorded by your staff from that document.",
            )
        )
    return out


def register() -> None:
    """Add the recorded actions to the desks' action table (once, at app start)."""
    if not any(a.key.startswith(KEY_PREFIX) for a in actions.ACTIONS):
        actions.register(recorded_actions())
