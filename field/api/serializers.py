"""The field API's shapes: input checked here (400 with the field), rules in ``field.services``."""
import datetime
import json

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from grids.api.serializers import CoordSysField
from grids.coords import to_wgs84
from grids.models import BuildingUnit
from issues.api.serializers import PhotosField
from issues.models import Category

from ..models import ConcernKind
from ..services import Concern, PointIn


# Places ------------------------------------------------------------------------------------------

# No record of the field app is older than this: earlier moments are a phone's clock gone wrong.
EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


class MomentField(serializers.DateTimeField):
    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if moment < EARLIEST:
            raise serializers.ValidationError(_("Give a moment of this century."))
        return moment


@extend_schema_field(inline_serializer("CentreHousehold", {"name": serializers.CharField(),
                                                           "phone": serializers.CharField()}))
class CentreHouseholdField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, place):
        return {"name": place.centre_household_name, "phone": place.centre_household_phone}


class UnitSerializer(serializers.ModelSerializer):
    centre_household = CentreHouseholdField()

    class Meta:
        model = BuildingUnit
        fields = ["id", "number", "households", "floors", "centre_household"]


class BuildingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    grid = serializers.CharField(source="grid_code")
    number = serializers.CharField()
    address = serializers.CharField()
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    centre_household = CentreHouseholdField()
    units = UnitSerializer(many=True)


class PlanRowSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="id")
    building = serializers.CharField(source="building.number")
    address = serializers.CharField(source="building.address")
    number = serializers.CharField()
    households = serializers.IntegerField()
    households_visited = serializers.IntegerField()
    last_visited = serializers.DateTimeField(allow_null=True)


# Visits ------------------------------------------------------------------------------------------

class ConcernOutSerializer(serializers.Serializer):
    kind = serializers.CharField()
    text = serializers.CharField()
    category = serializers.CharField(source="category.code", allow_null=True, default=None)
    issue = serializers.CharField(source="issue_number", allow_null=True, default=None,
                                  help_text="tracking number of the whistle filed")


class VisitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    unit = serializers.IntegerField(source="unit_id")
    building = serializers.CharField(source="unit.building.number")
    address = serializers.CharField(source="unit.building.address")
    unit_number = serializers.CharField(source="unit.number")
    room = serializers.CharField()
    visited_at = MomentField()
    resident_name = serializers.CharField()
    raised = serializers.CharField()
    concerns = ConcernOutSerializer(many=True)
    issues = serializers.SerializerMethodField(help_text="tracking numbers of the whistles filed")

    def get_issues(self, visit) -> list[str]:
        return [concern.issue_number for concern in visit.concerns.all() if concern.issue_number]


@extend_schema_field(OpenApiTypes.STR)
class ConcernsField(serializers.Field):
    """The concerns raised, as a JSON string (multipart) or a list (JSON):
    ``[{"kind": "whistle"|"suggestion", "text": "…", "category": "<category code>"}]``."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else []
            except ValueError:
                raise serializers.ValidationError(_("Give the concerns as a JSON list.")) from None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise serializers.ValidationError(_("Give the concerns as a JSON list of objects."))
        codes = {item.get("category") for item in data if item.get("category")}
        if not all(isinstance(code, str) and "\x00" not in code for code in codes):
            raise serializers.ValidationError(_("A category is named by its code."))
        categories = {category.code: category for category in Category.objects.filter(code__in=codes)}
        concerns = []
        for item in data:
            kind, text, code = item.get("kind"), item.get("text"), item.get("category") or None
            if kind not in ConcernKind.values:
                raise serializers.ValidationError(_("A concern is a whistle or a suggestion."))
            if not isinstance(text, str):
                raise serializers.ValidationError(_("Say what was raised."))
            if "\x00" in text:  # PostgreSQL stores no NUL character
                raise serializers.ValidationError(_("Null characters are not allowed."))
            if code is not None and code not in categories:
                raise serializers.ValidationError(_("Unknown category: %(code)s.") % {"code": code})
            concerns.append(Concern(kind=kind, text=text, category=categories.get(code)))
        return concerns

    def to_representation(self, value):
        return value


class VisitCreateSerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=BuildingUnit.objects.select_related("building"))
    room = serializers.CharField(max_length=16)
    visited_at = MomentField()
    resident_name = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)
    raised = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    concerns = ConcernsField(required=False, default=list)
    photos = PhotosField(required=False, default=list)


# Patrols -----------------------------------------------------------------------------------------

class PointSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    at = MomentField()
    accuracy = serializers.FloatField(min_value=0, required=False, allow_null=True, default=None)


class PatrolPointsSerializer(serializers.Serializer):
    patrol = serializers.UUIDField(help_text="the track's id, made by the phone")
    coord_sys = CoordSysField()
    points = PointSerializer(many=True, allow_empty=False)

    def validate(self, attrs):
        # Tracks are stored in WGS-84: a GCJ-02 phone's positions are converted first.
        coord_sys = attrs.pop("coord_sys")
        attrs["points"] = [
            PointIn(at=point["at"], lat=lat, lng=lng, accuracy=point["accuracy"])
            for point in attrs["points"] for lat, lng in [to_wgs84(point["lat"], point["lng"], coord_sys)]
        ]
        return attrs


class PatrolBatchSerializer(serializers.Serializer):
    patrol = serializers.UUIDField(source="track.uuid")
    added = serializers.IntegerField()
    started_at = serializers.DateTimeField(source="track.started_at")
    ended_at = serializers.DateTimeField(source="track.ended_at")
    distance_m = serializers.FloatField(source="track.distance_m")
    grids = serializers.ListField(child=serializers.CharField(), help_text="codes of the grids walked")


# Coverage ----------------------------------------------------------------------------------------

class CoverageQuery(serializers.Serializer):
    day = serializers.DateField(required=False, help_text="local day (YYYY-MM-DD); default: today")


class WalkedGridSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    community = serializers.CharField()
    community_name = serializers.CharField()
    walked = serializers.BooleanField()
    officers = serializers.IntegerField()
    points = serializers.IntegerField()
    first_at = serializers.DateTimeField(allow_null=True)
    last_at = serializers.DateTimeField(allow_null=True)


class SuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    category = serializers.CharField(source="category.code", allow_null=True, default=None)
    visited_at = serializers.DateTimeField(source="visit.visited_at")
    address = serializers.CharField(source="visit.unit.building.address")
    unit = serializers.CharField(source="visit.unit.number")
    room = serializers.CharField(source="visit.room")
    resident_name = serializers.CharField(source="visit.resident_name")
