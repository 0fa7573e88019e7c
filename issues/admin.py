"""The admin edits the category tree. Issues and their timelines are shown read-only: every change
of an issue goes through the services (and their events), so the admin changes none."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Category, Issue, IssueEvent, IssuePhoto


class SubCategoryInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    fields = ["code", "name", "name_en", "order", "is_active"]
    extra = 0
    verbose_name = _("sub-category")
    verbose_name_plural = _("sub-categories")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "parent", "name_en", "order", "is_active"]
    list_filter = ["is_active", ("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["parent__order", "order", "code"]

    def get_inlines(self, request, obj):
        # Only top categories hold sub-categories: the tree has two levels.
        return [SubCategoryInline] if obj is None or obj.parent_id is None else []

    def has_delete_permission(self, request, obj=None):
        return False  # issues keep their category; retire one by unticking "active"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = IssueEvent
    fields = ["at", "action", "actor", "actor_role", "from_status", "to_status", "note"]
    readonly_fields = fields


class PhotoInline(ReadOnlyInline):
    model = IssuePhoto
    fields = ["kind", "image", "width", "height", "uploaded_by", "created_at"]
    readonly_fields = fields


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "status", "category", "street", "community", "grid", "owner_tier", "created_at"]
    list_filter = ["status", "owner_tier", "channel", "priority", "street", ("category", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["category__parent", "street", "community", "grid"]
    search_fields = ["number", "title"]
    date_hierarchy = "created_at"
    inlines = [PhotoInline, EventInline]
    show_full_result_count = False  # counting a million rows on every page is not worth it

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Issue._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
