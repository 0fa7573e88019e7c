"""/api/v1/stats/…: who sees which figures, parameter errors, and a fixed number of queries per call."""
import pytest
from rest_framework.test import APIClient

from tests.dispatch.conftest import local

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-01-01", "end": "2026-02-28"}


def received(client, **params):
    answer = client.get("/api/v1/stats/summary/", {**PERIOD, **params})
    assert answer.status_code == 200, answer.content
    return answer.json()["figures"]["received"]


def test_each_role_sees_its_own_area(story, elsewhere, signed_in, command_centre, district_leader, street_staff,
                                     community_staff, grid_officer, department_staff):
    elsewhere(local(2026, 1, 6, 9))  # in another street
    assert received(signed_in(command_centre)) == 7
    assert received(signed_in(district_leader)) == 7
    assert received(signed_in(street_staff)) == 6
    assert received(signed_in(community_staff)) == 6
    assert received(signed_in(grid_officer)) == 6
    assert received(signed_in(department_staff)) == 0  # departments receive nothing: they are dispatched to
    department = signed_in(department_staff).get("/api/v1/stats/summary/", PERIOD).json()
    assert department["scope"]["level"] == "department" and department["figures"]["closed"] == 1
    streets = signed_in(street_staff).get("/api/v1/stats/breakdown/", {**PERIOD, "by": "street"}).json()["rows"]
    assert [r["code"] for r in streets] == [street_staff.street.code]


def test_residents_and_strangers_get_no_figures(resident, signed_in):
    assert signed_in(resident).get("/api/v1/stats/summary/").status_code == 403
    assert APIClient().get("/api/v1/stats/summary/").status_code in (401, 403)


def test_a_token_works_too(story, command_centre):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=command_centre)[0].key}")
    assert client.get("/api/v1/stats/summary/", PERIOD).json()["figures"]["received"] == 6


def test_the_summary_has_headline_and_current_counts(story, signed_in, command_centre):
    body = signed_in(command_centre).get("/api/v1/stats/summary/", PERIOD).json()
    assert body["figures"]["accepted"] == 5 and body["figures"]["solved"] == 4
    assert body["headline"] in ("受理 5 件，已解决 4 件，满意率 75%", "Accepted 5, solved 4, satisfaction 75%")
    assert body["current"]["open"] == 1  # F
    assert set(body["current"]) == {"open", "overdue", "supervised", "accountability_candidates"}


@pytest.mark.parametrize("path, params, field", [
    ("summary", {"start": "2026-13-01"}, "start"),
    ("summary", {"start": "2026-03-01", "end": "2026-02-01"}, "end"),
    ("summary", {"tier": "province"}, "tier"),
    ("summary", {"start": "2000-01-01", "end": "2026-01-01"}, "start"),
    ("trend", {"interval": "hour"}, "interval"),
    ("trend", {"interval": "day", "start": "2025-01-01", "end": "2025-12-31"}, "start"),
    ("breakdown", {}, "by"),
    ("breakdown", {"by": "colour"}, "by"),
    ("map", {"level": "province"}, "level"),
    ("map", {"measure": "beauty"}, "measure"),
    ("map", {"level": "street", "parent": "230203002"}, "parent"),
    ("ranking", {"month": "2026-1"}, "month"),
    ("ranking", {"level": "grid"}, "level"),
    ("summary", {"area": "grid"}, "area"),
    ("summary", {"area": "village:230203002"}, "area"),
    ("trend", {"area": "street:"}, "area"),
    ("breakdown", {"by": "channel", "area": "grid:23-02"}, "area"),
])
def test_bad_parameters_are_400_with_a_message(signed_in, command_centre, path, params, field):
    answer = signed_in(command_centre).get(f"/api/v1/stats/{path}/", params)
    assert answer.status_code == 400
    assert answer.json()["field"] == field and answer.json()["detail"]


def test_a_parent_outside_the_scope_is_404(signed_in, street_staff, community_staff):
    from grids.models import Street

    other = Street.objects.exclude(pk=street_staff.street_id).first()
    answer = signed_in(street_staff).get("/api/v1/stats/map/", {"level": "community", "parent": other.code})
    assert answer.status_code == 404 and answer.json()["field"] == "parent"
    own = signed_in(street_staff).get("/api/v1/stats/map/", {"level": "community",
                                                              "parent": street_staff.street.code})
    assert own.status_code == 200 and len(own.json()["areas"]) == street_staff.street.communities.count()


CALLS = [
    ("summary", PERIOD),
    ("trend", {"interval": "day", "start": "2026-01-01", "end": "2026-01-31"}),
    ("trend", {"interval": "week", **PERIOD}),
    ("trend", {"interval": "month", **PERIOD}),
    ("breakdown", {"by": "street", **PERIOD}),
    ("breakdown", {"by": "category", **PERIOD}),
    ("map", {"level": "grid", "measure": "per_thousand", **PERIOD}),
    ("map", {"level": "street", "measure": "overdue"}),
    ("ranking", {"month": "2026-01", "level": "community"}),
]


@pytest.mark.parametrize("path, params", CALLS)
def test_every_call_is_a_fixed_number_of_queries(story, elsewhere, signed_in, command_centre, street_staff,
                                                 django_assert_max_num_queries, path, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for user in (command_centre, street_staff):
        client = signed_in(user)
        with CaptureQueriesContext(connection) as small:
            assert client.get(f"/api/v1/stats/{path}/", params).status_code == 200
        for day in range(1, 8):
            elsewhere(local(2026, 1, day, 9))
            elsewhere(local(2026, 2, day, 9))
        with CaptureQueriesContext(connection) as large:
            assert client.get(f"/api/v1/stats/{path}/", params).status_code == 200
        assert len(large) == len(small) <= 8, [q["sql"][:120] for q in large]


def test_query_counts_per_call(story, signed_in, command_centre, django_assert_num_queries):
    client = signed_in(command_centre)
    # Every request reads the session and the user (2), then: facts as whole months + edge days (2, for the
    # district's breakdown by category too: its roll-ups have months), labels or areas (1), live counts
    # (summary: 3; map of open/overdue issues: 1 instead of the facts).
    expected = [2 + 2 + 3, 2 + 1, 2 + 1, 2 + 1, 2 + 2 + 1, 2 + 2 + 1, 2 + 1 + 2, 2 + 1 + 1, 2 + 2 + 1]
    for (path, params), count in zip(CALLS, expected, strict=True):
        with django_assert_num_queries(count):
            assert client.get(f"/api/v1/stats/{path}/", params).status_code == 200


def test_the_schema_describes_the_stats_calls():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    for path in ("summary", "trend", "breakdown", "map", "ranking"):
        assert f"/api/v1/stats/{path}/" in schema["paths"]
    for path in ("summary", "trend", "breakdown"):
        call = schema["paths"][f"/api/v1/stats/{path}/"]["get"]
        assert "area" in {p["name"] for p in call["parameters"]} and "404" in call["responses"]


# Narrowing to an area (the dashboard's drill-down) -------------------------------------------------

@pytest.fixture
def neighbour(story, file_issue, community_staff, grid_officer):
    """The story's six whistles in the grid officer's grid, and two in a neighbouring grid of the same
    community in February 2026: N1 filed on the 12th and closed on the 13th, N2 filed on the 14th and
    accepted, still open. Returns the neighbouring grid."""
    from grids.boundaries import to_shape
    from grids.models import Grid
    from issues import services as s

    from .conftest import at

    cs = community_staff
    grid = Grid.objects.filter(community=grid_officer.grid.community).exclude(pk=grid_officer.grid_id).order_by(
        "code").first()
    point = to_shape(grid.boundary).representative_point()
    n1 = at(local(2026, 2, 12, 9, 0), lambda: file_issue(lat=point.y, lng=point.x))
    assert n1.grid_id == grid.pk
    n1 = at(local(2026, 2, 12, 9, 10), lambda: s.issue_accept(issue=n1, actor=cs))
    n1 = at(local(2026, 2, 12, 9, 20), lambda: s.issue_dispatch(issue=n1, actor=cs, handler=cs))
    n1 = at(local(2026, 2, 12, 9, 30), lambda: s.issue_respond(issue=n1, actor=cs))
    n1 = at(local(2026, 2, 13, 9, 0), lambda: s.issue_resolve(issue=n1, actor=cs, result="已清运"))
    at(local(2026, 2, 13, 10, 0), lambda: s.issue_close(issue=n1, actor=cs))
    n2 = at(local(2026, 2, 14, 9, 0), lambda: file_issue(lat=point.y, lng=point.x))
    at(local(2026, 2, 14, 9, 10), lambda: s.issue_accept(issue=n2, actor=cs))
    return grid


def figures_of(client, path="summary", **params):
    answer = client.get(f"/api/v1/stats/{path}/", {**PERIOD, **params})
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_a_leader_narrows_to_a_street_a_community_and_a_grid(neighbour, elsewhere, signed_in, district_leader,
                                                             grid_officer):
    elsewhere(local(2026, 1, 6, 9))  # in another street: the district's, none of the areas below
    client = signed_in(district_leader)
    own = grid_officer.grid
    # (received, accepted, closed, solved, open now): the officer's grid as in test_kpis.py (F still open);
    # the neighbour: N1 and N2 received and accepted, N1 closed and solved, N2 open.
    expected = {
        None: (9, 7, 6, 5, 3),  # the other street's whistle is open too, waiting to be accepted
        f"street:{own.community.street.code}": (8, 7, 6, 5, 2),
        f"community:{own.community.code}": (8, 7, 6, 5, 2),
        f"grid:{own.code}": (6, 5, 5, 4, 1),
        f"grid:{neighbour.code}": (2, 2, 1, 1, 1),
    }
    for area, numbers in expected.items():
        body = figures_of(client, **({"area": area} if area else {}))
        f = body["figures"]
        assert (f["received"], f["accepted"], f["closed"], f["solved"], body["current"]["open"]) == numbers, area
        assert body["area"] == (area or "")
    assert figures_of(client, area=f"grid:{neighbour.code}")["scope"] == {"level": "grid", "id": neighbour.pk}
    assert figures_of(client, area=f"grid:{neighbour.code}")["headline"] in (
        "受理 2 件，已解决 1 件，满意率 —", "Accepted 2, solved 1, satisfaction —")

    # The trend and the breakdown follow the area too.
    months = figures_of(client, "trend", interval="month", area=f"grid:{neighbour.code}")["points"]
    assert [(p["start"], p["received"], p["closed"]) for p in months] == [("2026-01-01", 0, 0), ("2026-02-01", 2, 1)]
    days = figures_of(client, "trend", interval="day", start="2026-02-11", end="2026-02-14",
                      area=f"grid:{neighbour.code}")["points"]
    assert [p["received"] for p in days] == [0, 1, 0, 1]
    grids = figures_of(client, "breakdown", by="grid", area=f"community:{own.community.code}")["rows"]
    assert {r["code"]: r["received"] for r in grids if r["received"]} == {own.code: 6, neighbour.code: 2}
    assert len(grids) == own.community.grids.count()
    channels = figures_of(client, "breakdown", by="channel", area=f"grid:{neighbour.code}")["rows"]
    assert {r["code"]: r["received"] for r in channels if r["received"]} == {"web": 2}
    communities = figures_of(client, "breakdown", by="community", area=f"street:{own.community.street.code}")["rows"]
    assert {r["code"]: r["closed"] for r in communities if r["closed"]} == {own.community.code: 6}


def test_staff_narrow_only_inside_their_own_area(neighbour, signed_in, street_staff, community_staff, grid_officer,
                                                 department_staff):
    from grids.models import Grid

    other_grid = Grid.objects.exclude(community__street=street_staff.street).order_by("code").first()
    street = signed_in(street_staff)
    assert figures_of(street, area=f"grid:{neighbour.code}")["figures"]["received"] == 2
    assert figures_of(street, area=f"street:{street_staff.street.code}")["figures"]["received"] == 8
    for area, detail in ((f"grid:{other_grid.code}", other_grid.code),
                         (f"street:{other_grid.community.street.code}", other_grid.community.street.code),
                         ("grid:999999999", "999999999")):
        for path in ("summary", "trend", "breakdown"):
            answer = street.get(f"/api/v1/stats/{path}/", {**PERIOD, "by": "channel", "area": area})
            assert answer.status_code == 404, (path, area)
            assert answer.json()["field"] == "area" and detail in answer.json()["detail"]

    community = signed_in(community_staff)
    assert figures_of(community, area=f"grid:{neighbour.code}")["figures"]["closed"] == 1
    assert community.get("/api/v1/stats/summary/", {"area": f"street:{street_staff.street.code}"}).status_code == 404

    officer = signed_in(grid_officer)
    assert figures_of(officer, area=f"grid:{grid_officer.grid.code}")["figures"]["received"] == 6
    assert officer.get("/api/v1/stats/summary/", {"area": f"grid:{neighbour.code}"}).status_code == 404

    answer = signed_in(department_staff).get("/api/v1/stats/summary/", {"area": f"grid:{neighbour.code}"})
    assert answer.status_code == 400 and answer.json()["field"] == "area" and answer.json()["detail"]


def test_narrowing_costs_one_query_whatever_the_data(neighbour, elsewhere, signed_in, street_staff, grid_officer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(street_staff)
    area = f"grid:{grid_officer.grid.code}"
    calls = [("summary", PERIOD), ("trend", {"interval": "day", "start": "2026-01-01", "end": "2026-01-31"}),
             ("trend", {"interval": "month", **PERIOD}), ("breakdown", {"by": "category", **PERIOD}),
             ("breakdown", {"by": "grid", **PERIOD})]
    for path, params in calls:
        with CaptureQueriesContext(connection) as whole:
            assert client.get(f"/api/v1/stats/{path}/", params).status_code == 200
        with CaptureQueriesContext(connection) as small:
            assert client.get(f"/api/v1/stats/{path}/", {**params, "area": area}).status_code == 200
        for day in range(1, 4):
            elsewhere(local(2026, 1, day, 9))
        with CaptureQueriesContext(connection) as large:
            assert client.get(f"/api/v1/stats/{path}/", {**params, "area": area}).status_code == 200
        # The area's lookup (kpis.Scope.narrowed_to) is the one query more; a grid's breakdown by category
        # reads only the full daily facts (no monthly roll-up): one fact query fewer than the street's.
        fewer = 1 if (path, params.get("by")) == ("breakdown", "category") else 0
        assert len(large) == len(small) == len(whole) + 1 - fewer, (path, [q["sql"][:120] for q in large])
