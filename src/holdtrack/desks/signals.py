"""Notifications raised by lifecycle steps: a receiver on ``audit.Transition`` saves (as the report outbox does).

The notification rows are written inside the transaction that logged the step, in a savepoint: a problem here
is logged and never undoes or blocks the legal record. Their e-mail leaves only after commit.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from holdtrack.audit.models import CaseType, Transition

log = logging.getLogger(__name__)


@receiver(post_save, sender=Transition, dispatch_uid="desks_notify_on_transition")
def _notify_on_transition(sender: type[Transition], instance: Transition, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    key = (instance.case_type, instance.name)
    if key not in {(CaseType.DETAINER, "transmit"), (CaseType.CITIZENSHIP_CLAIM, "open")}:
        return
    from holdtrack.desks.tools import notifications

    try:
        with transaction.atomic():
            if key[0] == CaseType.DETAINER:
                notifications.on_detainer_transmitted(instance.case_id, instance.at)
            else:
                subject_id = (instance.data or {}).get("subject_id")
                if subject_id is not None:
                    notifications.on_citizenship_claim_opened(instance.case_id, int(subject_id), instance.at)
    except Exception:  # never let a notification failure refuse a lifecycle step
        log.exception("notifications for %s %s:%s failed", instance.name, instance.case_type, instance.case_id)
