"""Run the periodic tasks of CELERY_BEAT_SCHEDULE in this process, for the embedded default.

Production runs ``celery -A jianhua beat`` and workers. On a laptop (bin/demo) there is no broker:
this command runs the same tasks in a loop, each every ``--every`` seconds, so deadlines fire and the
outbox drains there too. ``--once`` runs each task once and stops (for cron or a quick check)."""
import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from jianhua.celery import app

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the periodic tasks (deadlines, outbox, supervision) in this process, without Celery beat."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=60.0, help="seconds between rounds (default 60)")
        parser.add_argument("--once", action="store_true", help="run one round and stop")

    def handle(self, *args, every, once, **options):
        app.loader.import_default_modules()  # registers every app's tasks
        names = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
        self.stdout.write(f"Periodic tasks: {', '.join(names)}; every {every:g} s")
        while True:
            for name in names:
                try:
                    result = app.tasks[name].apply()
                    if result.failed():
                        logger.error("%s failed: %s", name, result.result)
                except Exception:  # a failing task must not stop the others, nor the loop
                    logger.exception("%s failed", name)
            if once:
                return
            time.sleep(every)
