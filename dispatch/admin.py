"""The district edits the deadline matrix and corrects the working-day calendar here."""
from django.contrib import admin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .models import CalendarDay, DeadlineRule


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
