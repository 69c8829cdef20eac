"""Task-queue tasks of the audit app. Chaining every minute is the backstop of the chainer thread (embedded) or
``holdtrack audit chain --follow`` (distributed), which link events within seconds."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def audit_chain_periodic() -> int:
    from holdtrack.audit.chain import audit_chain

    return audit_chain()
