"""Case-page actions by which the counterpart records the other side's act from its document (ADR 0019).

A deployment run by one side records the other side's acts from their papers: the addressed LEA's staff record
the issuing office's approval, transmittal, lift …; the issuing office's staff record the LEA's receipt, service
and decision. Each such action is the same action as the acting side's, with the document's name required; it
is offered only when the party table (``kernel.parties.refusal``) says this user may record it on this case,
and it runs the same service on the STAFF_RECORDED channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms

from holdtrack.cases.models import ACTIVE_STATES, TERMINAL_STATES
from holdtrack.desks import actions
from holdtrack.desks.actions import LEA_OPEN, SS, Action, D, _in_custody
from holdtrack.desks.forms import ActionForm
from holdtrack.kernel.parties import STAFF_RECORDED, Relation, refusal, rule_for

STAFF = {
    Relation.ISSUING_OFFICE: "the issuing office's staff",
    Relation.CASE_LEA: "the addressed law enforcement agency's staff",
    Relation.AREA_OFFICE: "the staff of the field office for the jail's area",
}
KEY_PREFIX = "recorded-"  # "record-order" and "record-compliance" are acting-side keys
DOCUMENT_HELP = "The other side's document you record this from: its form, number and the date you received it."


def _booking(d: Any) -> Any:
    return d.booking


def _self(obj: Any) -> Any:
    return obj


# The case states in which each act can be recorded: the acting side's offer in ``desks.actions`` without its
# party check, which the table makes instead (the counterpart is never the acting party).
# (case kind, desk action key, service, state in which it can be recorded, the object the rule is asked about)
RECORDABLE: tuple[tuple[str, str, str, Callable[[Any], bool], Callable[[Any], Any]], ...] = (
    (
        "detainer",
        "attach-warrant",
        "warrant_attach",
        lambda d: d.state in (D.PREPARED, D.APPROVED, D.TRANSMITTED, D.VALIDATION_FAILED),
        _self,
    ),
    ("detainer", "approve", "detainer_approve", lambda d: d.state == D.PREPARED, _self),
    ("detainer", "transmit", "detainer_transmit", lambda d: d.state == D.APPROVED, _self),
    (
        "detainer",
        "transfer-custody",
        "detainer_transfer_custody",
        lambda d: (
            (d.state == D.HOLD_IN_EFFECT or (d.state in ACTIVE_STATES and d.booking.release_eligible_at))
            and _in_custody(d)
        ),
        _self,
    ),
    ("detainer", "lift", "detainer_lift", lambda d: d.state not in (*TERMINAL_STATES, D.CLOSED), _self),
    ("detainer", "receive", "detainer_receive", lambda d: d.state == D.TRANSMITTED, _self),
    (
        "detainer",
        "serve-subject",
        "detainer_serve_subject",
        lambda d: d.served_at is None and d.state in LEA_OPEN and _in_custody(d),
        _self,
    ),
    ("detainer", "decide", "detainer_decide", lambda d: d.state == D.UNDER_POLICY_REVIEW, _self),
    (
        "detainer",
        "release-eligibility",
        "booking_record_release_eligibility",
        lambda d: (
            d.booking.release_eligible_at is None
            and _in_custody(d)
            and d.state
            in (D.UNDER_POLICY_REVIEW, *ACTIVE_STATES, D.CITIZENSHIP_REVIEW, D.RECEIVED, D.VALIDATION_FAILED)
        ),
        _booking,
    ),
    ("detainer", "release", "booking_release", lambda d: _in_custody(d) and d.state != D.TRANSMITTED, _booking),
    ("subpoena", "serve", "subpoena_serve", lambda s: s.state == SS.ISSUED, _self),
    ("subpoena", "acknowledge", "subpoena_acknowledge", lambda s: s.state == SS.SERVED, _self),
    ("subpoena", "respond", "subpoena_respond", lambda s: s.state in (SS.SERVED, SS.RESPONSE_DUE), _self),
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
    for kind, key, service, state, target in RECORDABLE:
        acting = actions.get(kind, key)
        rule = rule_for(service)
        assert acting is not None and rule.recorded_by is not None, f"{kind}/{key}: no action or no counterpart"
        out.append(
            Action(
                KEY_PREFIX + key,
                kind,
                f"Record the other side's act from its document: {acting.label[0].lower()}{acting.label[1:]}",
                frozenset(rule.recorded_by.roles - rule.roles),
                recorded_form(acting.form),
                _offered(service, state, target),
                acting.run,
                hint=f"For {STAFF[rule.recorded_by.relation]} recording the other side's act from its document; "
                "the timeline, the audit trail and the export mark it as recorded by your staff from that document.",
                warning=acting.warning,
            )
        )
    return out


def _offered(service: str, state: Callable[[Any], bool], target: Callable[[Any], Any]) -> Callable[[Any, Any], bool]:
    def allowed(user: Any, obj: Any) -> bool:
        return bool(state(obj)) and refusal(user, service, target(obj), channel=STAFF_RECORDED) is None

    return allowed


def register() -> None:
    """Add the recorded actions to the desks' action table (once, at app start)."""
    if not any(a.key.startswith(KEY_PREFIX) for a in actions.ACTIONS):
        actions.register(recorded_actions())
