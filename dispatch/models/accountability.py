from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Community, Department, Street
from issues.models import Issue, IssueEvent, Tier


class RecordKind(models.TextChoices):
    NO_RESPONSE = "no_response", _("No report for duty in time (接哨不报到)")
    SLOW = "slow", _("Resolution overdue (慢作为)")
    INACTION = "inaction", _("Refused or left without action (不作为)")
    DISSATISFIED = "dissatisfied", _("Repeatedly rated dissatisfied (群众不满意)")
    FALSE_WHISTLE = "false_whistle", _("Unjustified whistle upward (乱吹哨)")
    COMMENDATION = "commendation", _("Fast and rated satisfied: proposed for commendation (通报表扬)")


class RecordState(models.TextChoices):
    CANDIDATE = "candidate", _("Awaiting the inspector")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class Outcome(models.TextChoices):
    TALK = "talk", _("Reminder talk (谈话提醒)")
    CRITICISM = "criticism", _("Circulated criticism (通报批评)")
    ACCOUNTABILITY = "accountability", _("Held accountable (问责)")
    COMMENDATION = "commendation", _("Circulated commendation (通报表扬)")


class AccountabilityRecord(models.Model):
    """A line on the accountability list (问效清单): a unit (and, where one held it, a person) that failed
    – or excelled – on an issue. The timers and the services create candidates; discipline inspectors
    confirm them with an outcome or dismiss them with a reason. ``dedupe_key`` keeps a fact from being
    recorded twice (a timer that runs again, a rating replayed)."""

    issue = models.ForeignKey(Issue, models.PROTECT, related_name="accountability_records", verbose_name=_("issue"))
    kind = models.CharField(_("kind"), max_length=20, choices=RecordKind.choices)
    # The timeline event a rule created it from (an overdue mark, a send-back, a rating); empty by hand.
    event = models.ForeignKey(IssueEvent, models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("event"))
    automatic = models.BooleanField(_("created by a rule"), default=True)
    # Who answers for it: the tier's unit (a community, a street, the command centre when both are
    # empty at the district tier), or a department; the person who held the issue when there was one.
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, blank=True)
    community = models.ForeignKey(Community, models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("community"))
    street = models.ForeignKey(Street, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("street"))
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("person"))
    facts = models.TextField(_("facts"))
    state = models.CharField(_("state"), max_length=20, choices=RecordState.choices, default=RecordState.CANDIDATE)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    decision_note = models.TextField(_("inspector's reasons"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    dedupe_key = models.CharField(max_length=120, null=True, blank=True, unique=True, editable=False)
    # The street the issue lies in (the issue's, not the unit's), copied here so that a street's count of
    # candidates is one index lookup rather than a join with a million issues. Set on save.
    issue_street_id = models.IntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("accountability record")
        verbose_name_plural = _("accountability list")
        indexes = [models.Index(fields=["state", "-created_at"], name="accountability_state"),
                   models.Index(fields=["street", "state"], name="accountability_street"),
                   models.Index(fields=["department", "state"], name="accountability_department"),
                   models.Index(fields=["issue_street_id", "state"], name="accountability_issue_street")]

    def __str__(self):
        return f"{self.issue_id} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if self.issue_street_id is None and self.issue_id is not None:
            self.issue_street_id = self.issue.street_id
        super().save(*args, **kwargs)

    @property
    def is_commendation(self) -> bool:
        return self.kind == RecordKind.COMMENDATION

    @property
    def is_decided(self) -> bool:
        return self.state != RecordState.CANDIDATE

    @property
    def unit_names(self) -> list[str]:
        """Who answers for it, as names: the department and/or the tier's unit (loaded with the record)."""
        names = []
        if self.department_id:
            names.append(self.department.name)
        if self.tier == Tier.COMMUNITY and self.community_id:
            names.append(self.community.name)
        elif self.tier == Tier.STREET and self.street_id:
            names.append(self.street.name)
        elif self.tier == Tier.DISTRICT:
            names.append(str(_("District command centre")))
        return names
