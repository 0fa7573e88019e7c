"""Notifications in the story: whistles filed by `resident` in the grid officer's grid, and who hears of them."""
import pytest

from jianhua.celery import app
from tests.issues.conftest import advance, categories, file_issue, garbage, spot_in_officers_grid  # noqa: F401


@pytest.fixture
def eager_delivery():
    """Tasks run inside the caller, as in the embedded default (the CI run with Redis queues them)."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """committed() → a block whose on-commit work (signals, then enqueued delivery) runs at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
