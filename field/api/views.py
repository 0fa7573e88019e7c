"""The field app's API under /api/v1/field/: thin views that check the input, call one service or
selector and answer JSON. Refusals are ``{"detail": "…", "field": …}`` (400, 403, 404)."""
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView


from .. import rules, selectors, services
from .serializers import (
    BuildingSerializer,
    CoverageQuery,
    PatrolBatchSerializer,
    PatrolPointsSerializer,
    PlanRowSerializer,
    SuggestionSerializer,
    VisitCreateSerializer,
    VisitSerializer,
    WalkedGridSerializer,
)

ERROR = inline_serializer("FieldError", {"detail": serializers.CharField(),
                                         "field": serializers.CharField(allow_null=True)})
ERRORS = {400: OpenApiResponse(ERROR, description="bad input"),
          403: OpenApiResponse(ERROR, description="not for this person, or not in their grid")}


class WorksInGrids(permissions.BasePermission):
    """Grid officers and community staff: the people who visit."""

    message = gettext_lazy("This is for grid officers and community staff.")

    def has_permission(self, request, view):
        return rules.visits_door_to_door(request.user)


class SeesCoverage(permissions.BasePermission):
    message = gettext_lazy("Patrol coverage is for grid, community, street and district staff.")

    def has_permission(self, request, view):
        return rules.coverage_area(request.user) is not None


@extend_schema(tags=["field"], responses={200: inline_serializer("FieldPlaces", {
    "buildings": BuildingSerializer(many=True)}), **ERRORS})
class PlacesView(APIView):
    """The buildings and units of my grid (a community's staff: of its grids), with their centre
    households: what the phone caches for visits offline."""

    permission_classes = [permissions.IsAuthenticated, WorksInGrids]

    def get(self, request):
        return Response({"buildings": BuildingSerializer(selectors.places_for(request.user), many=True).data})


@extend_schema(tags=["field"], responses={200: PlanRowSerializer(many=True), **ERRORS})
class VisitPlanView(generics.ListAPIView):
    """My visit plan: the units of my grid, never visited first, then the longest ago, with the
    households visited in the current cycle (FIELD_VISIT_CYCLE_DAYS)."""

    permission_classes = [permissions.IsAuthenticated, WorksInGrids]
    serializer_class = PlanRowSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.visit_plan_for(self.request.user)


class VisitsView(generics.ListAPIView):
    """GET: the visits I recorded, latest first. POST (multipart): record a visit; a whistle raised is
    filed on the "visit" channel and its tracking number answered in ``issues``."""

    permission_classes = [permissions.IsAuthenticated, WorksInGrids]
    serializer_class = VisitSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filter_backends = []

    def get_queryset(self):
        return selectors.visits_of(self.request.user)

    @extend_schema(tags=["field"], responses={200: VisitSerializer(many=True), **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["field"],
        request={"multipart/form-data": VisitCreateSerializer, "application/json": VisitCreateSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                     description="a repeat with the same key returns the first visit (200)")],
        responses={201: VisitSerializer, 200: VisitSerializer, **ERRORS},
    )
    def post(self, request):
        data = VisitCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()[:80] or None
        recorded = services.visit_record(officer=request.user, idempotency_key=key, **data.validated_data)
        visit = selectors.visits_of(request.user).get(pk=recorded.visit.pk)
        return Response(VisitSerializer(visit).data,
                        status=status.HTTP_201_CREATED if recorded.created else status.HTTP_200_OK)


@extend_schema(tags=["field"], request=PatrolPointsSerializer, responses={200: PatrolBatchSerializer, **ERRORS})
class PatrolPointsView(APIView):
    """Add a batch of positions to my patrol (created with its first batch). A batch sent again adds
    nothing (``added`` 0): positions are unique per moment."""

    permission_classes = [permissions.IsAuthenticated]

    def post(self, request):
        data = PatrolPointsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = services.patrol_points_add(officer=request.user, **data.validated_data)
        return Response(PatrolBatchSerializer(batch).data)


@extend_schema(tags=["field"], parameters=[CoverageQuery], responses={200: inline_serializer("FieldCoverage", {
    "day": serializers.DateField(), "grids": WalkedGridSerializer(many=True)}), **ERRORS})
class CoverageView(APIView):
    """Which grids of my area were walked on a day (default: today): every grid, ``walked`` or not."""

    permission_classes = [permissions.IsAuthenticated, SeesCoverage]

    def get(self, request):
        query = CoverageQuery(data=request.query_params)
        if not query.is_valid():
            name, messages = next(iter(query.errors.items()))
            raise ValidationError({"detail": f"{name}: {messages[0]}", "field": name})
        day = query.validated_data.get("day") or timezone.localdate()
        grids = selectors.grids_walked(request.user, day)
        return Response({"day": day, "grids": WalkedGridSerializer(grids, many=True).data})


@extend_schema(tags=["field"], responses={200: SuggestionSerializer(many=True), **ERRORS})
class SuggestionsView(generics.ListAPIView):
    """Suggestions raised on visits in my community (a grid officer: my grid), latest first."""

    permission_classes = [permissions.IsAuthenticated, WorksInGrids]
    serializer_class = SuggestionSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.suggestions_for(self.request.user)
