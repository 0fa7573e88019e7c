"""Readiness with real processes: a Celery worker (and its beat) on a redis-server of the test's own,
sharing the test database and the run's cache (REDIS_URL). Runs in the CI run with services
(DATABASE_URL=postgres://…, REDIS_URL=…); skipped on the embedded default."""
import os
import re
import time

import pytest
from django.core.cache import cache

from dispatch.tasks import sweep_deadlines
from notifications.tasks import deliver_pending
from ops import sweeps
from tests.live_worker import CeleryWorker, broker, live_env, wait_until

from .test_readiness import readyz

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _live(live_services, settings):
    """Real services; no sweep recorded before or after (the run's cache is shared with other tests)."""
    keys = [f"ops:sweep:{moment}:{name}"
            for moment in (sweeps.SENT, sweeps.RAN) for name in settings.READINESS_SWEEP_TASKS]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


def down(body) -> set:
    return {name for name, part in body["parts"].items() if not part["ok"]}


def start_worker(redis_server, tmp_path, **kwargs) -> CeleryWorker:
    # The broker is the test's redis-server; the cache (where sweeps are recorded) is the run's REDIS_URL.
    env = live_env(redis_server.url(), REDIS_URL=os.environ["REDIS_URL"], PERIODIC_SECONDS="2")
    return CeleryWorker(env, log_path=tmp_path / "worker.log", concurrency=1, **kwargs).start()


def test_no_worker_is_named_and_a_real_worker_with_beat_makes_it_ready(redis_server, tmp_path, settings):
    settings.PERIODIC_SECONDS = 2
    with broker(redis_server.url()):
        status, body = readyz()
        assert status == 503
        assert body["status"] == "down"
        assert down(body) == {"worker", "beat"}
        assert "Celery workers unavailable" in body["parts"]["worker"]["detail"]
        assert "dispatch.sweep_deadlines: none recorded" in body["parts"]["beat"]["detail"]
        assert {"database", "cache", "broker"} <= {name for name, part in body["parts"].items() if part["ok"]}

        worker = start_worker(redis_server, tmp_path, beat=True)
        try:
            status, body = wait_until(lambda: (answer := readyz())[0] == 200 and answer, timeout=60,
                                      message=f"/readyz to answer 200 (log: {worker.log_path})")
            assert body["status"] == "ok"
            assert "every sweep ran within 4 s" in body["parts"]["beat"]["detail"]
            # Beat's own container check: it sent the sweeps (a loaded machine may be a period late: ask again).
            status, body = wait_until(lambda: (answer := readyz("/readyz/beat"))[0] == 200 and answer, timeout=20,
                                      message="/readyz/beat to answer 200")
            assert list(body["parts"]) == ["beat"]
        finally:
            worker.stop()

        # The worker (with its beat) is gone: named at once; the sweeps go stale two periods after the last one.
        status, body = readyz()
        assert status == 503 and "worker" in down(body)
        status, body = wait_until(lambda: (answer := readyz())[0] == 503 and "beat" in down(answer[1]) and answer,
                                  timeout=30, message="the sweeps to go stale")
        assert down(body) == {"worker", "beat"}
        assert re.search(r"dispatch.sweep_deadlines: last \d+ s ago", body["parts"]["beat"]["detail"])
        assert readyz("/readyz/beat")[0] == 503


def test_stale_sweeps_are_named_until_the_worker_has_run_one(redis_server, tmp_path, settings):
    with broker(redis_server.url()):
        worker = start_worker(redis_server, tmp_path)
        try:
            long_ago = time.time() - 3 * settings.PERIODIC_SECONDS
            for name in settings.READINESS_SWEEP_TASKS:
                sweeps.sweep_record(task_name=name, moment=sweeps.RAN, at=long_ago)
            status, body = readyz()
            assert (status, down(body)) == (503, {"beat"})
            assert f"last {3 * settings.PERIODIC_SECONDS:g} s ago" in body["parts"]["beat"]["detail"]

            # What beat would send: the worker runs both sweeps, which records them.
            sweep_deadlines.delay()
            deliver_pending.delay()
            status, body = wait_until(lambda: (answer := readyz())[0] == 200 and answer, timeout=30,
                                      message=f"the sweeps to run (log: {worker.log_path})")
            assert body["parts"]["beat"]["ok"]
        finally:
            worker.stop()
