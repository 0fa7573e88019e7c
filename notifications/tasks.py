"""Celery tasks: load and call a service. Both are idempotent (tasks are acknowledged late and may
run twice): the outbox row's status decides whether anything is sent."""
from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def deliver_message(message_id: int) -> None:
    """Send one outbox message now (enqueued when the transaction that wrote it commits)."""
    services.outbox_deliver(message_id=message_id)


@shared_task(ignore_result=True)
def deliver_pending() -> None:
    """Every minute (CELERY_BEAT_SCHEDULE): send what is due – retries, and whatever the broker missed."""
    services.outbox_deliver_due()
