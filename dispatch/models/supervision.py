from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models import Issue


class SupervisionSource(models.TextChoices):
    MANUAL = "manual", _("Put on supervision by hand")
    OVERDUE = "overdue", _("Rule: overdue for too long")
    REOPENED = "reopened", _("Rule: reopened repeatedly")
    MULTI_DEPARTMENT = "multi_department", _("Rule: several departments involved")


class SupervisionState(models.TextChoices):
    OPEN = "open", _("Under supervision")
    CLOSED = "closed", _("Closed")


class SupervisionItem(models.Model):
    """An issue on the supervision list (督办清单): an instruction, a supervisor and a deadline; the
    holders post progress reports; it closes when the issue is closed. One open item per issue."""

    issue = models.ForeignKey(Issue, models.PROTECT, related_name="supervision_items", verbose_name=_("issue"))
    source = models.CharField(_("source"), max_length=20, choices=SupervisionSource.choices,
                              default=SupervisionSource.MANUAL)
    instruction = models.TextField(_("instruction"))
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="supervised_items", verbose_name=_("supervisor"))
    due = models.DateTimeField(_("supervision deadline"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=SupervisionState.choices,
                             default=SupervisionState.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("put on the list by"))
    created_at = models.DateTimeField(_("put on the list at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("supervision item")
        verbose_name_plural = _("supervision list")
        constraints = [models.UniqueConstraint(fields=["issue"], condition=Q(state="open"),
                                               name="one_open_supervision_per_issue")]
        indexes = [models.Index(fields=["state", "-created_at"], name="supervision_state")]

    def __str__(self):
        return f"{self.issue_id} {self.get_source_display()}"


class Instruction(models.Model):
    """A supervisor's instruction on an item (批示), typed in or decided at a dispatch meeting."""

    item = models.ForeignKey(SupervisionItem, models.PROTECT, related_name="instructions", verbose_name=_("item"))
    text = models.TextField(_("instruction"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                           verbose_name=_("by"))
    decision = models.OneToOneField("MeetingDecision", models.PROTECT, null=True, blank=True,
                                    related_name="instruction", verbose_name=_("meeting decision"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("instruction")
        verbose_name_plural = _("instructions")


class ProgressReport(models.Model):
    """What a holder of a supervised issue reports it has done so far (进展情况)."""

    item = models.ForeignKey(SupervisionItem, models.PROTECT, related_name="reports", verbose_name=_("item"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by"))
    text = models.TextField(_("progress"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")


class DispatchMeeting(models.Model):
    """A "听哨" dispatch meeting: who sat, what was discussed, what was decided."""

    held_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=100)
    place = models.CharField(_("place"), max_length=100, blank=True)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("chaired by"))
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="dispatch_meetings",
                                       verbose_name=_("attendees"))
    other_attendees = models.TextField(_("other attendees"), blank=True,
                                       help_text=_("People without an account, one per line."))
    notes = models.TextField(_("minutes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("dispatch meeting")
        verbose_name_plural = _("dispatch meetings")

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d} {self.title}"


class MeetingDecision(models.Model):
    """A decision of a meeting on one supervised item; it becomes an instruction on that item."""

    meeting = models.ForeignKey(DispatchMeeting, models.PROTECT, related_name="decisions", verbose_name=_("meeting"))
    item = models.ForeignKey(SupervisionItem, models.PROTECT, related_name="decisions", verbose_name=_("item"))
    text = models.TextField(_("decision"))
    due = models.DateTimeField(_("to be done by"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("meeting decision")
        verbose_name_plural = _("meeting decisions")
