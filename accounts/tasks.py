"""Celery tasks: call a service."""
from celery import shared_task

from . import services


@shared_task(name="accounts.purge_phone_codes", ignore_result=True)
def purge_phone_codes() -> None:
    """Daily (CELERY_BEAT_SCHEDULE): delete sign-in codes older than PHONE_CODE_RETENTION_DAYS."""
    services.phone_codes_purge()
