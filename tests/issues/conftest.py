"""Issues in the story: filed by `resident` in the grid officer's grid (东市场社区第1网格)."""
import importlib

import pytest
from django.apps import apps

from grids.boundaries import to_shape
from issues import services
from issues.lifecycle import Status
from issues.models import Category


@pytest.fixture
def categories(db):
    """The seeded category tree (a flushing test may have emptied it)."""
    if not Category.objects.exists():
        importlib.import_module("issues.migrations.0003_categories").seed(apps, None)
    return Category.objects


@pytest.fixture
def garbage(categories):
    return categories.get(code="garbage")


@pytest.fixture
def spot_in_officers_grid(grid_officer):
    point = to_shape(grid_officer.grid.boundary).representative_point()
    return point.y, point.x


@pytest.fixture
def file_issue(resident, garbage, spot_in_officers_grid):
    """file_issue(**overrides) → a freshly submitted issue (defaults: the resident, rubbish, the officer's grid)."""

    def file(**overrides):
        lat, lng = spot_in_officers_grid
        fields = dict(filed_by=resident, title="垃圾堆了三天没人清", description="小区东门垃圾桶满了，气味很大。",
                      category=garbage, lat=lat, lng=lng, address="东市场社区东门")
        fields.update(overrides)
        return services.issue_submit(**fields).issue

    return file


@pytest.fixture
def advance(resident, grid_officer, community_staff):
    """advance(issue, status) → the issue moved through the lifecycle by the right people up to status."""
    steps = [
        (Status.ACCEPTED, lambda i: services.issue_accept(issue=i, actor=community_staff)),
        (Status.DISPATCHED, lambda i: services.issue_dispatch(issue=i, actor=community_staff, handler=grid_officer)),
        (Status.RESPONDED, lambda i: services.issue_respond(issue=i, actor=grid_officer)),
        (Status.RESOLVED, lambda i: services.issue_resolve(issue=i, actor=grid_officer, result="已清运，垃圾桶已消毒。")),
        (Status.CLOSED, lambda i: services.issue_close(issue=i, actor=community_staff)),
    ]

    def move(issue, status):
        for reached, step in steps:
            issue = step(issue)
            if reached == status:
                return issue
        raise AssertionError(f"cannot advance to {status}")

    return move
