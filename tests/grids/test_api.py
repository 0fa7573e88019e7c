"""The areas API under /api/v1/: locate, the GeoJSON layer, lists and details, and /me/."""
import gzip
import json

import pytest
from django.test import Client

from grids.boundaries import to_geojson, to_shape
from grids.models import Grid

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return Client()


def first_grid():
    return Grid.objects.select_related("community__street").order_by("code").first()


def test_locate_answers_with_grid_community_and_street(api):
    grid = first_grid()
    point = to_shape(grid.boundary).representative_point()
    response = api.get("/api/v1/grids/locate/", {"lat": point.y, "lng": point.x})
    assert response.status_code == 200
    assert response.json() == {
        "grid": {"code": grid.code, "name": grid.name},
        "community": {"code": grid.community.code, "name": grid.community.name},
        "street": {"code": grid.community.street.code, "name": grid.community.street.name},
    }


def test_locate_outside_the_district_is_a_404_with_a_message(api):
    response = api.get("/api/v1/grids/locate/", {"lat": "45.75", "lng": "126.63"})  # Harbin
    assert response.status_code == 404
    assert "45.75" in response.json()["detail"]


@pytest.mark.parametrize(
    "query, word",
    [({}, "lat"), ({"lat": "47.35"}, "lng"), ({"lat": "abc", "lng": "123.95"}, "lat"),
     ({"lat": "47.35", "lng": "999"}, "lng"), ({"lat": "47,35", "lng": "123.95"}, "lat")],
)
def test_locate_with_missing_or_malformed_coordinates_is_a_400_naming_the_coordinate(api, query, word):
    response = api.get("/api/v1/grids/locate/", query)
    assert response.status_code == 400
    assert word in response.json()["detail"]


def test_the_geojson_layer_has_every_grid_and_can_be_revalidated(api):
    response = api.get("/api/v1/grids/geojson/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    body = gzip.decompress(response.content) if response.get("Content-Encoding") == "gzip" else response.content
    layer = json.loads(body)
    assert layer["type"] == "FeatureCollection"
    assert len(layer["features"]) == 840
    feature = layer["features"][0]
    assert set(feature["properties"]) == {"code", "name", "community", "street", "community_code", "street_code"}
    assert feature["properties"]["street"] == "中华街道"
    grid = Grid.objects.select_related("community__street").get(code=feature["properties"]["code"])
    assert (feature["properties"]["community_code"], feature["properties"]["street_code"]) == (
        grid.community.code, grid.community.street.code)
    assert feature["geometry"]["type"] == "Polygon"
    etag = response["ETag"]
    again = api.get("/api/v1/grids/geojson/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""


def test_the_geojson_etag_changes_when_a_boundary_changes(api, django_capture_on_commit_callbacks):
    etag = api.get("/api/v1/grids/geojson/")["ETag"]
    grid = first_grid()
    shape = to_shape(grid.boundary)
    grid.boundary = to_geojson(shape.buffer(-1e-5))
    grid.save()
    response = api.get("/api/v1/grids/geojson/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    changed = next(f for f in json.loads(response.content)["features"] if f["id"] == grid.code)
    assert to_shape(changed["geometry"]).area < shape.area


def test_area_lists_and_details(api, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        streets = api.get("/api/v1/streets/").json()
    assert streets["count"] == 5
    assert {s["name"]: s["community_count"] for s in streets["results"]}["文化街道"] == 6
    with django_assert_max_num_queries(3):
        communities = api.get("/api/v1/communities/", {"street": "230203004"}).json()
    assert communities["count"] == 7
    assert all(c["street"]["name"] == "西大桥街道" for c in communities["results"])
    with django_assert_max_num_queries(3):
        grids = api.get("/api/v1/grids/", {"page_size": 200}).json()
    assert grids["count"] == 840 and len(grids["results"]) == 200
    assert all(g["officer_count"] >= 1 and g["leader"] for g in grids["results"])
    assert "boundary" not in grids["results"][0]

    grid = first_grid()
    detail = api.get(f"/api/v1/grids/{grid.code}/").json()
    assert detail["boundary"]["type"] == "Polygon"
    assert detail["community"]["code"] == grid.community.code
    assert api.get(f"/api/v1/communities/{grid.community.code}/").json()["grid_count"] == grid.community.grids.count()
    assert api.get("/api/v1/streets/230203002/").json()["boundary"]["type"] in {"Polygon", "MultiPolygon"}
    assert api.get("/api/v1/grids/999/").status_code == 404
    by_community = api.get("/api/v1/grids/", {"community": grid.community.code}).json()
    assert by_community["count"] == grid.community.grids.count()
    assert api.get("/api/v1/grids/", {"search": "东市场社区第1网格"}).json()["count"] == 1


def test_departments(api, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        departments = api.get("/api/v1/departments/").json()
    assert departments["count"] == 11
    assert api.get("/api/v1/departments/traffic-police/").json()["short_name"] == "交警"


@pytest.mark.parametrize(
    "username, level, name",
    [
        ("grid_officer", "grid", "东市场社区第1网格"),
        ("community_staff", "community", "东市场社区"),
        ("street_staff", "street", "中华街道"),
        ("command_centre", "district", "建华区"),
        ("department_staff", "department", "建华区城市管理局"),
        ("leader", "district", "建华区"),
        ("inspector", "district", "建华区"),
        ("admin", "district", "建华区"),
    ],
)
def test_me_tells_role_and_the_area_served(signed_in, username, level, name):
    from grids.models import User

    user = User.objects.get(username=username)
    me = signed_in(user).get("/api/v1/me/").json()
    assert me["username"] == username
    assert me["role"] == user.role
    assert me["area"]["level"] == level
    assert me["area"]["name"] == name
    assert me["area"]["code"] == user.area.code


def test_me_for_a_resident_has_no_area_and_anonymous_is_refused(signed_in, resident, api):
    assert signed_in(resident).get("/api/v1/me/").json()["area"] is None
    refused = api.get("/api/v1/me/")
    assert refused.status_code in (401, 403)
    assert refused.json()["detail"]


def test_the_openapi_schema_and_docs_page(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for path in ["/api/v1/grids/locate/", "/api/v1/grids/geojson/", "/api/v1/streets/", "/api/v1/communities/",
                 "/api/v1/grids/", "/api/v1/departments/", "/api/v1/me/"]:
        assert path in schema["paths"], path
    parameters = {p["name"] for p in schema["paths"]["/api/v1/grids/locate/"]["get"]["parameters"]}
    assert {"lat", "lng"} <= parameters
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()
