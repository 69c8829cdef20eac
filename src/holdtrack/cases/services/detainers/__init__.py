"""Detainer services: the agency's steps (prepare, warrant, approve, transmit) joined to the LEA's (receive,
validate, serve, decide, hold, release) on one record with one set of clocks.

Every function takes the row lock, checks its guards, applies the transition, and writes the transition
log and the audit event in one transaction. Safeguards live here, not in views.

Rooms, each importing only those before it: ``guards`` (the hold guards and the policy evaluation they read),
``lea`` (receive, validate, serve, decide, hold, expire, notify), ``agency`` (prepare, warrants, approve,
transmit, neutral review, lift), ``custody_events`` (what release eligibility, release, citizenship claims,
identity links and custody transfer do to a detainer). Callers import from the package.
"""

from __future__ import annotations

from holdtrack.cases.services.detainers.agency import (
    TERMINAL,
    detainer_approve,
    detainer_lift,
    detainer_prepare,
    detainer_record_neutral_review,
    detainer_transmit,
    warrant_attach,
    warrant_confirm_judicial,
)
from holdtrack.cases.services.detainers.custody_events import (
    detainer_transfer_custody,
    on_citizenship_claim,
    on_citizenship_resolved,
    on_identity_linked,
    on_identity_unlinked,
    on_release,
    on_release_eligibility,
)
from holdtrack.cases.services.detainers.guards import (
    FACTS,
    has_open_claim,
    hold_guard_failures,
    hold_warrants,
    policy_evaluation,
    raise_first,
    with_warrants,
)
from holdtrack.cases.services.detainers.lea import (
    detainer_decide,
    detainer_expire_if_due,
    detainer_receive,
    detainer_revalidate,
    detainer_serve_subject,
    notification_send,
    raise_work,
    start_hold,
)

__all__ = [
    "FACTS",
    "TERMINAL",
    "detainer_approve",
    "detainer_decide",
    "detainer_expire_if_due",
    "detainer_lift",
    "detainer_prepare",
    "detainer_receive",
    "detainer_record_neutral_review",
    "detainer_revalidate",
    "detainer_serve_subject",
    "detainer_transfer_custody",
    "detainer_transmit",
    "has_open_claim",
    "hold_guard_failures",
    "hold_warrants",
    "notification_send",
    "on_citizenship_claim",
    "on_citizenship_resolved",
    "on_identity_linked",
    "on_identity_unlinked",
    "on_release",
    "on_release_eligibility",
    "policy_evaluation",
    "raise_first",
    "raise_work",
    "start_hold",
    "warrant_attach",
    "warrant_confirm_judicial",
    "with_warrants",
]
