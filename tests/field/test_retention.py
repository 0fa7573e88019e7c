"""The residents met on visits are forgotten by the rule the whistles follow: PERSONAL_DATA_RETENTION_DAYS after
the visit their name is erased and the numbers written into what was raised are masked; the door, the day and
the count of households visited stay."""
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from field import retention, selectors, services, tasks
from field.models import Visit, VisitConcern
from field.services import Concern
from tests.field.places import categories, unit_in_officers_grid  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit_on(grid_officer, unit_in_officers_grid, categories):  # noqa: F811
    def record(days_ago, room):
        return services.visit_record(
            officer=grid_officer, unit=unit_in_officers_grid, room=room,
            visited_at=timezone.now() - timedelta(days=days_ago), resident_name="王秀英",
            raised="楼道灯坏了，有事打 13812345678", concerns=[Concern("suggestion", "建议加装扶手，联系 13912345678")],
        ).visit
    return record


def test_a_visit_past_the_retention_period_loses_the_name_and_the_numbers(visit_on, grid_officer):
    old, recent = visit_on(settings.PERSONAL_DATA_RETENTION_DAYS + 1, "301"), visit_on(10, "302")
    def visited():
        today = timezone.localdate()
        return selectors.households_visited(today - timedelta(days=800), today, level="grid")[grid_officer.grid_id]

    visited_before = visited()

    assert retention.personal_data_retention_sweep() == 1
    old.refresh_from_db()
    assert (old.resident_name, old.room, old.personal_data_erased_at is not None) == ("", "301", True)
    assert "13812345678" not in old.raised and "138****5678" in old.raised
    assert VisitConcern.objects.get(visit=old).text == "建议加装扶手，联系 139****5678"
    recent.refresh_from_db()
    assert (recent.resident_name, recent.personal_data_erased_at) == ("王秀英", None)
    assert "13812345678" in recent.raised
    assert visited() == visited_before == 2  # the counts stay
    assert retention.personal_data_retention_sweep() == 0  # a second run changes nothing


def test_the_daily_task_runs_the_sweep(visit_on):
    old = visit_on(settings.PERSONAL_DATA_RETENTION_DAYS + 30, "401")
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "field.erase_expired_personal_data")
    assert entry["schedule"] == 24 * 3600
    tasks.erase_expired_personal_data.apply()
    assert Visit.objects.get(pk=old.pk).resident_name == ""
