from celery import shared_task

from . import retention


@shared_task(name="field.erase_expired_personal_data", ignore_result=True)
def erase_expired_personal_data() -> None:
    """Daily (CELERY_BEAT_SCHEDULE): erase the names met on visits PERSONAL_DATA_RETENTION_DAYS after the visit."""
    retention.personal_data_retention_sweep()
