from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..coords import CoordSys, coord_sys_parse
from ..models import Community, Department, Grid, Street

COORD_SYS_HELP = ("the coordinate system of lat/lng: wgs84 (GPS, OpenStreetMap, Tianditu; the default) or gcj02 "
                  "(Amap, Tencent, WeChat's wx.getLocation type 'gcj02'); the server converts to WGS-84 and stores that")


class AreaRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class StreetSerializer(serializers.ModelSerializer):
    district = AreaRefSerializer()
    community_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Street
        fields = ["code", "name", "district", "community_count"]


class StreetDetailSerializer(StreetSerializer):
    class Meta(StreetSerializer.Meta):
        fields = StreetSerializer.Meta.fields + ["boundary"]


class CommunitySerializer(serializers.ModelSerializer):
    street = AreaRefSerializer()
    grid_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Community
        fields = ["code", "name", "street", "grid_count"]


class CommunityDetailSerializer(CommunitySerializer):
    class Meta(CommunitySerializer.Meta):
        fields = CommunitySerializer.Meta.fields + ["boundary"]


class GridSerializer(serializers.ModelSerializer):
    community = AreaRefSerializer()
    street = AreaRefSerializer(source="community.street")
    officer_count = serializers.IntegerField(read_only=True)
    leader = serializers.CharField(source="leader_name", read_only=True, allow_null=True)

    class Meta:
        model = Grid
        fields = ["code", "name", "community", "street", "population", "households", "officer_count", "leader"]


class GridDetailSerializer(GridSerializer):
    class Meta(GridSerializer.Meta):
        fields = GridSerializer.Meta.fields + ["boundary"]


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name", "short_name", "duties", "commitment", "phone"]


class LocationSerializer(serializers.Serializer):
    grid = AreaRefSerializer()
    community = AreaRefSerializer()
    street = AreaRefSerializer()

    @staticmethod
    def from_location(location):
        return {
            "grid": {"code": location.grid_code, "name": location.grid_name},
            "community": {"code": location.community_code, "name": location.community_name},
            "street": {"code": location.street_code, "name": location.street_name},
        }


class ServedAreaSerializer(serializers.Serializer):
    level = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    role = serializers.CharField()
    role_display = serializers.CharField(source="get_role_display")
    area = serializers.SerializerMethodField()

    @extend_schema_field(ServedAreaSerializer(allow_null=True))
    def get_area(self, user):
        area = user.area
        if area is None:
            return None
        return {"level": user.level, "code": area.code, "name": area.name}


class CoordSysField(serializers.ChoiceField):
    """``coord_sys`` of a point a client sends; an unknown one is refused naming the known ones."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", CoordSys.WGS84.value)
        kwargs.setdefault("help_text", COORD_SYS_HELP)
        super().__init__(CoordSys.choices, **kwargs)

    def to_internal_value(self, data):
        try:
            return coord_sys_parse(data)
        except ValueError as unknown:
            raise serializers.ValidationError(str(unknown)) from None


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
