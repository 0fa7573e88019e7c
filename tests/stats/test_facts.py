"""The facts kept in the event's transaction equal the facts rebuilt from the event log."""
import datetime

import pytest

from stats.aggregates import facts_rebuild
from stats.models import ROLLUPS, DailyFact, MonthlyFact

pytestmark = pytest.mark.django_db


def snapshot(model):
    rows = model.objects.values()
    return sorted((tuple(sorted((k, v) for k, v in row.items() if k != "id")) for row in rows))


def test_incremental_facts_equal_the_rebuilt_ones(story):
    daily, monthly = snapshot(DailyFact), snapshot(MonthlyFact)
    assert daily and monthly
    written = facts_rebuild()
    assert written["daily"] == len(daily) and written["monthly"] == len(monthly)
    assert snapshot(DailyFact) == daily
    assert snapshot(MonthlyFact) == monthly


def test_every_roll_up_kept_by_the_events_equals_its_rebuild(story):
    kept = {model: snapshot(model) for model, _time, _keys in ROLLUPS}
    assert all(kept.values())
    facts_rebuild()
    for model, rows in kept.items():
        assert snapshot(model) == rows, model.__name__


def test_a_rebuild_of_some_days_leaves_the_rest_and_restores_them(story):
    daily, monthly = snapshot(DailyFact), snapshot(MonthlyFact)
    DailyFact.objects.filter(day=datetime.date(2026, 2, 1)).update(closed=99)
    rollups = {model: snapshot(model) for model, _time, _keys in ROLLUPS}
    facts_rebuild(datetime.date(2026, 1, 31), datetime.date(2026, 2, 2))
    assert snapshot(DailyFact) == daily
    assert snapshot(MonthlyFact) == monthly
    assert all(snapshot(model) == rows for model, rows in rollups.items())


def test_a_rolled_back_action_leaves_no_count(story, community_staff):
    from django.db import transaction

    from issues import services

    before = snapshot(DailyFact)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.issue_escalate(issue=story["F"], actor=community_staff, reason="需要街道协调")
        raise RuntimeError("rolled back")
    assert snapshot(DailyFact) == before
