"""Deadlines in the story: the resident's whistles in the grid officer's grid, on the rules the
district starts with."""
import importlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps

from dispatch.models import DeadlineRule

# The whistle's people and issues, as tests/issues tells them.
from tests.issues.conftest import advance, categories, file_issue, garbage, spot_in_officers_grid  # noqa: F401

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    """A moment in the district's time zone: local(2026, 10, 1, 9) is 09:00 on National Day."""
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def deadline_rules(categories):  # noqa: F811
    """The seeded rules (a flushing test may have emptied them)."""
    if not DeadlineRule.objects.exists():
        importlib.import_module("dispatch.migrations.0002_seed_deadline_rules").seed(apps, None)
    return DeadlineRule.objects


@pytest.fixture
def heating(categories):  # noqa: F811
    return categories.get(code="heating")


@pytest.fixture
def routing_rules(categories):  # noqa: F811
    """The seeded routing rules (a flushing test may have emptied them)."""
    from dispatch.models import RoutingRule

    if not RoutingRule.objects.filter(category=None, street=None, community=None).exists():
        importlib.import_module("dispatch.migrations.0004_seed_routing_rules").seed(apps, None)
    return RoutingRule.objects
