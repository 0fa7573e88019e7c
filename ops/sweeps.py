"""When the periodic sweeps last ran, for the readiness check "beat swept within two periods".

Celery beat sends the sweeps (READINESS_SWEEP_TASKS, every PERIODIC_SECONDS) and a worker runs them;
both moments are written to the shared cache (Redis in production): the publishing process records
"sent", the worker records "ran" when the task succeeded. A sweep that raises is not recorded, so a
sweep failing every time looks the same as one that never runs. No table, no migration."""
import time

from celery import signals
from django.conf import settings
from django.core.cache import cache

SENT, RAN = "sent", "ran"
_KEEP_SECONDS = 7 * 24 * 3600  # long past any period; a missing key reads as "never"


def _key(moment: str, task_name: str) -> str:
    return f"ops:sweep:{moment}:{task_name}"


def sweep_tasks() -> tuple[str, ...]:
    return tuple(settings.READINESS_SWEEP_TASKS)


def sweep_record(*, task_name: str, moment: str, at: float | None = None) -> None:
    """Note that ``task_name`` was sent or ran at ``at`` (a Unix time; now by default)."""
    cache.set(_key(moment, task_name), time.time() if at is None else at, timeout=_KEEP_SECONDS)


def sweep_last(*, task_name: str, moment: str) -> float | None:
    """The Unix time ``task_name`` was last sent or ran, or None when it never was (as far as the cache knows)."""
    return cache.get(_key(moment, task_name))


async def sweep_last_async(*, task_name: str, moment: str) -> float | None:
    return await cache.aget(_key(moment, task_name))


def _on_success(sender=None, **kwargs):
    if sender is not None and sender.name in sweep_tasks():
        sweep_record(task_name=sender.name, moment=RAN)


def _on_publish(sender=None, **kwargs):
    # The sender is the task's name; only beat publishes the sweeps (run_timers runs them in-process).
    if sender in sweep_tasks():
        sweep_record(task_name=sender, moment=SENT)


def connect() -> None:
    signals.task_success.connect(_on_success, weak=False, dispatch_uid="ops.sweeps.ran")
    signals.before_task_publish.connect(_on_publish, weak=False, dispatch_uid="ops.sweeps.sent")
