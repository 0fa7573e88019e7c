"""What every app's admin shares: read-only views of rows that only the services write (events, lists,
notifications), so that each change reaches the timeline and nobody edits history by hand; and the
"History" page of the tables people do edit here (``HistoryAdmin``, see ``jianhua.history``)."""
import hashlib
import json

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from djgeojson.fields import GeoJSONField
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# The change history of hand-edited tables (jianhua.history) ------------------------------------

def _points(coordinates) -> int:
    if isinstance(coordinates, (list, tuple)) and coordinates and isinstance(coordinates[0], (int, float)):
        return 1
    return sum(_points(part) for part in coordinates or ())


def geometry_summary(value) -> str:
    """A boundary as the history page shows it: its type, its number of points and a fingerprint that
    changes with any point (the GeoJSON itself runs to kilobytes)."""
    if not isinstance(value, dict) or "type" not in value:
        return str(value) if value not in (None, "") else "—"
    fingerprint = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:8]
    return _("%(type)s of %(points)s points (#%(fingerprint)s)") % {
        "type": value["type"], "points": _points(value.get("coordinates")), "fingerprint": fingerprint}


class ReadableChanges(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if isinstance(field, GeoJSONField):
            return geometry_summary(value)
        if getattr(field, "choices", None) and not isinstance(value, list):
            return dict(field.flatchoices).get(value, value) if value not in (None, "") else "—"
        # An empty foreign key comes as a "deleted" object without a key.
        if value is None or value == "" or (isinstance(value, DeletedObject) and value.pk is None):
            return "—"
        return super().prepare_delta_change_value(change, value)


class HistoryAdmin(SimpleHistoryAdmin):
    """A ModelAdmin whose "History" lists every change: who, when, and before → after per field. An id
    that is no id is a 404 (django-simple-history's views would answer 500); an old version is shown,
    never saved back (SIMPLE_HISTORY_REVERT_DISABLED)."""

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record)

    def history_view(self, request, object_id, extra_context=None):
        _an_id(self.model._meta.pk, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        _an_id(self.model._meta.pk, object_id)
        _an_id(self.model.history.model._meta.pk, version_id)
        if request.method == "POST" and self.revert_disabled(request):
            raise PermissionDenied(_("Old versions are shown here, not restored: change the row itself."))
        return super().history_form_view(request, object_id, version_id, extra_context)


def _an_id(pk_field, value) -> None:
    try:
        number = pk_field.to_python(unquote(value))
    except ValidationError:
        raise Http404 from None
    if isinstance(number, int) and not 0 < number < 2**63:
        raise Http404
