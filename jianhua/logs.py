"""Structured logs: a request id for everything one request causes, one line per request and per task.

The id comes from the client's (or the proxy's) ``X-Request-ID`` when it is short and safe, else it is
made here; it is answered in the response's ``X-Request-ID``, put on every log record (``ContextFilter``,
installed on the console handler by ``LOGGING``), on the Celery tasks the request enqueues (a message
header) and on the outbox rows it queues (``OutboxMessage.request_id``). A task that no request enqueued
(beat's sweeps, a management command's) gets an id of its own, so its lines and rows group too.

Nothing here reads personal data: the request line has the path without its query's values, the user's
id (not the name or phone) and the client address as the sign-in lockout sees it.
"""
import contextvars
import logging
import re
import time
import uuid
from contextlib import contextmanager

from celery import signals
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
TASK_HEADER = "jianhua_request_id"  # the Celery message header that carries the id into a task
# A proxy's id (nginx $request_id, a UUID, a trace id) fits; anything longer or stranger is replaced.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

_request_id = contextvars.ContextVar("request_id", default="")
_task = contextvars.ContextVar("task", default=None)  # (task id, task name) while a task runs

request_logger = logging.getLogger("jianhua.request")
task_logger = logging.getLogger("jianhua.task")


def request_id_current() -> str:
    """The id of the request (or task) this code runs for; "" outside both."""
    return _request_id.get()


def task_current() -> tuple[str, str] | None:
    """(task id, task name) of the Celery task this code runs in; None outside one."""
    return _task.get()


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_accept(value) -> str:
    """``value`` if it is a usable id (1–64 letters, digits and ``._:-``), else a new one."""
    if isinstance(value, str) and _SAFE_REQUEST_ID.fullmatch(value):
        return value
    return request_id_new()


@contextmanager
def request_id_bound(value: str):
    """Log (and queue) under ``value`` inside the block, e.g. while delivering a message queued by a request."""
    token = _request_id.set(value)
    try:
        yield value
    finally:
        _request_id.reset(token)


# Logging -------------------------------------------------------------------------------------------

class ContextFilter(logging.Filter):
    """Adds ``request_id`` to every record, and ``task_id`` and ``task_name`` inside a Celery task; a
    value the caller passed in ``extra`` wins."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get() or None
        task = _task.get()
        if task is not None:
            if not hasattr(record, "task_id"):
                record.task_id = task[0]
            if not hasattr(record, "task_name"):
                record.task_name = task[1]
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: timestamp, level, logger, message, request_id, the record's extra fields
    and the traceback as ``exc_info``. Chinese stays readable (no \\u escapes)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args or ("%(levelname)s %(name)s %(message)s",), **kwargs)


class TextFormatter(logging.Formatter):
    """A line for a person at a terminal (``LOG_FORMAT=text``, bin/demo): the request id in brackets when
    there is one."""

    def formatMessage(self, record):
        request_id = getattr(record, "request_id", None)
        record.request_tag = f"[{request_id}] " if request_id else ""
        return super().formatMessage(record)


# Requests ------------------------------------------------------------------------------------------

def _user_id(request):
    """The signed-in user's id if the request already looked the user up (asking here would cost a query)."""
    from django.utils.functional import empty

    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


def _client_address(request):
    """The client's address as the sign-in lockout (django-axes, AXES_IPWARE_PROXY_COUNT) sees it."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request)


def _query_names(request):
    """The query string's parameter names, sorted; None without any (or when it cannot be read: the view
    has answered that already)."""
    from django.core.exceptions import SuspiciousOperation

    try:
        return sorted(set(request.GET)) or None
    except SuspiciousOperation:  # more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS
        return None


class RequestLogMiddleware:
    """Gives each request its id (``request.request_id``, the ``X-Request-ID`` answer header) and logs one
    line when it is answered: method, path, status, duration_ms, user_id, remote_addr, view. Keep it first
    in MIDDLEWARE so the duration covers the others and every record they log carries the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_accept(request.headers.get(REQUEST_ID_HEADER))
        started = time.perf_counter()
        with request_id_bound(request.request_id):
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.request_id
            self.log(request, response, duration_ms=(time.perf_counter() - started) * 1000)
        return response

    @staticmethod
    def log(request, response, *, duration_ms: float) -> None:
        match = getattr(request, "resolver_match", None)
        fields = {
            "request_id": request.request_id,
            "method": request.method,
            "path": request.path,  # the query string's values may be personal (a phone, a name): names only
            "query": _query_names(request),
            "status": response.status_code,
            "duration_ms": round(duration_ms, 1),
            "user_id": _user_id(request),
            "remote_addr": _client_address(request),
            "view": match.view_name if match else None,
        }
        # A server error is logged with its traceback by django.request (and sent to Sentry once, from there).
        level = logging.WARNING if response.status_code >= 500 else logging.INFO
        request_logger.log(level, "%s %s %s %.0f ms", request.method, request.path, response.status_code,
                           duration_ms, extra={key: value for key, value in fields.items() if value is not None})


# Celery --------------------------------------------------------------------------------------------

_running: dict[str, tuple[float, contextvars.Token, contextvars.Token, str]] = {}


def _task_publish(headers=None, **_):
    """The request's id travels with the task it enqueues (not sent in eager mode: the task runs here)."""
    request_id = _request_id.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def _task_prerun(task_id=None, task=None, **_):
    request = task.request
    sent = request.get(TASK_HEADER)
    if sent:
        request_id = request_id_accept(sent)
    elif request.is_eager and _request_id.get():
        request_id = _request_id.get()  # run inside the caller: its id
    else:
        request_id = request_id_new()  # beat, or a caller with no request: an id of the task's own
    _running[task_id] = (time.perf_counter(), _request_id.set(request_id), _task.set((task_id, task.name)), "")


def _task_failure(task_id=None, exception=None, **_):
    if task_id in _running:
        _running[task_id] = (*_running[task_id][:3], type(exception).__name__)


def _task_postrun(task_id=None, task=None, state=None, **_):
    started = _running.pop(task_id, None)
    if started is None:
        return
    began, request_token, task_token, error = started
    duration_ms = (time.perf_counter() - began) * 1000
    state = state or "FAILURE"  # None: an eager task's error went up to its caller, which logs it
    fields = {"request_id": _request_id.get(), "task_id": task_id, "task_name": task.name, "state": state,
              "duration_ms": round(duration_ms, 1)}
    if error:
        fields["error"] = error
    # A failure's traceback is logged by Celery itself (and sent to Sentry once, from there).
    level = logging.INFO if state == "SUCCESS" else logging.WARNING
    task_logger.log(level, "task %s %s %.0f ms", task.name, state, duration_ms, extra=fields)
    _task.reset(task_token)
    _request_id.reset(request_token)


def _keep_django_logging(**_):
    """A receiver of setup_logging stops the worker from replacing the root logger's handlers: the worker
    logs with Django's LOGGING (JSON lines with the request id) like the web processes."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def celery_signals_connect() -> None:
    """Called once by the Celery app (jianhua/celery.py), in the web processes and the worker alike."""
    signals.before_task_publish.connect(_task_publish, dispatch_uid="jianhua.logs.publish", weak=False)
    signals.task_prerun.connect(_task_prerun, dispatch_uid="jianhua.logs.prerun", weak=False)
    signals.task_failure.connect(_task_failure, dispatch_uid="jianhua.logs.failure", weak=False)
    signals.task_postrun.connect(_task_postrun, dispatch_uid="jianhua.logs.postrun", weak=False)
    signals.setup_logging.connect(_keep_django_logging, dispatch_uid="jianhua.logs.setup_logging", weak=False)
