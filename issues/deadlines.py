"""When a handler must report for duty and when the issue must be resolved.

A first cut in calendar time, with the numbers in settings. The dispatch app replaces it with the
tier × priority × category matrix on working days (issue #4); callers only use these two functions.
"""
from datetime import datetime, timedelta

from django.conf import settings


def response_due(*, priority: str, start: datetime) -> datetime:
    minutes = settings.ISSUE_RESPONSE_MINUTES.get(priority, settings.ISSUE_RESPONSE_MINUTES["normal"])
    return start + timedelta(minutes=minutes)


def resolution_due(*, priority: str, start: datetime) -> datetime:
    days = settings.ISSUE_RESOLUTION_DAYS.get(priority, settings.ISSUE_RESOLUTION_DAYS["normal"])
    return start + timedelta(days=days)
