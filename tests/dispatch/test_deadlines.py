"""The deadline rules: which one wins, what happens without one, and the deadlines an issue gets
through the services."""
from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings

from dispatch.deadlines import rule_for
from dispatch.models import DeadlineRule
from issues import deadlines, services
from issues.lifecycle import Status
from issues.models import Issue, Priority, Tier

from .conftest import local


def _issue(category, *, tier=Tier.COMMUNITY, priority=Priority.NORMAL):
    return Issue(category=category, owner_tier=tier, priority=priority)


def test_dispatch_is_the_registered_provider():
    import dispatch.deadlines

    assert deadlines.provider is dispatch.deadlines


@pytest.mark.parametrize("tier, priority, minutes, days", [
    (Tier.COMMUNITY, Priority.NORMAL, 120, 5), (Tier.STREET, Priority.NORMAL, 120, 5),
    (Tier.DISTRICT, Priority.NORMAL, 120, 7), (Tier.COMMUNITY, Priority.URGENT, 30, 1),
    (Tier.STREET, Priority.URGENT, 30, 1), (Tier.DISTRICT, Priority.URGENT, 30, 1),
])
def test_the_seeded_defaults(deadline_rules, garbage, tier, priority, minutes, days):
    rule = rule_for(_issue(garbage, tier=tier, priority=priority))
    assert rule.category is None
    assert (rule.response_minutes, rule.resolution_working_days) == (minutes, days)


@pytest.mark.parametrize("code", ["heating", "water-power-gas"])
@pytest.mark.parametrize("tier", Tier.values)
def test_a_category_rule_beats_the_default(deadline_rules, categories, code, tier):
    rule = rule_for(_issue(categories.get(code=code), tier=tier))
    assert rule.category.code == code
    assert (rule.response_minutes, rule.resolution_working_days) == (120, 1)


def test_urgent_heating_keeps_the_stricter_urgent_default(deadline_rules, heating):
    rule = rule_for(_issue(heating, priority=Priority.URGENT))
    assert rule.category is None and rule.response_minutes == 30


def test_a_top_category_rule_covers_its_sub_categories_below_their_own(deadline_rules, heating):
    property_rule = DeadlineRule.objects.create(tier=Tier.COMMUNITY, priority=Priority.NORMAL,
                                                category=heating.parent, response_minutes=90,
                                                resolution_working_days=3)
    assert rule_for(_issue(heating)).category == heating
    DeadlineRule.objects.filter(category=heating).update(active=False)
    assert rule_for(_issue(heating)) == property_rule


def test_inactive_rules_are_ignored(deadline_rules, heating):
    DeadlineRule.objects.filter(category=heating, tier=Tier.COMMUNITY).update(active=False)
    assert rule_for(_issue(heating)).category is None


@override_settings(ISSUE_RESPONSE_MINUTES={"normal": 45, "urgent": 10}, ISSUE_RESOLUTION_DAYS={"normal": 2, "urgent": 1})
def test_without_a_rule_the_settings_answer_in_working_days(deadline_rules, garbage):
    DeadlineRule.objects.update(active=False)
    issue = _issue(garbage)
    assert rule_for(issue) is None
    start = local(2026, 9, 30, 10)
    assert deadlines.response_due(issue=issue, start=start) == start + timedelta(minutes=45)
    assert deadlines.resolution_due(issue=issue, start=start) == local(2026, 10, 9, 10)


def test_the_calendar_time_fallback_when_dispatch_is_not_installed(garbage):
    issue = _issue(garbage, priority=Priority.URGENT)
    start = local(2026, 10, 1, 10)
    assert deadlines.fallback.response_due(issue=issue, start=start) == start + timedelta(minutes=30)
    assert deadlines.fallback.resolution_due(issue=issue, start=start) == start + timedelta(days=1)


def test_the_unique_constraints_allow_one_default_per_tier_and_priority(deadline_rules, heating):
    from django.core.exceptions import ValidationError

    duplicate = DeadlineRule(tier=Tier.COMMUNITY, priority=Priority.NORMAL, category=None, response_minutes=1,
                             resolution_working_days=1)
    with pytest.raises(ValidationError):
        duplicate.full_clean()
    duplicate.category = heating
    with pytest.raises(ValidationError):
        duplicate.full_clean()
    duplicate.priority = Priority.URGENT
    duplicate.full_clean()


# Through the services ---------------------------------------------------------------------------------

def test_accepting_a_heating_whistle_gives_one_working_day(deadline_rules, heating, file_issue, community_staff):
    issue = file_issue(category=heating, title="暖气不热", description="家里只有十四度。")
    with time_machine.travel(local(2026, 9, 30, 10), tick=False):  # Wed, the eve of National Day
        issue = services.issue_accept(issue=issue, actor=community_staff)
    assert issue.resolution_due == local(2026, 10, 8, 10)


def test_accepting_a_garbage_whistle_gives_five_working_days_across_national_day(
    deadline_rules, file_issue, community_staff
):
    issue = file_issue()
    with time_machine.travel(local(2026, 9, 29, 10), tick=False):  # Tue
        issue = services.issue_accept(issue=issue, actor=community_staff)
    # 30 Sep; 1–7 Oct off; 8, 9, Sat 10 (adjusted working day); Sun 11 off; Mon 12.
    assert issue.resolution_due == local(2026, 10, 12, 10)
    assert Issue.objects.get(pk=issue.pk).resolution_due == local(2026, 10, 12, 10)


def test_dispatching_an_urgent_whistle_on_a_sunday_gives_thirty_minutes(
    deadline_rules, file_issue, community_staff, grid_officer
):
    issue = file_issue(priority=Priority.URGENT)
    with time_machine.travel(local(2026, 10, 4, 23, 50), tick=False):  # Sunday inside the Golden Week
        issue = services.issue_accept(issue=issue, actor=community_staff)
        issue = services.issue_dispatch(issue=issue, actor=community_staff, handler=grid_officer)
    assert issue.status == Status.DISPATCHED
    assert issue.response_due == local(2026, 10, 5, 0, 20)
    assert issue.resolution_due == local(2026, 10, 8, 23, 50)  # 1 working day: the first after the holiday


def test_the_issue_page_still_shows_both_deadlines(deadline_rules, file_issue, advance, community_staff, signed_in):
    issue = advance(file_issue(), Status.DISPATCHED)
    page = signed_in(community_staff).get(f"/issues/{issue.number}/")
    assert page.status_code == 200
    assert issue.response_due and issue.resolution_due
    assert [d.due for d in page.context["deadlines"]] == [issue.response_due, issue.resolution_due]
