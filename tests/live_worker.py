"""Real processes for live tests: a dedicated ``redis-server`` on a free port, and a Celery worker
(optionally with beat) running against the pytest test database. For the CI run with services
(DATABASE_URL=postgres://…, REDIS_URL=…); the shared Redis on 6379 is never touched.

    server = RedisServer(log_dir=tmp_path).start()
    with broker(server.url()):  # this process enqueues there too
        worker = CeleryWorker(live_env(server.url(), EMAIL_BACKEND=…), log_path=tmp_path / "worker.log").start()
        …
        server.stop(); …; server.start()  # an outage, on the same port
        worker.stop()
    server.stop()
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, *, timeout: float = 30, interval: float = 0.2, message: str = "condition"):
    """condition()'s first truthy answer within timeout seconds; AssertionError otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        answer = condition()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def _stop(process: subprocess.Popen, *, timeout: float) -> None:
    """SIGTERM the process group we started (a worker's pool children too), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


class RedisServer:
    """A throwaway redis-server on 127.0.0.1:port, in memory only; stop() and start() again keep the port."""

    def __init__(self, port: int | None = None, *, log_dir: Path):
        self.port = port or free_port()
        self.log_path = Path(log_dir) / f"redis-{self.port}.log"
        self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, timeout: float = 10) -> "RedisServer":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--daemonize", "no"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self.ping, timeout=timeout, message=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, timeout=10)
            self.process = None
        wait_until(lambda: not self.ping(), timeout=10, message=f"redis-server on port {self.port} to stop")


def live_database_url() -> str:
    """DATABASE_URL for the database this test process uses (pytest's test_… database)."""
    from django.db import connection

    s = connection.settings_dict
    credentials = quote(s["USER"] or "", safe="") + (f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else "")
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{credentials + '@' if credentials else ''}{host}/{s['NAME']}"


def live_env(redis_url: str, **extra: str) -> dict:
    """The environment of a worker that shares this test's database and uses ``redis_url`` for its broker."""
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="jianhua.settings.test", DATABASE_URL=live_database_url(), REDIS_URL=redis_url,
               CELERY_BROKER_URL=redis_url, CELERY_RESULT_BACKEND=redis_url, CELERY_TASK_ALWAYS_EAGER="0",
               PYTHONUNBUFFERED="1", CONN_MAX_AGE="0")
    env.update(extra)
    return env


class CeleryWorker:
    """``celery -A jianhua worker`` (with ``beat=True`` also its embedded beat) as a subprocess."""

    def __init__(self, env: dict, *, log_path: Path, concurrency: int = 2, beat: bool = False, name: str = "live"):
        self.env, self.log_path, self.concurrency, self.beat = env, Path(log_path), concurrency, beat
        self.name = f"{name}-{os.getpid()}@%h"
        self.process = None

    def start(self, timeout: float = 60) -> "CeleryWorker":
        command = [sys.executable, "-m", "celery", "-A", "jianhua", "worker", "--loglevel=INFO", "-n", self.name,
                   f"--concurrency={self.concurrency}", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        if self.beat:
            command += ["--beat", "--schedule", str(self.log_path.with_suffix(".beat-schedule"))]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        wait_until(self._ready, timeout=timeout, interval=0.3, message=f"the Celery worker (log: {self.log_path})")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the Celery worker exited with {self.process.returncode}:\n{self.log()}")
        return " ready." in self.log()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def finished(self, task_name: str) -> list[dict]:
        """The worker's lines for each run of ``task_name`` that ended (jianhua.logs: one JSON line per task)."""
        lines = (json.loads(line) for line in self.log().splitlines() if line.startswith("{"))
        return [line for line in lines if line.get("logger") == "jianhua.task" and line.get("task_name") == task_name]

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, timeout=30)
            self.process = None


@contextmanager
def broker(url: str):
    """Point this process's Celery app at another broker for a while (tasks it enqueues go there)."""
    from jianhua.celery import app

    def drop_connections():
        # Forget the pools (kombu keeps them per URL, and may hand them out again): made anew when next needed.
        app._pool = None
        app.amqp._producer_pool = None

    before = app.conf.broker_url, app.conf.task_always_eager
    drop_connections()
    app.conf.broker_url, app.conf.task_always_eager = url, False
    try:
        yield app
    finally:
        drop_connections()
        app.conf.broker_url, app.conf.task_always_eager = before


# Fixtures of the live tests (import them into the test module: ``from tests.live_worker import
# live_services, redis_server``).

@pytest.fixture
def live_services(request):
    """Skip unless this run has PostgreSQL (shared with a worker process) and Redis; reload the demo
    district a transactional test before may have flushed. Use as an autouse fixture of a module."""
    from django.db import connection

    from tests.conftest import require_tool

    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip("needs PostgreSQL and Redis: the CI run with DATABASE_URL=postgres://… and REDIS_URL runs this")
    require_tool(REDIS_SERVER)
    request.getfixturevalue("demo_district")


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of the test's own, stopped after it."""
    server = RedisServer(log_dir=tmp_path).start()
    yield server
    server.stop()
