"""The problem lists' API (问题清单): the lists a user may open, and one list's entries – paged JSON, or
every matching entry as CSV or .xlsx (``?format=csv|xlsx`` or the ``Accept`` header).

Thin views: the filters are validated here, the scope, the query count and the files are
``issues.problem_list``'s."""
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from jianhua.pagination import StandardPagination

from .. import problem_list, rules
from ..lifecycle import Status
from ..problem_list_views import EXPORT_TYPES, export_response
from ..models import EntryState, Priority, Tier
from .serializers import PersonSerializer, RefSerializer

ERROR = inline_serializer("ProblemListError", {"detail": serializers.CharField(),
                                               "field": serializers.CharField(allow_null=True)})


class IsStaffMember(permissions.BasePermission):
    message = "Problem lists are for grid and district staff."

    def has_permission(self, request, view):
        return rules.is_staff_member(request.user)


class _FileRenderer(JSONRenderer):
    """Lets content negotiation choose a file. The view writes a file itself (every row, not a page), so
    what reaches a file renderer is only ever an error, and it stays JSON (see ``finalize_response``)."""


class CSVRenderer(_FileRenderer):
    media_type = "text/csv"
    format = "csv"


class XLSXRenderer(_FileRenderer):
    media_type = EXPORT_TYPES["xlsx"]
    format = "xlsx"


# Shapes -------------------------------------------------------------------------------------------

class ProblemListSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(Tier.choices)
    tier_display = serializers.CharField(source="tier_label")
    code = serializers.CharField(help_text="the unit's code, or 'district'")
    name = serializers.CharField()
    street = serializers.CharField(source="street_name", help_text="a community's street")
    entries_url = serializers.SerializerMethodField()

    def get_entries_url(self, unit) -> str:
        return reverse("api-problem-list-entries", args=[unit.tier, unit.code])


class ProblemListEntrySerializer(serializers.Serializer):
    number = serializers.CharField(source="issue.number")
    issue_id = serializers.IntegerField()
    title = serializers.CharField(source="issue.title")
    category = serializers.SerializerMethodField()
    grid = RefSerializer(source="issue.grid")
    community = RefSerializer(source="issue.community")
    street = RefSerializer(source="issue.street")
    priority = serializers.ChoiceField(Priority.choices, source="issue.priority")
    status = serializers.ChoiceField(Status.choices, source="issue.status")
    status_display = serializers.CharField(source="issue.get_status_display")
    state = serializers.ChoiceField(EntryState.choices, help_text="on this list: open, whistled up, crossed off")
    state_display = serializers.CharField(source="get_state_display")
    handler = serializers.SerializerMethodField()
    handler_department = RefSerializer(source="issue.handler_department", allow_null=True)
    accepted_at = serializers.DateTimeField()
    response_due = serializers.DateTimeField(source="issue.response_due", allow_null=True)
    resolution_due = serializers.DateTimeField(source="deadline", allow_null=True,
                                               help_text="this tier's resolution deadline while it owns the issue")
    overdue = serializers.BooleanField(help_text="open on this list and past a deadline")
    left_at = serializers.DateTimeField(allow_null=True, help_text="when it was crossed off or whistled up")
    crossed_off_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(RefSerializer)
    def get_category(self, entry):
        return {"code": entry.issue.category.code, "name": str(entry.issue.category)}

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_handler(self, entry):
        handler = entry.issue.handler
        return None if handler is None else {"username": handler.username, "name": str(handler), "role": handler.role}


class ProblemListCountsSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    escalated = serializers.IntegerField()
    crossed_off = serializers.IntegerField()


class ProblemListFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(EntryState.choices, required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None,
                                       help_text="true: open entries past a deadline; false: all the others")
    category = serializers.CharField(required=False, help_text="category code; a top category includes its children")
    grid = serializers.CharField(required=False, help_text="grid code")
    accepted_from = serializers.DateField(required=False, help_text="accepted on or after this day (Asia/Shanghai)")
    accepted_to = serializers.DateField(required=False, help_text="accepted on or before this day")

    def validate(self, data):
        start, end = data.get("accepted_from"), data.get("accepted_to")
        if start and end and start > end:
            raise ValidationError({"accepted_to": _("The first day comes after the last day.")})
        return data

    def filters(self) -> problem_list.ProblemListFilters:
        return problem_list.ProblemListFilters(**self.validated_data)


class ProblemListPagination(StandardPagination):
    """The standard page, plus the list it is a page of and the list's counts per state."""

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["list"] = self.list_data
        response.data["counts"] = self.counts
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        string = {"type": "string"}
        schema["properties"]["list"] = {"type": "object", "properties": {
            "tier": {"type": "string", "enum": list(Tier.values)}, "tier_display": string, "code": string,
            "name": string, "street": string, "entries_url": string}}
        schema["properties"]["counts"] = {"type": "object", "properties": {
            name: {"type": "integer"} for name in ("open", "overdue", "escalated", "crossed_off")}}
        schema["required"] = [*schema.get("required", []), "list", "counts"]
        return schema


# Views --------------------------------------------------------------------------------------------

@extend_schema(tags=["problem lists"], responses={200: ProblemListSerializer(many=True), 403: ERROR})
class ProblemListsView(APIView):
    """The problem lists this user may open: the district's, streets' and communities' within their area."""

    permission_classes = [permissions.IsAuthenticated, IsStaffMember]

    def get(self, request):
        return Response(ProblemListSerializer(problem_list.lists_for(request.user), many=True).data)


FILE_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="every matching entry, UTF-8 with a BOM"),
    (200, EXPORT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY, description="every matching entry"),
}


@extend_schema(tags=["problem lists"])
class ProblemListEntriesView(GenericAPIView):
    """One problem list's entries, newest acceptance first: a page of JSON with the list's counts, or
    every matching entry as a file with ``?format=csv`` / ``?format=xlsx`` (or ``Accept: text/csv`` …)."""

    permission_classes = [permissions.IsAuthenticated, IsStaffMember]
    serializer_class = ProblemListEntrySerializer
    pagination_class = ProblemListPagination
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer, XLSXRenderer]
    filter_backends: list = []  # filtering is the selector's, from ProblemListFilterSerializer

    @extend_schema(
        parameters=[ProblemListFilterSerializer,
                    OpenApiParameter("format", str, enum=["json", "csv", "xlsx"], required=False,
                                     description="csv or xlsx: every matching entry as a file")],
        responses={(200, "application/json"): ProblemListEntrySerializer(many=True), **FILE_RESPONSES,
                   (400, "application/json"): OpenApiResponse(ERROR, description="a filter was not understood"),
                   (403, "application/json"): ERROR,
                   (404, "application/json"): OpenApiResponse(ERROR, description="no such list among the user's")},
    )
    def get(self, request, tier, unit):
        list_unit = problem_list.problem_list_unit(request.user, tier=tier, code=unit)
        query = ProblemListFilterSerializer(data=request.query_params)
        if not query.is_valid():
            field, messages = next(iter(query.errors.items()))
            return Response({"detail": str(messages[0]), "field": field}, status=400)
        filters = query.filters()
        entries = problem_list.problem_list_for(request.user, tier=list_unit.tier, unit=list_unit, filters=filters)
        export = getattr(request.accepted_renderer, "format", "")
        if export in EXPORT_TYPES:
            return export_response(entries, list_unit, export)
        page = self.paginate_queryset(entries)
        self.paginator.list_data = ProblemListSerializer(list_unit).data
        counts = problem_list.problem_list_counts(request.user, tier=list_unit.tier, unit=list_unit, filters=filters)
        self.paginator.counts = ProblemListCountsSerializer(counts).data
        rows = list(problem_list.problem_list_rows(page))
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON even when the client asked for a file.
        if isinstance(response, Response) and isinstance(getattr(request, "accepted_renderer", None), _FileRenderer):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


urlpatterns = [
    path("problem-lists/", ProblemListsView.as_view(), name="api-problem-lists"),
    path("problem-lists/<slug:tier>/<str:unit>/entries/", ProblemListEntriesView.as_view(),
         name="api-problem-list-entries"),
]
