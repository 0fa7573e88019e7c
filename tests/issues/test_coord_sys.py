"""coord_sys on the API: a GCJ-02 point (WeChat's wx.getLocation, Amap) locates to the grid it names and
files there, stored as WGS-84; sent as if it were WGS-84 it would land ~550 m off, in another grid."""
import json
import math

import pytest
from rest_framework.test import APIClient

from grids.boundaries import to_shape
from grids.coords import wgs84_to_gcj02
from grids.models import Grid
from issues.models import Issue

pytestmark = pytest.mark.django_db


def metres(lat1, lng1, lat2, lng2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2)
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


@pytest.fixture
def sample_grids(demo_district):
    """Every 42nd of the 840 demo grids by code (20 grids across all streets), each with a WGS-84
    point inside it and that point's GCJ-02."""
    sample = []
    for grid in list(Grid.objects.order_by("code"))[::42]:
        point = to_shape(grid.boundary).representative_point()
        sample.append((grid, (point.y, point.x), wgs84_to_gcj02(point.y, point.x)))
    assert len(sample) == 20
    return sample


def locate(lat, lng, **extra):
    return APIClient().get("/api/v1/grids/locate/", {"lat": lat, "lng": lng, **extra})


def test_a_gcj02_point_locates_to_its_grid_and_as_wgs84_it_would_miss(sample_grids):
    missed = 0
    for grid, _wgs, (gcj_lat, gcj_lng) in sample_grids:
        found = locate(gcj_lat, gcj_lng, coord_sys="gcj02")
        assert found.status_code == 200 and found.json()["grid"]["code"] == grid.code
        taken_as_wgs = locate(gcj_lat, gcj_lng)
        if taken_as_wgs.status_code == 404 or taken_as_wgs.json()["grid"]["code"] != grid.code:
            missed += 1
    assert missed >= 15, f"only {missed} of 20 GCJ-02 points sent as WGS-84 landed in another grid"


def test_wgs84_is_the_default_and_can_be_named(sample_grids):
    grid, (lat, lng), _gcj = sample_grids[0]
    assert locate(lat, lng).json()["grid"]["code"] == grid.code
    assert locate(lat, lng, coord_sys="wgs84").json()["grid"]["code"] == grid.code


@pytest.mark.parametrize("bogus", ["bogus", "GCJ02", "bd09", ""])
def test_an_unknown_coord_sys_is_a_400_that_names_the_known_ones(sample_grids, bogus):
    _grid, (lat, lng), _gcj = sample_grids[0]
    refused = locate(lat, lng, coord_sys=bogus)
    assert refused.status_code == 400
    assert "wgs84" in refused.json()["detail"] and "gcj02" in refused.json()["detail"]


def test_a_whistle_filed_with_a_gcj02_point_lands_in_its_grid_stored_as_wgs84(sample_grids, resident, categories):
    client = APIClient()
    client.force_authenticate(resident)
    for number, (grid, (lat, lng), (gcj_lat, gcj_lng)) in enumerate(sample_grids):
        response = client.post("/api/v1/issues/", {
            "title": "路灯不亮", "description": "小区门口的路灯坏了一周。", "category": "garbage",
            "lat": gcj_lat, "lng": gcj_lng, "coord_sys": "gcj02",
        }, format="json", HTTP_IDEMPOTENCY_KEY=f"gcj-{number}")
        assert response.status_code == 201, response.json()
        issue = Issue.objects.select_related("grid").get(number=response.json()["number"])
        assert issue.grid.code == grid.code
        assert metres(issue.lat, issue.lng, lat, lng) < 1
        assert response.json()["lat"] == pytest.approx(issue.lat)


def test_filing_with_an_unknown_coord_sys_is_a_400_on_that_field(sample_grids, resident, categories):
    _grid, (lat, lng), _gcj = sample_grids[0]
    client = APIClient()
    client.force_authenticate(resident)
    before = Issue.objects.count()
    refused = client.post("/api/v1/issues/", {
        "title": "路灯不亮", "description": "小区门口的路灯坏了一周。", "category": "garbage",
        "lat": lat, "lng": lng, "coord_sys": "bogus",
    }, format="json")
    assert refused.status_code == 400
    message = " ".join(refused.json()["coord_sys"])
    assert "bogus" in message and "wgs84" in message and "gcj02" in message
    assert Issue.objects.count() == before


def test_the_api_schema_documents_coord_sys(client):
    schema = json.loads(client.get("/api/schema/", {"format": "json"}).content)
    locate_parameters = {p["name"]: p for p in schema["paths"]["/api/v1/grids/locate/"]["get"]["parameters"]}
    assert locate_parameters["coord_sys"]["schema"]["enum"] == ["gcj02", "wgs84"]
    filing = schema["components"]["schemas"]["IssueCreateRequest"]["properties"]
    assert "coord_sys" in filing
    assert schema["components"]["schemas"]["CoordSysEnum"]["enum"] == ["wgs84", "gcj02"]
