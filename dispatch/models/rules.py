"""Dispatch's rules as configuration, edited in the admin: routing (which tier accepts a new issue, who
handles it by default), the deadline matrix (tier × priority × optional category) and the district's
corrections to the working-day calendar. (Permissions – who may do what – are ``issues.rules``.)"""
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import Community, Department, Street
from issues.models import Category, DefaultHandler, Priority, Tier
from jianhua.history import HistoricalRecords


class CalendarDay(models.Model):
    """A day whose working status the district sets itself: a year the calendar library does not
    know yet, or a correction of it (a local holiday, a day of duty). Consulted before the library."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"), help_text=_(
        "Ticked: a working day (e.g. an adjusted working weekend, 调休上班). Unticked: a day off "
        "(e.g. a statutory holiday, 法定节假日)."))
    name = models.CharField(_("name"), max_length=60, blank=True, help_text=_("e.g. 国庆节 or 国庆节调休上班"))
    history = HistoricalRecords()

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
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    history = HistoricalRecords()

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


class RoutingRule(models.Model):
    """For a new issue of a category (optionally in an area, optionally of a priority): the tier that
    accepts it and whom that tier dispatches it to by default. ``dispatch.routing`` picks the most
    specific active rule; the district-wide default (any category, anywhere) catches the rest."""

    name = models.CharField(_("name"), max_length=80)
    category = models.ForeignKey(
        Category, models.CASCADE, null=True, blank=True, related_name="routing_rules", verbose_name=_("category"),
        help_text=_("Empty: any category. A rule for a top category also covers its sub-categories."),
    )
    street = models.ForeignKey(
        Street, models.CASCADE, null=True, blank=True, related_name="routing_rules", verbose_name=_("street"),
        help_text=_("Empty: anywhere in the district."),
    )
    community = models.ForeignKey(
        Community, models.CASCADE, null=True, blank=True, related_name="routing_rules", verbose_name=_("community"),
        help_text=_("Empty: the whole street (or district). A community is more specific than its street."),
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True,
                                help_text=_("Empty: any priority."))
    owner_tier = models.CharField(_("accepting tier"), max_length=20, choices=Tier.choices, default=Tier.COMMUNITY)
    default_handler = models.CharField(_("default handler"), max_length=20, choices=DefaultHandler.choices,
                                       default=DefaultHandler.GRID_OFFICER)
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="routing_rules",
        verbose_name=_("department"), help_text=_("Required when the default handler is a department."),
    )
    order = models.IntegerField(_("order"), default=100, help_text=_(
        "Lower first: decides between equally specific rules."))
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.default_handler == DefaultHandler.DEPARTMENT:
            if self.department_id is None:
                errors["department"] = _("Name the department that handles these issues.")
            if self.owner_tier != Tier.DISTRICT:
                errors["owner_tier"] = _("Only the district command centre dispatches to departments.")
        elif self.department_id is not None:
            errors["department"] = _("A department is named only when the default handler is a department.")
        if self.default_handler == DefaultHandler.STREET and self.owner_tier == Tier.COMMUNITY:
            errors["default_handler"] = _("The community tier cannot dispatch to street staff.")
        if self.community_id is not None and self.street_id is not None \
                and self.community.street_id != self.street_id:
            errors["community"] = _("This community is not in the chosen street.")
        if errors:
            raise ValidationError(errors)
