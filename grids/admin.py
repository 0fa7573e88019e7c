"""The admin of the people who manage grids: every area searchable and filterable, boundaries drawn
on a Leaflet map. The boundary rules live in the models' clean(), so a bad boundary comes back as
a form error naming the problem."""
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from jianhua.admin import HistoryAdmin

from . import selectors
from .models import Building, BuildingUnit, Community, Department, District, Grid, Street, User
from .poster_views import posters_response


class AreaAdmin(HistoryAdmin, LeafletGeoAdmin):
    search_fields = ["code", "name"]
    ordering = ["code"]
    list_per_page = 50
    class Media:
        js = ["grids/admin-context.js"]

    def get_readonly_fields(self, request, obj=None):
        # Codes are stable identifiers that other systems keep; they are set once.
        return ("code",) if obj is not None else ()


def print_posters_action(grids_of):
    """The changelist action "Print QR posters": one PDF, a page for each grid of the selection, in
    code order. ``grids_of(selected)`` is the Grid queryset of the selected rows."""

    @admin.action(description=_("Print QR posters"))
    def print_posters(modeladmin, request, queryset):
        grids = list(selectors.grid_poster_list(grids_of(queryset)))
        if not grids:
            modeladmin.message_user(request, _("The selection holds no grid to print."), messages.WARNING)
            return None
        return posters_response(grids, filename=f"grid-posters-{grids[0].code}-{len(grids)}.pdf")

    return print_posters


@admin.register(District)
class DistrictAdmin(AreaAdmin):
    list_display = ["code", "name", "population"]


@admin.register(Street)
class StreetAdmin(AreaAdmin):
    list_display = ["code", "name", "district", "community_count"]
    list_filter = ["district"]
    list_select_related = ["district"]
    actions = [print_posters_action(lambda streets: Grid.objects.filter(community__street__in=streets.values("pk")))]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(community_count=Count("communities"))

    @admin.display(description=_("number of communities"), ordering="community_count")
    def community_count(self, obj):
        return obj.community_count


@admin.register(Community)
class CommunityAdmin(AreaAdmin):
    list_display = ["code", "name", "street", "phone", "grid_count"]
    list_filter = ["street"]
    list_select_related = ["street"]
    actions = [print_posters_action(lambda communities: Grid.objects.filter(community__in=communities.values("pk")))]
    search_fields = ["code", "name", "street__name"]
    autocomplete_fields = ["street"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(grid_count=Count("grids"))

    @admin.display(description=_("number of grids"), ordering="grid_count")
    def grid_count(self, obj):
        return obj.grid_count


class GridStaffInline(admin.TabularInline):
    """Who works in the grid; accounts are edited on their own page."""

    model = User
    fields = ["username", "full_name", "grid_duty", "phone", "is_active"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("person working in the grid")
    verbose_name_plural = _("people working in the grid")


@admin.register(Grid)
class GridAdmin(AreaAdmin):
    list_display = ["code", "name", "community", "street", "population", "households"]
    actions = [print_posters_action(lambda grids: Grid.objects.filter(pk__in=grids.values("pk")))]
    list_filter = ["community__street", "community"]
    list_select_related = ["community__street"]
    search_fields = ["code", "name", "community__name"]
    autocomplete_fields = ["community"]
    inlines = [GridStaffInline]

    @admin.display(description=_("street"), ordering="community__street__name")
    def street(self, obj):
        return obj.community.street


class BuildingUnitInline(admin.TabularInline):
    model = BuildingUnit
    fields = ["number", "households", "floors", "centre_household_name", "centre_household_phone"]
    extra = 0


@admin.register(Building)
class BuildingAdmin(HistoryAdmin):
    """The buildings and units officers visit (places on the area model); the point must lie in the grid."""

    list_display = ["number", "address", "grid", "centre_household_name", "centre_household_phone"]
    list_filter = ["grid__community__street", "grid__community"]
    list_select_related = ["grid"]
    search_fields = ["number", "address", "grid__code", "grid__name", "centre_household_name"]
    autocomplete_fields = ["grid"]
    inlines = [BuildingUnitInline]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("grid__boundary")


@admin.register(Department)
class DepartmentAdmin(HistoryAdmin):
    list_display = ["code", "short_name", "name", "phone"]
    search_fields = ["code", "name", "short_name", "duties"]
    list_filter = ["district"]


@admin.register(User)
class UserAdmin(HistoryAdmin, DjangoUserAdmin):
    list_display = ["username", "full_name", "role", "grid_duty", "served_area", "is_active"]
    list_filter = ["role", "grid_duty", "is_active", "street", "department"]
    list_select_related = ["district", "street", "community", "grid", "department"]
    search_fields = ["username", "full_name", "phone", "email"]
    autocomplete_fields = ["district", "street", "community", "grid", "department"]
    # Set by signing up and signing in, not by hand (a form round trip would also cut their microseconds).
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "phone", "email")}),
        (_("Role and area served"), {"fields": ("role", "district", "street", "community", "grid", "grid_duty", "department")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("Role and area served"), {"fields": ("full_name", "role", "district", "street", "community", "grid", "grid_duty", "department")}),
    )

    @admin.display(description=_("area served"))
    def served_area(self, obj):
        return obj.area or "—"
