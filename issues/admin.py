"""The admin edits the category tree. Issues and their timelines are shown read-only: every change
of an issue goes through the services (and their events), so the admin changes none."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jianhua.admin import HistoryAdmin, ReadOnlyInline

from . import services
from .models import Category, CategoryAttribute, IntakeClient, Issue, IssueEvent, IssuePhoto, SiteCheck


class SubCategoryInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    fields = ["code", "name", "name_en", "order", "is_active"]
    extra = 0
    verbose_name = _("sub-category")
    verbose_name_plural = _("sub-categories")


class AttributeInline(admin.StackedInline):
    """The extra questions a category asks (Open311 service attributes)."""

    model = CategoryAttribute
    fields = [("code", "datatype", "required", "variable", "order"), "description", "datatype_description", "values",
              "urgent_keys"]
    extra = 0


@admin.register(Category)
class CategoryAdmin(HistoryAdmin):
    list_display = ["name", "code", "parent", "name_en", "order", "is_active"]
    list_filter = ["is_active", ("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["parent__order", "order", "code"]

    def get_inlines(self, request, obj):
        # Only top categories hold sub-categories: the tree has two levels.
        return [SubCategoryInline, AttributeInline] if obj is None or obj.parent_id is None else [AttributeInline]

    def has_delete_permission(self, request, obj=None):
        return False  # issues keep their category; retire one by unticking "active"


class EventInline(ReadOnlyInline):
    model = IssueEvent
    fields = ["at", "action", "actor", "actor_role", "from_status", "to_status", "note"]
    readonly_fields = fields


class PhotoInline(ReadOnlyInline):
    model = IssuePhoto
    fields = ["kind", "image", "width", "height", "taken_lat", "taken_lng", "uploaded_by", "created_at"]
    readonly_fields = fields


class CheckInline(ReadOnlyInline):
    """The on-site checks asked (核实 / 核查), as the services wrote them."""

    model = SiteCheck
    fk_name = "issue"
    fields = ["kind", "state", "officer", "asked_by", "asked_at", "due_at", "outcome", "answered_at", "cancelled_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("officer", "asked_by")


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "status", "category", "street", "community", "grid", "owner_tier", "created_at"]
    list_filter = ["status", "owner_tier", "channel", ("intake_client", admin.RelatedOnlyFieldListFilter), "priority",
                   "street", ("category", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["category__parent", "street", "community", "grid"]
    search_fields = ["number", "title"]
    date_hierarchy = "created_at"
    inlines = [PhotoInline, CheckInline, EventInline]
    show_full_result_count = False  # counting a million rows on every page is not worth it

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Issue._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IntakeClient)
class IntakeClientAdmin(admin.ModelAdmin):
    """Open311 clients and their API keys. A new client gets its service account from
    ``services.intake_client_create``; a client is retired by unticking "active", never deleted."""

    list_display = ["name", "code", "is_active", "rate_limit_per_minute", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    fields = ["name", "code", "api_key", "is_active", "rate_limit_per_minute", "account", "created_at"]
    readonly_fields = ["account", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (["code"] if obj is not None else [])

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = services.intake_client_create(
            name=obj.name, code=obj.code, api_key=obj.api_key, rate_limit_per_minute=obj.rate_limit_per_minute,
            is_active=obj.is_active,
        )
        obj.pk, obj.account, obj.created_at = created.pk, created.account, created.created_at

    def has_delete_permission(self, request, obj=None):
        return False  # its whistles keep naming it
