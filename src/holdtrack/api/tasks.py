"""Task-queue entries of the API: webhook delivery (queued per delivery) and the overdue sweep."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from holdtrack.api.webhooks import webhook_attempt, webhook_retry_due


@db_task()
def deliver_webhook(delivery_id: int) -> str | None:
    d = webhook_attempt(delivery_id)
    return d.status if d is not None else None


@db_periodic_task(crontab(minute="*/5"))
def webhook_retry_periodic() -> int:
    return webhook_retry_due()
