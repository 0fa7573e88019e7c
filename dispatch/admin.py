"""The district edits the deadline matrix and corrects the working-day calendar here; each change page's
"History" says who changed a rule or a day, when, and what it was before (jianhua.history)."""
from django.contrib import admin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from jianhua.admin import HistoryAdmin, ReadOnlyAdmin, ReadOnlyInline

from .models import (
    AccountabilityRecord,
    CalendarDay,
    DeadlineRule,
    DispatchMeeting,
    Instruction,
    MeetingDecision,
    ProgressReport,
    RoutingRule,
    SupervisionItem,
)


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(HistoryAdmin):
    list_display = ["tier", "priority", "category_or_any", "response_minutes", "resolution_working_days", "active"]
    list_display_links = ["tier", "priority", "category_or_any"]
    list_filter = ["tier", "priority", "active", ("category", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["category__parent"]
    search_fields = ["category__code", "category__name"]
    ordering = ["tier", "priority", "category__code"]
    autocomplete_fields = ["category"]

    @admin.display(description=_("category"), ordering="category__code")
    def category_or_any(self, rule):
        return str(rule.category) if rule.category_id else _("any category")


@admin.register(CalendarDay)
class CalendarDayAdmin(HistoryAdmin):
    list_display = ["date", "weekday", "is_working_day", "name"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    search_fields = ["name"]

    @admin.display(description=_("weekday"))
    def weekday(self, day):
        return date_format(day.date, "l")


@admin.register(RoutingRule)
class RoutingRuleAdmin(HistoryAdmin):
    list_display = ["name", "order", "category_or_any", "area", "priority_or_any", "owner_tier", "default_handler",
                    "department", "active"]
    list_display_links = ["name"]
    list_editable = ["order", "active"]
    list_filter = ["active", "owner_tier", "default_handler", "priority",
                   ("category", admin.RelatedOnlyFieldListFilter), ("street", admin.RelatedOnlyFieldListFilter),
                   ("department", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["category__parent", "street", "community", "department"]
    search_fields = ["name", "category__code", "category__name"]
    ordering = ["order", "id"]
    autocomplete_fields = ["category", "community"]
    fieldsets = [
        (_("Which issues"), {"fields": ["name", "category", "street", "community", "priority"]}),
        (_("Where they go"), {"fields": ["owner_tier", "default_handler", "department"]}),
        (None, {"fields": ["order", "active"]}),
    ]

    @admin.display(description=_("category"), ordering="category__code")
    def category_or_any(self, rule):
        return str(rule.category) if rule.category_id else _("any category")

    @admin.display(description=_("area"))
    def area(self, rule):
        return str(rule.community or rule.street or _("anywhere"))

    @admin.display(description=_("priority"), ordering="priority")
    def priority_or_any(self, rule):
        return rule.get_priority_display() if rule.priority else _("any priority")


@admin.register(AccountabilityRecord)
class AccountabilityRecordAdmin(ReadOnlyAdmin):
    """The accountability list, read-only: records are created by the rules or by hand and decided by the
    inspectors on their pages (``dispatch.accountability``), never edited here."""

    list_display = ["issue", "kind", "state", "outcome", "tier", "department", "person", "automatic", "created_at"]
    list_filter = ["state", "kind", "outcome", "automatic", "tier", ("department", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["issue", "department", "person"]
    search_fields = ["issue__number", "facts"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AccountabilityRecord._meta.fields]


# The supervision list: read here, written through dispatch.supervision (the pages and the API), so
# that every step reaches the timeline.

class InstructionInline(ReadOnlyInline):
    model = Instruction
    fields = ["at", "by", "text", "decision"]
    readonly_fields = fields


class ProgressReportInline(ReadOnlyInline):
    model = ProgressReport
    fields = ["at", "author", "text"]
    readonly_fields = fields


class MeetingDecisionInline(ReadOnlyInline):
    model = MeetingDecision
    fields = ["item", "text", "due"]
    readonly_fields = fields


@admin.register(SupervisionItem)
class SupervisionItemAdmin(ReadOnlyAdmin):
    list_display = ["issue", "source", "state", "supervisor", "due", "created_at", "closed_at"]
    list_filter = ["state", "source"]
    list_select_related = ["issue", "supervisor"]
    search_fields = ["issue__number", "issue__title", "instruction"]
    date_hierarchy = "created_at"
    fields = ["issue", "source", "state", "instruction", "supervisor", "due", "created_by", "created_at", "closed_at"]
    readonly_fields = fields
    inlines = [InstructionInline, ProgressReportInline]


@admin.register(DispatchMeeting)
class DispatchMeetingAdmin(ReadOnlyAdmin):
    list_display = ["held_on", "title", "place", "chair", "recorded_by"]
    list_select_related = ["chair", "recorded_by"]
    search_fields = ["title", "place", "notes"]
    date_hierarchy = "held_on"
    fields = ["held_on", "title", "place", "chair", "attendees", "other_attendees", "notes", "recorded_by",
              "created_at"]
    readonly_fields = fields
    inlines = [MeetingDecisionInline]
