import hashlib
import json
import logging

from django.core.cache import cache
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.gzip import gzip_page
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from ..boundaries import to_geojson, to_shape
from ..coords import CoordSys, to_wgs84
from ..locate import OutsideDistrict, grid_locate, parse_coordinates
from ..models import BoundaryRevision, Community, Grid
from .serializers import (
    COORD_SYS_HELP,
    CommunityDetailSerializer,
    CommunitySerializer,
    DepartmentSerializer,
    ErrorSerializer,
    GridDetailSerializer,
    GridSerializer,
    LocationSerializer,
    MeSerializer,
    StreetDetailSerializer,
    StreetSerializer,
)

logger = logging.getLogger(__name__)

AREA_CODE = r"[0-9]+"


class ListDetailViewSet(viewsets.ReadOnlyModelViewSet):
    """A read-only area endpoint: a light list, and the detail with the boundary."""

    lookup_field = "code"
    lookup_value_regex = AREA_CODE
    detail_serializer_class = None

    def get_serializer_class(self):
        return self.detail_serializer_class if self.action == "retrieve" else self.serializer_class


@extend_schema(tags=["areas"])
class StreetViewSet(ListDetailViewSet):
    queryset = selectors.street_list().defer("boundary")
    serializer_class = StreetSerializer
    detail_serializer_class = StreetDetailSerializer
    search_fields = ["code", "name"]

    def get_queryset(self):
        return selectors.street_list() if self.action == "retrieve" else super().get_queryset()


class CommunityFilter(filters.FilterSet):
    street = filters.CharFilter(field_name="street__code", help_text="street code")

    class Meta:
        model = Community
        fields = ["street"]


@extend_schema(tags=["areas"])
class CommunityViewSet(ListDetailViewSet):
    queryset = selectors.community_list().defer("boundary")
    serializer_class = CommunitySerializer
    detail_serializer_class = CommunityDetailSerializer
    filterset_class = CommunityFilter
    search_fields = ["code", "name"]

    def get_queryset(self):
        return selectors.community_list() if self.action == "retrieve" else super().get_queryset()


class GridFilter(filters.FilterSet):
    community = filters.CharFilter(field_name="community__code", help_text="community code")
    street = filters.CharFilter(field_name="community__street__code", help_text="street code")

    class Meta:
        model = Grid
        fields = ["community", "street"]


@extend_schema(tags=["areas"])
class GridViewSet(ListDetailViewSet):
    queryset = selectors.grid_list().defer("boundary")
    serializer_class = GridSerializer
    detail_serializer_class = GridDetailSerializer
    filterset_class = GridFilter
    search_fields = ["code", "name"]

    def get_queryset(self):
        return selectors.grid_list() if self.action == "retrieve" else super().get_queryset()

    @extend_schema(
        summary="Which grid contains a point",
        parameters=[
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True, description="latitude, in coord_sys"),
            OpenApiParameter("lng", OpenApiTypes.DOUBLE, required=True, description="longitude, in coord_sys"),
            OpenApiParameter("coord_sys", str, enum=CoordSys.values, default=CoordSys.WGS84.value,
                             description=COORD_SYS_HELP),
        ],
        responses={
            200: LocationSerializer,
            400: OpenApiResponse(ErrorSerializer, description="missing or malformed coordinates, or an unknown coord_sys"),
            404: OpenApiResponse(ErrorSerializer, description="the point is outside the district"),
        },
    )
    @action(detail=False, filter_backends=[], pagination_class=None)
    def locate(self, request):
        try:
            lat, lng = parse_coordinates(request.query_params.get("lat"), request.query_params.get("lng"))
            lat, lng = to_wgs84(lat, lng, request.query_params.get("coord_sys", CoordSys.WGS84))
        except ValueError as exc:  # UnknownCoordSys too
            return Response({"detail": str(exc)}, status=400)
        try:
            location = grid_locate(lat=lat, lng=lng)
        except OutsideDistrict as exc:
            return Response({"detail": str(exc)}, status=404)
        return Response(LocationSerializer.from_location(location))

    @extend_schema(
        summary="All grids as a GeoJSON FeatureCollection (cacheable; send If-None-Match)",
        responses={(200, "application/geo+json"): OpenApiTypes.OBJECT, 304: None},
    )
    @method_decorator(gzip_page)
    @action(detail=False, filter_backends=[], pagination_class=None)
    def geojson(self, request):
        revision = BoundaryRevision.current()
        # The layer's shape is part of the tag: a release that adds a property is not served from an old cache.
        etag = '"grids-%s-%s"' % (LAYER_VERSION, hashlib.sha1(repr(revision).encode()).hexdigest()[:16])
        headers = {"ETag": etag, "Cache-Control": "public, max-age=0, must-revalidate"}
        if etag in request.headers.get("If-None-Match", ""):
            return HttpResponse(status=304, headers=headers)
        key = f"grids:geojson:{etag}"
        try:
            body = cache.get(key)
            if body is None:
                body = _feature_collection()
                cache.set(key, body, timeout=24 * 3600)
        except Exception as error:  # noqa: BLE001 - the cache (Redis) is down: build the layer, no 500
            logger.warning("Grid layer built without the cache: %s: %s", type(error).__name__, error)
            body = _feature_collection()
        return HttpResponse(body, content_type="application/geo+json", headers=headers)


LAYER_VERSION = 2  # 2: community_code and street_code in each feature's properties


def _feature_collection() -> bytes:
    features = [
        {
            "type": "Feature",
            "id": code,
            "properties": {"code": code, "name": name, "community": community, "street": street,
                           "community_code": community_code, "street_code": street_code},
            "geometry": to_geojson(to_shape(boundary), precision=6),
        }
        for code, name, community, street, community_code, street_code, boundary in selectors.grids_geojson_rows()
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":")).encode()


@extend_schema(tags=["areas"])
class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = selectors.department_list()
    serializer_class = DepartmentSerializer
    lookup_field = "code"
    search_fields = ["code", "name", "short_name"]


@extend_schema(tags=["accounts"], responses={200: MeSerializer, 403: ErrorSerializer})
class MeView(APIView):
    """The signed-in account: role and the area or department it serves."""

    permission_classes = [permissions.IsAuthenticated]

    def get(self, request):
        return Response(MeSerializer(request.user).data)
