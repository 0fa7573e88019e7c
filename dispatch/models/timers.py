from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models import Issue, IssueAssist


class AlertKind(models.TextChoices):
    # xgettext:no-python-format
    RESPONSE_REMINDER = "response_reminder", _("75 % of the response time has passed")
    RESPONSE_OVERDUE = "response_overdue", _("No report for duty in time (接哨不报到)")
    # xgettext:no-python-format
    RESOLUTION_REMINDER = "resolution_reminder", _("75 % of the resolution time has passed")
    RESOLUTION_OVERDUE = "resolution_overdue", _("Not resolved in time (慢作为)")
    # The on-site checks a grid officer is asked for (issues.models.SiteCheck, FIELD_CHECK_HOURS).
    # xgettext:no-python-format
    CHECK_REMINDER = "check_reminder", _("75 % of the time for an on-site check has passed")
    CHECK_OVERDUE = "check_overdue", _("On-site check not answered in time")


class DeadlineAlert(models.Model):
    """What the timers did about one deadline: at most one row per issue (or assisting department),
    kind and deadline, so a sweep that runs twice – or late, after an outage – acts once. A new
    deadline (a new dispatch, a reopened issue) is a new ``due`` and may alert again."""

    issue = models.ForeignKey(Issue, models.CASCADE, related_name="alerts", verbose_name=_("issue"))
    assist = models.ForeignKey(IssueAssist, models.CASCADE, null=True, blank=True, related_name="alerts",
                               verbose_name=_("assisting department"))
    kind = models.CharField(_("kind"), max_length=30, choices=AlertKind.choices)
    due = models.DateTimeField(_("deadline"))
    fired_at = models.DateTimeField(_("fired at"), default=timezone.now)
    late_by = models.DurationField(_("fired late by"), null=True, blank=True)

    class Meta:
        ordering = ["-fired_at", "-id"]
        verbose_name = _("deadline alert")
        verbose_name_plural = _("deadline alerts")
        constraints = [
            models.UniqueConstraint(fields=["issue", "kind", "due"], condition=models.Q(assist__isnull=True),
                                    name="one_alert_per_deadline"),
            models.UniqueConstraint(fields=["assist", "kind", "due"], condition=models.Q(assist__isnull=False),
                                    name="one_alert_per_assist_deadline"),
        ]

    def __str__(self):
        return f"{self.issue_id} {self.kind} {self.due:%Y-%m-%d %H:%M}"
