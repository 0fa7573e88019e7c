"""When a handler must report for duty and when the issue must be resolved.

Callers (``issues.services``) only use ``response_due`` and ``resolution_due``. What they answer
comes from the registered provider: the dispatch app registers its tier × priority × category rules
on the working-day calendar (``dispatch.deadlines``, from ``DispatchConfig.ready``); without it, the
fallback below counts calendar time with the numbers in settings. A provider is any object with the
two functions (a module will do).
"""
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings


class DeadlineProvider(Protocol):
    def response_due(self, *, issue, start: datetime) -> datetime: ...

    def resolution_due(self, *, issue, start: datetime) -> datetime: ...


class CalendarTimeDeadlines:
    """The fallback: ``ISSUE_RESPONSE_MINUTES`` minutes and ``ISSUE_RESOLUTION_DAYS`` calendar days."""

    def response_due(self, *, issue, start: datetime) -> datetime:
        minutes = settings.ISSUE_RESPONSE_MINUTES.get(issue.priority, settings.ISSUE_RESPONSE_MINUTES["normal"])
        return start + timedelta(minutes=minutes)

    def resolution_due(self, *, issue, start: datetime) -> datetime:
        days = settings.ISSUE_RESOLUTION_DAYS.get(issue.priority, settings.ISSUE_RESOLUTION_DAYS["normal"])
        return start + timedelta(days=days)


fallback = CalendarTimeDeadlines()
provider: DeadlineProvider = fallback


def register(new_provider: DeadlineProvider) -> None:
    """Make ``new_provider`` answer every deadline from now on (a higher app calls it in ``ready()``)."""
    global provider
    provider = new_provider


def response_due(*, issue, start: datetime) -> datetime:
    """The moment the handler must report for duty (报到) by, for a dispatch at ``start``."""
    return provider.response_due(issue=issue, start=start)


def resolution_due(*, issue, start: datetime) -> datetime:
    """The moment the issue must be resolved (办结) by, for an acceptance at ``start``."""
    return provider.resolution_due(issue=issue, start=start)
