"""The district edits the deadline matrix and corrects the working-day calendar here."""
from django.contrib import admin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .models import CalendarDay, DeadlineRule, RoutingRule


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
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
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "is_working_day", "name"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    search_fields = ["name"]

    @admin.display(description=_("weekday"))
    def weekday(self, day):
        return date_format(day.date, "l")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
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
