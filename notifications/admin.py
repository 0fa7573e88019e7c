"""Read-only views of the bell's notifications and the outbox: what was told to whom, and whether it left."""
from django.contrib import admin

from jianhua.admin import ReadOnlyAdmin

from .models import Notification, OutboxMessage


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "text", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient"]
    search_fields = ["text", "recipient__username", "recipient__full_name", "dedupe_key"]
    date_hierarchy = "created_at"
    raw_id_fields = ["recipient", "issue"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "address", "subject", "status", "attempts", "next_attempt_at", "sent_at",
                    "request_id"]
    list_filter = ["status", "channel"]
    # The request id finds the log lines of the request that queued a message, and of its delivery.
    search_fields = ["address", "subject", "recipient__username", "dedupe_key", "=request_id"]
    date_hierarchy = "created_at"
    raw_id_fields = ["recipient"]
