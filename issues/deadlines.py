"""When a handler must report for duty and when the issue must be resolved.

Callers (``issues.services``) use ``response_due`` and ``resolution_due``; ``terms`` says the numbers
behind them (for a notice such as Open311's ``service_notice``). What they answer
comes from the registered provider: the dispatch app registers its tier × priority × category rules
on the working-day calendar (``dispatch.deadlines``, from ``DispatchConfig.ready``); without it, the
fallback below counts calendar time with the numbers in settings. A provider is any object with the
three functions (a module will do).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings


@dataclass(frozen=True)
class DeadlineTerms:
    """The deadlines that apply to an issue, as numbers: minutes to report for duty after a dispatch, and
    days to resolve after acceptance (working days when ``working_days``, else calendar days)."""
    response_minutes: int
    resolution_days: int
    working_days: bool


class DeadlineProvider(Protocol):
    def terms(self, *, issue) -> DeadlineTerms: ...

    def response_due(self, *, issue, start: datetime) -> datetime: ...

    def resolution_due(self, *, issue, start: datetime) -> datetime: ...


class CalendarTimeDeadlines:
    """The fallback: ``ISSUE_RESPONSE_MINUTES`` minutes and ``ISSUE_RESOLUTION_DAYS`` calendar days."""

    def terms(self, *, issue) -> DeadlineTerms:
        return settings_terms(issue, working_days=False)

    def response_due(self, *, issue, start: datetime) -> datetime:
        return start + timedelta(minutes=self.terms(issue=issue).response_minutes)

    def resolution_due(self, *, issue, start: datetime) -> datetime:
        return start + timedelta(days=self.terms(issue=issue).resolution_days)


def settings_terms(issue, *, working_days: bool) -> DeadlineTerms:
    """The settings' numbers for the issue's priority: the last resort of every provider."""
    return DeadlineTerms(
        response_minutes=settings.ISSUE_RESPONSE_MINUTES.get(issue.priority, settings.ISSUE_RESPONSE_MINUTES["normal"]),
        resolution_days=settings.ISSUE_RESOLUTION_DAYS.get(issue.priority, settings.ISSUE_RESOLUTION_DAYS["normal"]),
        working_days=working_days)


fallback = CalendarTimeDeadlines()
provider: DeadlineProvider = fallback


def register(new_provider: DeadlineProvider) -> None:
    """Make ``new_provider`` answer every deadline from now on (a higher app calls it in ``ready()``)."""
    global provider
    provider = new_provider


def terms(*, issue) -> DeadlineTerms:
    """The deadlines that apply to ``issue`` now (its owning tier, priority and category)."""
    return provider.terms(issue=issue)


def response_due(*, issue, start: datetime) -> datetime:
    """The moment the handler must report for duty (报到) by, for a dispatch at ``start``."""
    return provider.response_due(issue=issue, start=start)


def resolution_due(*, issue, start: datetime) -> datetime:
    """The moment the issue must be resolved (办结) by, for an acceptance at ``start``."""
    return provider.resolution_due(issue=issue, start=start)
