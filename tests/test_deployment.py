"""What runs the product outside the test process: compose file, settings from the environment, the broker."""
import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parent.parent


def test_the_compose_file_is_valid():
    require_tool("/usr/bin/docker-compose")
    result = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                            capture_output=True, text=True, env={**os.environ, "SECRET_KEY": "x"})
    assert result.returncode == 0, result.stderr


def test_the_compose_file_runs_every_service_the_readme_promises():
    require_tool("/usr/bin/docker-compose")
    result = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--services"],
                            capture_output=True, text=True, env={**os.environ, "SECRET_KEY": "x"})
    assert set(result.stdout.split()) == {"db", "redis", "web", "worker", "beat"}


def test_settings_follow_the_environment():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]
    engine = settings.DATABASES["default"]["ENGINE"]
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert engine == "django.db.backends.postgresql"
    else:
        assert engine == "django.db.backends.sqlite3"
    assert settings.CELERY_TASK_ALWAYS_EAGER == (not os.environ.get("REDIS_URL"))


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE")}
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else "python", "-c",
         "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='jianhua.settings.production'; django.setup()"],
        capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (the CI run against real services)")
def test_celery_tasks_and_the_cache_go_through_the_real_redis():
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping)
    from celery.contrib.testing.worker import start_worker
    from django.core.cache import cache

    from jianhua.celery import app

    cache.set("jianhua:test", "网格", timeout=30)
    assert cache.get("jianhua:test") == "网格"
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
    assert app.conf.broker_url.startswith("redis://")
    # A real worker thread consuming from Redis; start_worker pings it through the broker.
    with start_worker(app, perform_ping_check=True, pool="solo", loglevel="WARNING"):
        result = app.send_task("celery.ping")
        assert result.get(timeout=20) == "pong"
