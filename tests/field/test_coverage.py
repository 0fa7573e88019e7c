"""Patrol coverage (which grids were walked on a day, for the community) and households visited per grid
on the dashboard."""
import datetime
import uuid

import pytest
from django.utils import timezone

from field import services
from grids.boundaries import to_shape
from grids.models import Grid

from .places import other_grid, unit_in_officers_grid, unit_in_other_grid  # noqa: F401 (fixtures)

API = "/api/v1/field/coverage/"
PAGE = "/field/coverage/"


def patrol(officer, grid, *, when=None):
    point = to_shape(grid.boundary).representative_point()
    when = when or timezone.now() - datetime.timedelta(minutes=5)
    points = [services.PointIn(at=when + datetime.timedelta(minutes=i), lat=point.y, lng=point.x + i * 1e-4,
                               accuracy=8.0) for i in range(3)]
    return services.patrol_points_add(officer=officer, patrol=uuid.uuid4(), points=points)


def test_the_community_sees_which_of_its_grids_were_walked_today(community_staff, grid_officer, signed_in,
                                                                 django_assert_num_queries):
    client = signed_in(community_staff)
    with django_assert_num_queries(4):  # session, user, grids, grids walked
        before = client.get(API).json()
    patrol(grid_officer, grid_officer.grid)
    patrol(grid_officer, grid_officer.grid)  # a second patrol the same day: still one grid, one officer
    with django_assert_num_queries(4):
        after = client.get(API).json()
    codes = set(Grid.objects.filter(community=community_staff.community).values_list("code", flat=True))
    assert {g["code"] for g in after["grids"]} == codes and len(codes) > 1
    assert not any(g["walked"] for g in before["grids"])
    walked = [g for g in after["grids"] if g["walked"]]
    assert [(g["code"], g["officers"], g["points"]) for g in walked] == [(grid_officer.grid.code, 1, 6)]
    assert after["day"] == timezone.localdate().isoformat()


def test_another_day_shows_that_days_walks(community_staff, grid_officer, signed_in):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    noon = timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(12)))
    patrol(grid_officer, grid_officer.grid, when=noon)
    client = signed_in(community_staff)
    assert not any(g["walked"] for g in client.get(API).json()["grids"])
    answer = client.get(API, {"day": yesterday.isoformat()}).json()
    assert [g["code"] for g in answer["grids"] if g["walked"]] == [grid_officer.grid.code]


@pytest.mark.parametrize("who, grids", [
    ("grid_officer", "grid"), ("community_staff", "community"), ("street_staff", "street"),
    ("command_centre", "district"), ("district_leader", "district"),
])
def test_each_sees_the_grids_of_their_own_area(request, who, grids, signed_in, grid_officer):
    person = request.getfixturevalue(who)
    answer = signed_in(person).get(API)
    assert answer.status_code == 200
    expected = {"grid": Grid.objects.filter(pk=grid_officer.grid_id),
                "community": Grid.objects.filter(community=grid_officer.grid.community),
                "street": Grid.objects.filter(community__street=grid_officer.grid.community.street),
                "district": Grid.objects.all()}[grids]
    assert len(answer.json()["grids"]) == expected.count()


@pytest.mark.parametrize("who", ["resident", "department_staff"])
def test_coverage_is_refused_to_who_serves_no_area(db, request, who, signed_in):
    client = signed_in(request.getfixturevalue(who))
    assert client.get(API).status_code == 403
    assert client.get(PAGE).status_code == 403


def test_a_bad_day_is_a_400(community_staff, signed_in):
    client = signed_in(community_staff)
    answer = client.get(API, {"day": "2026-13-40"})
    assert answer.status_code == 400 and answer.json()["field"] == "day"
    assert client.get(PAGE, {"day": "someday"}).status_code == 400


def test_the_coverage_page_lists_the_grids_walked(community_staff, grid_officer, signed_in,
                                                  django_assert_num_queries):
    patrol(grid_officer, grid_officer.grid)
    client = signed_in(community_staff)
    with django_assert_num_queries(5):  # session, user, grids, grids walked, the community's name
        page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    total = Grid.objects.filter(community=community_staff.community).count()
    assert f'data-walked="1" data-grids="{total}"' in html
    assert f'data-grid="{grid_officer.grid.code}" data-walked="1"' in html
    assert html.count('data-walked="0"') == total - 1
    assert "field/coverage.js" in html


def test_signed_out_the_coverage_page_asks_to_sign_in(client):
    answer = client.get(PAGE)
    assert answer.status_code == 302 and "login" in answer["Location"]


# The dashboard: households visited per grid -----------------------------------------------------

MAP = "/api/v1/stats/map/"


def visit(officer, unit, room, *, days_ago=0):
    services.visit_record(officer=officer, unit=unit, room=room,
                          visited_at=timezone.now() - datetime.timedelta(days=days_ago))


def test_the_dashboard_map_counts_households_visited_per_grid(community_staff, grid_officer, signed_in,
                                                              unit_in_officers_grid, unit_in_other_grid,
                                                              django_assert_num_queries):
    client = signed_in(community_staff)
    params = {"level": "grid", "measure": "households_visited", "start": timezone.localdate().isoformat()}
    with django_assert_num_queries(4):  # session, user, grids with households, households visited
        empty = client.get(MAP, params).json()
    for room in ("101", "102", "101"):  # the same door twice is one household
        visit(grid_officer, unit_in_officers_grid, room)
    visit(community_staff, unit_in_other_grid, "201")
    visit(grid_officer, unit_in_officers_grid, "301", days_ago=40)  # before the period
    with django_assert_num_queries(4):
        answer = client.get(MAP, params)
    assert answer.status_code == 200
    values = {a["code"]: a for a in answer.json()["areas"]}
    assert all(a["value"] == 0 for a in empty["areas"])
    assert values[grid_officer.grid.code]["value"] == 2
    assert values[unit_in_other_grid.building.grid.code]["value"] == 1
    assert values[grid_officer.grid.code]["households"] == grid_officer.grid.households
    assert sum(a["value"] for a in values.values()) == 3

    share = client.get(MAP, {**params, "measure": "visit_coverage"}).json()["areas"]
    mine = next(a for a in share if a["code"] == grid_officer.grid.code)
    assert mine["value"] == pytest.approx(2 / grid_officer.grid.households)


def test_households_visited_add_up_to_the_street_and_community(command_centre, grid_officer, signed_in,
                                                               unit_in_officers_grid, unit_in_other_grid):
    visit(grid_officer, unit_in_officers_grid, "101")
    visit(grid_officer.__class__.objects.get(username="community_staff"), unit_in_other_grid, "102")
    client = signed_in(command_centre)
    today = timezone.localdate().isoformat()
    streets = client.get(MAP, {"level": "street", "measure": "households_visited", "start": today}).json()["areas"]
    street = grid_officer.grid.community.street.code
    assert {a["code"]: a["value"] for a in streets}[street] == 2 and sum(a["value"] for a in streets) == 2
    communities = client.get(MAP, {"level": "community", "parent": street, "measure": "households_visited",
                                   "start": today}).json()["areas"]
    assert {a["code"]: a["value"] for a in communities}[grid_officer.grid.community.code] == 2


def test_a_department_has_no_visit_figures(department_staff, grid_officer, signed_in, unit_in_officers_grid):
    visit(grid_officer, unit_in_officers_grid, "101")
    areas = signed_in(department_staff).get(MAP, {"level": "street", "measure": "households_visited"}).json()["areas"]
    assert areas and all(a["value"] is None for a in areas)


def test_the_dashboard_offers_the_visit_measures_and_the_coverage_map(community_staff, department_staff, signed_in):
    html = signed_in(community_staff).get("/dashboard/").content.decode()
    assert 'value="households_visited"' in html and 'value="visit_coverage"' in html
    assert 'id="coverage-link" href="/field/coverage/"' in html
    assert 'id="coverage-link"' not in signed_in(department_staff).get("/dashboard/").content.decode()
