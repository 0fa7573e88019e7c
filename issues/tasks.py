"""Celery tasks of the issues app: each calls one service."""
from celery import shared_task

from . import retention


@shared_task(name="issues.erase_expired_personal_data", ignore_result=True)
def erase_expired_personal_data() -> None:
    """Daily (CELERY_BEAT_SCHEDULE): erase reporters' personal data PERSONAL_DATA_RETENTION_DAYS after closing."""
    retention.personal_data_retention_sweep()
