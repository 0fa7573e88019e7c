"""Structured logs (jianhua.logs) and Sentry (jianhua.sentry): one JSON line per request and per task, a
request id from the request into its tasks and outbox rows, and errors to a Sentry server when one is set.

The lines are read as the console handler writes them: the LOGGING setting's JSON formatter and filter on
a handler of the test's own."""
import gzip
import io
import json
import logging
import logging.config
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
import sentry_sdk
from django.conf import settings
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from jianhua.celery import app
from tests.notifications.conftest import eager_delivery  # noqa: F401 (fixture)
from jianhua.logs import request_id_bound
from jianhua.urls import urlpatterns as project_urlpatterns
from notifications import services as notification_services
from notifications.models import OutboxMessage, OutboxStatus
from notifications.tasks import deliver_pending
from tests.issues.conftest import categories, garbage, spot_in_officers_grid  # noqa: F401

NEW_ID = re.compile(r"[0-9a-f]{32}")


class DispatchBoardDown(Exception):
    pass


@csrf_exempt  # posted to through the WSGI application, where CSRF is enforced
def board(request):
    raise DispatchBoardDown("the dispatch board fell over")


# The project's pages plus one that fails (the tests marked urls("tests.test_logs")).
urlpatterns = [path("test-board/", board, name="test-board"), *project_urlpatterns]


@app.task(name="tests.test_logs.sweep_that_fails")
def sweep_that_fails():
    raise DispatchBoardDown("the sweep fell over")


@pytest.fixture
def log_lines():
    """log_lines() → the JSON objects the console handler would have written so far, one per record."""
    config = logging.config.DictConfigurator(settings.LOGGING)
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(config.configure_formatter(dict(settings.LOGGING["formatters"]["json"])))
    handler.addFilter(config.configure_filter(dict(settings.LOGGING["filters"]["context"])))
    root = logging.getLogger()
    level, root.level = root.level, logging.INFO  # whatever LOG_LEVEL says
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in handler.stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.level = level


def of(lines, logger, **fields):
    return [line for line in lines if line["logger"] == logger and fields.items() <= line.items()]


def test_a_request_is_one_json_line_with_who_what_and_how_long(log_lines, signed_in, resident):
    response = signed_in(resident).get("/api/v1/me/?phone=13812345678&page=2", HTTP_X_REQUEST_ID="hotline-42")

    assert response.status_code == 200
    assert response["X-Request-ID"] == "hotline-42"
    (line,) = of(log_lines(), "jianhua.request")
    assert {key: line[key] for key in ("level", "request_id", "method", "path", "status", "user_id", "remote_addr")} \
        == {"level": "INFO", "request_id": "hotline-42", "method": "GET", "path": "/api/v1/me/", "status": 200,
            "user_id": resident.pk, "remote_addr": "127.0.0.1"}
    assert line["view"] and line["timestamp"]
    assert 0 <= line["duration_ms"] < 60_000
    # The query's names, never its values (a phone number here); no name or phone of the user either.
    assert line["query"] == ["page", "phone"]
    assert "13812345678" not in json.dumps(line) and resident.username not in json.dumps(line)


def test_an_anonymous_request_has_no_user_and_the_address_the_lockout_sees(log_lines, client):
    response = client.get("/healthz", REMOTE_ADDR="203.0.113.7")

    (line,) = of(log_lines(), "jianhua.request")
    assert (line["status"], line["remote_addr"], line["request_id"]) == (200, "203.0.113.7", response["X-Request-ID"])
    assert "user_id" not in line and "query" not in line


@pytest.mark.parametrize("given", ["0f3c9a1e-7b2d-4c11-9a6e-2f1d3b4c5a6e", "hotline-42", "Root.1:abc_9", "a" * 64])
def test_a_clients_request_id_is_answered_and_logged(client, log_lines, given):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=given)

    assert response["X-Request-ID"] == given
    assert of(log_lines(), "jianhua.request", request_id=given)


@pytest.mark.parametrize("given", ["", " ", "a" * 65, "two words", "<script>alert(1)</script>", "id\r\nSet-Cookie: x",
                                   "网格-1", "-leading-dash", "a;b"])
def test_a_bad_request_id_is_replaced_by_a_new_one(client, log_lines, given):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=given)

    assert NEW_ID.fullmatch(response["X-Request-ID"])
    (line,) = of(log_lines(), "jianhua.request")
    assert line["request_id"] == response["X-Request-ID"]


def test_every_request_without_an_id_gets_a_new_one(client):
    first, second = client.get("/healthz")["X-Request-ID"], client.get("/healthz")["X-Request-ID"]
    assert NEW_ID.fullmatch(first) and NEW_ID.fullmatch(second) and first != second


def test_filing_a_whistle_queues_outbox_rows_and_runs_tasks_under_the_requests_id(
        eager_delivery, log_lines, signed_in, resident, community_staff, spot_in_officers_grid, garbage,
        django_capture_on_commit_callbacks):
    lat, lng = spot_in_officers_grid
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(resident).post(
            "/api/v1/issues/", {"title": "垃圾堆了三天没人清", "description": "小区东门垃圾桶满了。", "category": "garbage",
                                "lat": lat, "lng": lng}, content_type="application/json", HTTP_X_REQUEST_ID="whistle-7")

    assert response.status_code == 201, response.content
    rows = list(OutboxMessage.objects.filter(recipient=community_staff))
    assert rows and {(row.request_id, row.status) for row in rows} == {("whistle-7", OutboxStatus.SENT)}
    lines = log_lines()
    delivered = of(lines, "jianhua.task", task_name="notifications.tasks.deliver_message", state="SUCCESS")
    assert len(delivered) == len(OutboxMessage.objects.filter(request_id="whistle-7"))
    assert {line["request_id"] for line in delivered} == {"whistle-7"}
    assert all(line["task_id"] and line["duration_ms"] >= 0 for line in delivered)
    # What the delivery logged inside its task carries the request's id and the task's.
    sent = [line for line in lines if line["message"].startswith(f"Outbox message {rows[0].pk} sent")]
    assert [(line["request_id"], line.get("task_name")) for line in sent] == \
        [("whistle-7", "notifications.tasks.deliver_message")]
    # One line for the request itself, at its end.
    assert [line["status"] for line in of(lines, "jianhua.request", request_id="whistle-7")] == [201]


def test_a_sweep_runs_under_an_id_of_its_own_and_sends_each_message_under_the_id_that_queued_it(
        eager_delivery, log_lines, community_staff):
    with request_id_bound("hotline-call-9"):  # queued by that request; its on-commit enqueue never ran
        notification_services.notify([community_staff], kind="submit", text="新的哨声", dedupe_key="test:sweep")
    message = OutboxMessage.objects.get(dedupe_key=f"test:sweep:{community_staff.pk}:email")
    assert message.request_id == "hotline-call-9"

    deliver_pending.apply()

    lines = log_lines()
    (sweep,) = of(lines, "jianhua.task", task_name="notifications.tasks.deliver_pending")
    assert NEW_ID.fullmatch(sweep["request_id"]) and sweep["state"] == "SUCCESS"
    (sent,) = [line for line in lines if line["message"].startswith(f"Outbox message {message.pk} sent")]
    assert (sent["request_id"], sent["task_id"]) == ("hotline-call-9", sweep["task_id"])


def test_a_failing_task_logs_its_traceback_and_one_line_with_its_state(eager_delivery, log_lines):
    with request_id_bound("leader-dashboard-3"):
        sweep_that_fails.apply(throw=False)  # as a worker runs it: the error stays in the task

    lines = log_lines()
    (line,) = of(lines, "jianhua.task", task_name="tests.test_logs.sweep_that_fails")
    assert (line["level"], line["state"], line["error"], line["request_id"]) == \
        ("WARNING", "FAILURE", "DispatchBoardDown", "leader-dashboard-3")
    tracebacks = [entry for entry in lines if "the sweep fell over" in entry.get("exc_info", "")]
    assert tracebacks and {entry["request_id"] for entry in tracebacks} == {"leader-dashboard-3"}


def test_a_task_failing_inside_its_caller_is_logged_as_failed_and_raises_there(eager_delivery, log_lines):
    with request_id_bound("leader-dashboard-4"), pytest.raises(DispatchBoardDown):
        sweep_that_fails.apply_async()  # eager, propagating: the caller logs the traceback

    (line,) = of(log_lines(), "jianhua.task", task_name="tests.test_logs.sweep_that_fails")
    assert (line["state"], line["request_id"]) == ("FAILURE", "leader-dashboard-4")


@pytest.mark.urls("tests.test_logs")
def test_a_server_error_logs_its_traceback_under_the_request_id(log_lines):
    response = Client(raise_request_exception=False).get("/test-board/", HTTP_X_REQUEST_ID="board-1")

    assert response.status_code == 500 and response["X-Request-ID"] == "board-1"
    lines = log_lines()
    (error,) = of(lines, "django.request", level="ERROR")
    assert error["request_id"] == "board-1"
    assert "DispatchBoardDown: the dispatch board fell over" in error["exc_info"]
    assert 'in board' in error["exc_info"]  # the frame that raised
    (line,) = of(lines, "jianhua.request")
    assert (line["status"], line["level"], line["request_id"]) == (500, "WARNING", "board-1")


def test_the_text_format_shows_the_request_id_for_a_person(client):
    config = logging.config.DictConfigurator(settings.LOGGING)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(config.configure_formatter(dict(settings.LOGGING["formatters"]["text"])))
    handler.addFilter(config.configure_filter(dict(settings.LOGGING["filters"]["context"])))
    logging.getLogger("jianhua.request").addHandler(handler)
    try:
        client.get("/healthz", HTTP_X_REQUEST_ID="demo-1")
        logging.getLogger("jianhua.request").info("outside any request")
    finally:
        logging.getLogger("jianhua.request").removeHandler(handler)
    inside, outside = stream.getvalue().splitlines()
    assert re.search(r" INFO jianhua\.request \[demo-1\] GET /healthz 200 \d+ ms$", inside)
    assert outside.endswith(" INFO jianhua.request outside any request")


def test_the_console_writes_json_lines_with_the_request_id_unless_told_otherwise():
    (console,) = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    assert settings.LOG_FORMAT == "json"  # DEBUG is off here, as in production
    assert type(console.formatter).__name__ == "JsonFormatter"
    assert [type(f).__name__ for f in console.filters] == ["ContextFilter"]


# Sentry ------------------------------------------------------------------------------------------

class _Envelopes(BaseHTTPRequestHandler):
    """Sentry's ingestion endpoint, reduced to keeping what arrives (POST /api/<project>/envelope/)."""

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":  # the SDK's choice when the Brotli module is installed (it is, for WhiteNoise)
            import brotli

            body = brotli.decompress(body)
        self.server.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    """A Sentry server on 127.0.0.1 of this test's own; sentry_server.events() → the events it received."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Envelopes)
    server.received = []

    def events():
        """The error events among the envelopes' items (each item is a JSON line; sessions and headers aside)."""
        items = (json.loads(line) for _path, body in server.received for line in body.splitlines()
                 if line.startswith(b"{"))
        return [item for item in items if "exception" in item]

    server.events = events
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def sentry(sentry_server):
    """The SDK started as the settings start it when SENTRY_DSN is set, pointing at sentry_server; stopped after."""
    from jianhua.sentry import sentry_init

    assert not sentry_sdk.get_client().is_active()  # without SENTRY_DSN (this suite) nothing was started
    port = sentry_server.server_address[1]
    sentry_init(dsn=f"http://public@127.0.0.1:{port}/7", environment="test", release="jianhua@test")
    yield sentry_server
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.get_global_scope().set_client(None)


def wsgi_post(path: str, form: dict, *, cookie: str = "", **headers) -> tuple[str, dict]:
    """POST through Django's WSGI application, as gunicorn calls it (Sentry hooks in there); (status, headers).
    The database connection stays open for the test (the test client's handler does the same)."""
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    body = urlencode(form).encode()
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path.split("?")[0], "QUERY_STRING": path.partition("?")[2],
               "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": io.BytesIO(body), "HTTP_COOKIE": cookie, "REMOTE_ADDR": "203.0.113.9", **headers}
    setup_testing_defaults(environ)
    answered = {}

    def start_response(status, response_headers, exc_info=None):
        answered.update(status=status, headers=dict(response_headers))

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        response = get_wsgi_application()(environ, start_response)
        b"".join(response)
        response.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return answered["status"], answered["headers"]


@pytest.mark.urls("tests.test_logs")
def test_a_server_error_reaches_sentry_tagged_with_the_request_id_and_without_personal_data(sentry, resident,
                                                                                             settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    signed_in = Client()
    signed_in.force_login(resident)
    cookie = f"{settings.SESSION_COOKIE_NAME}={signed_in.cookies[settings.SESSION_COOKIE_NAME].value}"
    status, headers = wsgi_post("/test-board/?phone=13812345678", {"reporter_phone": "13912345678", "name": "张三丰"},
                                cookie=cookie, HTTP_X_REQUEST_ID="board-2")
    assert status.startswith("500") and headers["X-Request-ID"] == "board-2"
    sentry_sdk.flush(timeout=5)

    assert sentry.received and all(path == "/api/7/envelope/" for path, _body in sentry.received)
    (event,) = sentry.events()
    assert event["exception"]["values"][-1]["type"] == "DispatchBoardDown"
    assert event["tags"]["request_id"] == "board-2"
    assert (event["environment"], event["release"]) == ("test", "jianhua@test")
    assert event["request"]["url"].endswith("/test-board/")  # the request is there, its personal parts are not
    sent = json.dumps(event, ensure_ascii=False)
    for personal in ("13812345678", "13912345678", "张三丰", resident.username, "203.0.113.9",
                     signed_in.cookies[settings.SESSION_COOKIE_NAME].value):
        assert personal not in sent


def test_a_failing_task_reaches_sentry_tagged_with_its_request_and_task(sentry):
    with request_id_bound("sweep-5"):
        result = sweep_that_fails.apply(throw=False)
    sentry_sdk.flush(timeout=5)

    (event,) = sentry.events()
    assert event["exception"]["values"][-1]["type"] == "DispatchBoardDown"
    assert event["tags"]["request_id"] == "sweep-5" and event["tags"]["task_id"] == result.id
