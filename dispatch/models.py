"""Dispatch's rules: the deadline matrix (tier × priority × optional category) and the district's
corrections to the working-day calendar."""
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from issues.models import Category, Priority, Tier


class CalendarDay(models.Model):
    """A day whose working status the district sets itself: a year the calendar library does not
    know yet, or a correction of it (a local holiday, a day of duty). Consulted before the library."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"), help_text=_(
        "Ticked: a working day (e.g. an adjusted working weekend, 调休上班). Unticked: a day off "
        "(e.g. a statutory holiday, 法定节假日)."))
    name = models.CharField(_("name"), max_length=60, blank=True, help_text=_("e.g. 国庆节 or 国庆节调休上班"))

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self):
        kind = _("working day") if self.is_working_day else _("day off")
        return f"{self.date:%Y-%m-%d} {self.name or kind}"


DUPLICATE_RULE = _("There is already a rule for this tier, priority and category.")


class DeadlineRule(models.Model):
    """How long the handler has to report for duty (报到时限, minutes of wall-clock time: departments
    are on duty at weekends too) and to resolve the issue (办结时限, working days), for issues owned
    by a tier with a priority; a rule with a category is more specific than one without."""

    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    category = models.ForeignKey(
        Category, models.CASCADE, null=True, blank=True, related_name="deadline_rules", verbose_name=_("category"),
        help_text=_("Empty: any category. A rule for a top category also covers its sub-categories."),
    )
    response_minutes = models.PositiveIntegerField(
        _("response deadline (报到时限), minutes"), validators=[MinValueValidator(1)],
        help_text=_("Wall-clock minutes from dispatch, weekends and holidays included."),
    )
    resolution_working_days = models.PositiveIntegerField(
        _("resolution deadline (办结时限), working days"), validators=[MinValueValidator(1)],
        help_text=_("Working days from acceptance, on the mainland China calendar."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["tier", "priority", "category__code"]
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")
        constraints = [
            # NULL is distinct from NULL in a unique index: the "any category" rule needs its own.
            models.UniqueConstraint(fields=["tier", "priority", "category"], condition=Q(category__isnull=False),
                                    name="deadline_rule_per_category", violation_error_message=DUPLICATE_RULE),
            models.UniqueConstraint(fields=["tier", "priority"], condition=Q(category__isnull=True),
                                    name="deadline_rule_default", violation_error_message=DUPLICATE_RULE),
            models.CheckConstraint(condition=Q(response_minutes__gte=1) & Q(resolution_working_days__gte=1),
                                   name="deadline_rule_positive"),
        ]

    def __str__(self):
        category = self.category.name if self.category_id else _("any category")
        return f"{self.get_tier_display()} × {self.get_priority_display()} × {category}"
