"""Errors to Sentry, when SENTRY_DSN is set (the settings call ``sentry_init``; without a DSN nothing here runs).

Unhandled errors of views and Celery tasks, and records logged at ERROR, become events tagged with the
request id of the log lines (and the task's id), so an event leads to every line of its request. No
personal data leaves: no user, client address or cookie, no request body or query values (a resident's
name and phone travel in forms), no task arguments and no local variables of the traceback's frames.
"""
import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from .logs import request_id_current, task_current


def _tag_with_request_id(event, hint):
    tags = event.setdefault("tags", {})
    request_id = request_id_current()
    if request_id:
        tags.setdefault("request_id", request_id)
    task = task_current()
    if task is not None:
        tags.setdefault("task_id", task[0])
    return event


def sentry_init(*, dsn: str, environment: str, release: str | None = None, traces_sample_rate: float = 0.0,
                **options) -> None:
    """Start the Sentry SDK for this process with the Django and Celery integrations. ``options`` go to
    ``sentry_sdk.init`` as they are (a test's transport, for one)."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # What the SDK may collect (supersedes send_default_pii, which is left unset: False): no user, cookie,
        # client address, body, query values, SQL parameters, task arguments or local variables.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "denylist", "terms": ["forwarded", "-ip", "remote-", "via", "-user"]}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "queues": False,
            "gen_ai": {"inputs": False, "outputs": False},
            "stack_frame_variables": False,
        },
        max_request_body_size="never",
        before_send=_tag_with_request_id,
        before_send_transaction=_tag_with_request_id,
        **options,
    )
