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
