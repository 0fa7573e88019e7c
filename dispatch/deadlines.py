"""The deadline provider ``issues.deadlines`` delegates to once dispatch is installed (registered in
``DispatchConfig.ready``): the most specific active ``DeadlineRule`` for the issue's owning tier,
priority and category, on the working-day calendar.

Precedence: a rule for the issue's own category, then one for its top category, then the tier ×
priority default (no category). With no active rule at all, the settings ``ISSUE_RESPONSE_MINUTES``
and ``ISSUE_RESOLUTION_DAYS`` (counted as working days here) answer, so no issue is without deadlines.
"""
from datetime import datetime, timedelta

from issues.deadlines import DeadlineTerms, settings_terms

from .calendar import add_working_days
from .models import DeadlineRule
from .rulebook import rulebook


def rule_for(issue) -> DeadlineRule | None:
    """The most specific active rule for ``issue`` (from the process's rulebook: no query while it is
    fresh), or None."""
    category_ids = [issue.category_id]
    parent_id = issue.category.parent_id if issue.category_id else None
    if parent_id:
        category_ids.append(parent_id)
    rank = {category_id: position for position, category_id in enumerate([*category_ids, None])}
    rules = [rule for rule in rulebook().deadlines
             if rule.tier == issue.owner_tier and rule.priority == issue.priority and rule.category_id in rank]
    return min(rules, key=lambda rule: rank[rule.category_id], default=None)


def terms(*, issue) -> DeadlineTerms:
    """The most specific rule's numbers, or the settings' (counted as working days here)."""
    rule = rule_for(issue)
    if rule is None:
        return settings_terms(issue, working_days=True)
    return DeadlineTerms(response_minutes=rule.response_minutes, resolution_days=rule.resolution_working_days,
                         working_days=True)


def response_due(*, issue, start: datetime) -> datetime:
    """Wall-clock minutes: 30 minutes is 30 minutes on a Sunday too (departments are on duty)."""
    return start + timedelta(minutes=terms(issue=issue).response_minutes)


def resolution_due(*, issue, start: datetime) -> datetime:
    """Working days on the mainland China calendar (``dispatch.calendar.add_working_days``)."""
    return add_working_days(start, terms(issue=issue).resolution_days)
