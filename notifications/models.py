"""What the system tells people: in-app notifications (the bell) and the outbox of messages to send.

Rows are written only through ``notifications.services``. An outbox row is written in the same
transaction as the fact it reports and stays ``pending`` until a channel has sent it, so a broker
outage delays a message but never loses it; ``dedupe_key`` makes sure the same fact never queues twice.
"""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One line under the bell: what happened, about which issue, and whether the user has read it."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications",
                                  verbose_name=_("recipient"))
    issue = models.ForeignKey("issues.Issue", models.CASCADE, null=True, blank=True, related_name="notifications",
                              verbose_name=_("issue"))
    kind = models.CharField(_("kind"), max_length=30)  # the issue action that caused it (submit, escalate, …)
    text = models.CharField(_("text"), max_length=500)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
        ]

    def __str__(self):
        return f"{self.recipient_id}: {self.text[:40]}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class Medium(models.TextChoices):
    """The ways a message leaves the system; each is sent by the adapter ``NOTIFICATION_CHANNELS`` names."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed (gave up)")


class OutboxMessage(models.Model):
    """A message to send through one channel, kept until it is sent (or given up after retries)."""

    channel = models.CharField(_("channel"), max_length=10, choices=Medium.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="outbox_messages",
                                  verbose_name=_("recipient"))
    address = models.CharField(_("address"), max_length=254)  # e-mail address or phone number
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    # The id of the request (or task) that queued it, as in the log lines (jianhua.logs): "" when none.
    request_id = models.CharField(_("request id"), max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self):
        return f"{self.channel} → {self.address}: {self.subject or self.body[:40]}"
