"""Visits and patrol tracks in the admin, to look at: they are written by the officers' phones through
``field.services``, so nothing here edits them."""
from django.contrib import admin

from .models import PatrolGrid, PatrolTrack, Visit, VisitConcern


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VisitConcernInline(ReadOnly, admin.TabularInline):
    model = VisitConcern
    fields = ["kind", "text", "category", "issue"]
    extra = 0


@admin.register(Visit)
class VisitAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["visited_at", "unit", "room", "resident_name", "officer", "grid"]
    list_filter = ["grid__community__street", "grid__community"]
    list_select_related = ["unit__building", "officer", "grid"]
    search_fields = ["room", "resident_name", "unit__building__address", "officer__username", "grid__code"]
    date_hierarchy = "visited_at"
    inlines = [VisitConcernInline]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("grid__boundary")


class PatrolGridInline(ReadOnly, admin.TabularInline):
    model = PatrolGrid
    fields = ["day", "grid", "first_at", "last_at", "points"]
    extra = 0


@admin.register(PatrolTrack)
class PatrolTrackAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["started_at", "ended_at", "officer", "distance_m"]
    list_select_related = ["officer"]
    search_fields = ["officer__username", "officer__full_name", "uuid"]
    date_hierarchy = "started_at"
    inlines = [PatrolGridInline]
