"""The demo district as seed_demo loads it: the seed article's figures, a gap-free tiling, nesting areas."""
import io

import numpy
import pytest
import shapely
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from grids.boundaries import area_m2, to_shape
from grids.locate import grid_locate
from grids.models import (
    Community,
    Department,
    District,
    Grid,
    GridDuty,
    Role,
    Street,
    User,
)

pytestmark = pytest.mark.django_db



def sign_in_request():
    """What django-axes needs to count an attempt: the request it came with (the sign-in page's)."""
    return RequestFactory().post("/accounts/login/")

def test_the_district_has_the_seed_articles_areas():
    assert District.objects.get().name == "建华区"
    assert dict(Street.objects.values_list("code", "name")) == {
        "230203002": "中华街道",
        "230203004": "西大桥街道",
        "230203005": "卜奎街道",
        "230203006": "建设街道",
        "230203007": "文化街道",
    }
    assert Community.objects.count() == 34
    assert Grid.objects.count() == 840
    known = {"东市场社区", "东盛社区", "亨达社区", "名人社区", "解放门回民社区", "王仔花苑社区", "高炉一社区", "北民强社区",
             "浏园社区", "安居社区"}
    assert known <= set(Community.objects.values_list("name", flat=True))
    assert Community.objects.get(name="亨达社区").street.name == "西大桥街道"
    assert set(Department.objects.values_list("short_name", flat=True)) == {
        "城管", "住建", "教育", "卫健", "市监", "人社", "民政", "信访", "应急", "交警", "公安"}


def test_every_grid_has_staff_and_the_district_has_4000_information_officers():
    grids_without_leader = Grid.objects.exclude(staff__grid_duty=GridDuty.LEADER)
    assert not grids_without_leader.exists()
    assert User.objects.filter(role=Role.GRID_OFFICER, grid_duty=GridDuty.INFORMATION_OFFICER).count() >= 4000
    assert sum(Grid.objects.values_list("population", flat=True)) == District.objects.get().population == 230_000


def grid_shapes():
    return {code: to_shape(boundary) for code, boundary in Grid.objects.values_list("code", "boundary")}


def test_a_point_inside_each_of_the_840_grids_locates_to_that_grid():
    shapes = grid_shapes()
    located = {code: grid_locate(lat=shape.representative_point().y, lng=shape.representative_point().x).grid_code
               for code, shape in shapes.items()}
    wrong = {code: found for code, found in located.items() if code != found}
    assert len(located) == 840
    assert wrong == {}


def test_grids_tile_the_district_without_gaps_or_overlaps():
    shapes = list(grid_shapes().values())
    assert all(shape.is_valid and shape.geom_type == "Polygon" for shape in shapes)
    district = to_shape(District.objects.get().boundary)
    total = sum(area_m2(shape) for shape in shapes)
    # About 81 km² around the district seat.
    assert 80e6 < area_m2(district) < 82e6
    assert district.centroid.y == pytest.approx(47.35, abs=0.02)
    assert district.centroid.x == pytest.approx(123.95, abs=0.02)
    # The areas add up: no overlap (the sum would exceed the union) and no gap (the union would miss area).
    union = shapely.union_all(numpy.array(shapes, dtype=object))
    assert total == pytest.approx(area_m2(district), rel=1e-9)
    assert area_m2(union.symmetric_difference(district)) < 1.0
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    pairs = [(a, b) for a, b in zip(left, right) if a < b]
    assert len(pairs) > 2000  # neighbours touch along shared edges...
    overlaps = [area_m2(shapes[a].intersection(shapes[b])) for a, b in pairs]
    assert max(overlaps) < 0.01  # ...and never overlap (square metres)


def test_areas_nest_grid_in_community_in_street_in_district():
    district = to_shape(District.objects.get().boundary)
    streets = {street.pk: to_shape(street.boundary) for street in Street.objects.all()}
    communities = {c.pk: (to_shape(c.boundary), c.street_id) for c in Community.objects.all()}
    for street in streets.values():
        assert area_m2(street.difference(district)) < 1.0
    for community, street_id in communities.values():
        assert area_m2(community.difference(streets[street_id])) < 1.0
    for boundary, community_id in Grid.objects.values_list("boundary", "community_id"):
        assert area_m2(to_shape(boundary).difference(communities[community_id][0])) < 1.0
    assert sum(area_m2(s) for s in streets.values()) == pytest.approx(area_m2(district), rel=1e-9)


def test_demo_accounts_serve_areas_that_nest(grid_officer, community_staff, street_staff, department_staff, grid_admin):
    assert grid_officer.grid.community == community_staff.community
    assert community_staff.community.street == street_staff.street
    assert department_staff.department.short_name == "城管"
    assert grid_admin.is_superuser and grid_admin.is_staff
    roles = dict(User.objects.filter(username__in=[
        "resident", "resident2", "grid_officer", "community_staff", "street_staff", "command_centre",
        "department_staff", "leader", "inspector", "admin"]).values_list("username", "role"))
    assert roles == {
        "resident": "resident", "resident2": "resident", "grid_officer": "grid_officer",
        "community_staff": "community_staff", "street_staff": "street_staff", "command_centre": "command_centre",
        "department_staff": "department_staff", "leader": "leader", "inspector": "inspector", "admin": "admin",
    }
    for user in User.objects.filter(username__in=roles):
        user.full_clean()  # each role serves exactly the kind of area it should


def test_seed_demo_is_idempotent_and_sets_the_password_it_prints():
    def counts():
        return [model.objects.count() for model in (District, Street, Community, Grid, Department, User)]

    before = counts()
    boundaries = dict(Grid.objects.values_list("code", "boundary"))
    out = io.StringIO()
    call_command("seed_demo", "--password", "another-secret-9", stdout=out)
    assert counts() == before
    assert dict(Grid.objects.values_list("code", "boundary")) == boundaries
    assert "another-secret-9" in out.getvalue()
    assert "840" in out.getvalue()  # progress and summary
    assert authenticate(sign_in_request(), username="street_staff", password="another-secret-9") is not None
    assert authenticate(sign_in_request(), username="street_staff", password="test-password-1") is None


def test_seed_demo_takes_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-env-7")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "from-the-env-7" in out.getvalue()
    assert authenticate(sign_in_request(), username="leader", password="from-the-env-7") is not None
