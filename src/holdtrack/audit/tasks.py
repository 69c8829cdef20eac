"""Task-queue tasks of the audit app. Chaining every minute is the backstop of the chainer thread (embedded) or
``holdtrack audit chain --follow`` (distributed), which link events within seconds. Every hour a signed
checkpoint goes to the checkpoint folder (``checkpoint_store``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from holdtrack.audit.chain import audit_chain
from holdtrack.audit.checkpoint_store import checkpoint_scheduled


@db_periodic_task(crontab(minute="*"))
def audit_chain_periodic() -> int:
    return audit_chain()


@db_periodic_task(crontab(minute="7"))
def audit_checkpoint_periodic() -> dict[str, object]:
    """Hourly, a few minutes past the hour (away from the jobs that start on it)."""

    return checkpoint_scheduled().as_dict()
