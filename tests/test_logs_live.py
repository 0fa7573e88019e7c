"""The request id across processes: a whistle filed in this process queues its messages through a real
redis-server, and the Celery worker that delivers them logs JSON lines under the filing request's id.
Runs in the CI run with services (DATABASE_URL=postgres://…, REDIS_URL=…); skipped on the embedded default."""
import json

import pytest

from notifications.models import OutboxMessage, OutboxStatus
from tests.issues.conftest import categories, garbage, spot_in_officers_grid  # noqa: F401
from tests.live_worker import CeleryWorker, broker, live_env, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _live(live_services):
    """Every test here needs the real services."""


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_worker_logs_the_delivery_under_the_id_of_the_request_that_filed(
        transactional_db, redis_server, tmp_path, signed_in, resident, spot_in_officers_grid, garbage):
    env = live_env(redis_server.url(), EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                   EMAIL_FILE_PATH=str(tmp_path / "mail"), LOG_FORMAT="json")
    lat, lng = spot_in_officers_grid
    with broker(redis_server.url()):
        worker = CeleryWorker(env, log_path=tmp_path / "worker.log", concurrency=1).start()
        try:
            response = signed_in(resident).post(
                "/api/v1/issues/", {"title": "楼道灯坏了", "description": "三单元楼道灯不亮。", "category": "garbage",
                                    "lat": lat, "lng": lng}, content_type="application/json",
                HTTP_X_REQUEST_ID="live-whistle-1")
            assert response.status_code == 201, response.content
            rows = list(OutboxMessage.objects.all())
            assert rows and {row.request_id for row in rows} == {"live-whistle-1"}
            wait_until(lambda: not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists(), timeout=60,
                       message=f"the worker to deliver (log: {worker.log_path})")
            lines = wait_until(lambda: len(worker.finished("notifications.tasks.deliver_message")) >= len(rows)
                               and worker.finished("notifications.tasks.deliver_message"), timeout=30,
                               message="the task lines")
        finally:
            worker.stop()

    assert {(line["request_id"], line["state"]) for line in lines} == {("live-whistle-1", "SUCCESS")}
    assert {line["task_id"] for line in lines} and all(line["duration_ms"] >= 0 for line in lines)
    # Celery's own lines are JSON with the ids too (the worker keeps the project's LOGGING).
    logged = json_lines(worker.log())
    assert any("succeeded" in line["message"] and line.get("request_id") == "live-whistle-1" for line in logged)
    assert any(line["message"].startswith(f"Outbox message {rows[0].pk} sent")
               and line.get("request_id") == "live-whistle-1" for line in logged)
