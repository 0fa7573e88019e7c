"""Reads of notifications: a user sees their own and nobody else's."""
from django.db.models import QuerySet

from .models import Notification


def notification_list_for(user, *, unread_only: bool = False) -> QuerySet:
    """The user's notifications, newest first (one query per page: no joins needed)."""
    rows = Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
    return rows.filter(read_at=None) if unread_only else rows


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()
