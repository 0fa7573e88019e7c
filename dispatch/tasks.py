"""Dispatch's periodic work, run by Celery beat (see CELERY_BEAT_SCHEDULE in the settings).

Every task is idempotent and catches up: it asks what is due *now*, so running it twice does
nothing twice and running it after an outage does everything that fell due meanwhile."""
from celery import shared_task

from . import timers


@shared_task(name="dispatch.sweep_deadlines", ignore_result=True)
def sweep_deadlines() -> dict:
    """Reminders at 75 %, overdue marks, automatic escalation (``dispatch.timers``)."""
    report = timers.deadline_sweep()
    return {"reminded": len(report.reminded), "overdue": len(report.overdue), "escalated": len(report.escalated)}


@shared_task(name="dispatch.sweep_supervision", ignore_result=True)
def sweep_supervision() -> int:
    """Puts issues overdue by more than SUPERVISION_OVERDUE_DAYS on the supervision list (``dispatch.supervision``)."""
    from .supervision import supervision_sweep

    return len(supervision_sweep())
