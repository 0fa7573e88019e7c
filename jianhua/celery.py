"""The Celery app. Its configuration comes from Django settings (the CELERY_* names)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jianhua.settings.local")

app = Celery("jianhua")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id follows a request into the tasks it enqueues; one log line per task (jianhua.logs).
from .logs import celery_signals_connect  # noqa: E402

celery_signals_connect()
