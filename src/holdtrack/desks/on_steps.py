"""Notifications raised by lifecycle steps: handlers registered with the step dispatcher (``kernel.dispatch``) by
``DesksConfig.ready``, for a detainer's ``transmit`` and a citizenship claim's ``open``, from the single step path
and the bulk writers alike (a claim a booking feed opens set-based is heard too).

The notification rows are written inside the transaction that logged the step, in a savepoint: a problem here
is logged and never undoes or blocks the legal record. Their e-mail leaves only after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from django.db import transaction

from holdtrack.audit.models import CaseType, Transition
from holdtrack.desks.tools import notifications
from holdtrack.kernel.dispatch import on_step

log = logging.getLogger(__name__)


def _each(transitions: Sequence[Transition], notify: Callable[[Transition], object]) -> None:
    for t in transitions:
        try:
            with transaction.atomic():
                notify(t)
        except Exception:  # never let a notification failure refuse a lifecycle step
            log.exception("notifications for %s %s:%s failed", t.name, t.case_type, t.case_id)


def on_detainer_transmitted(transitions: Sequence[Transition]) -> None:
    _each(transitions, lambda t: notifications.on_detainer_transmitted(t.case_id, t.at))


def on_claim_opened(transitions: Sequence[Transition]) -> None:
    def notify(t: Transition) -> None:
        subject_id = (t.data or {}).get("subject_id")
        if subject_id is not None:
            notifications.on_citizenship_claim_opened(t.case_id, int(subject_id), t.at)

    _each(transitions, notify)


def register() -> None:
    on_step(on_detainer_transmitted, case_types=[CaseType.DETAINER], names=["transmit"])
    on_step(on_claim_opened, case_types=[CaseType.CITIZENSHIP_CLAIM], names=["open"])
