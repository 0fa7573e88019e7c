"""Visits door to door (走访): a concern raised becomes a whistle on the "visit" channel or a suggestion,
linked to the visit; a visit sent twice is recorded once; who may record where."""
import datetime
import json

import pytest
from django.utils import timezone

from field import selectors, services
from field.models import ConcernKind, Visit, VisitConcern, VisitPhoto
from grids.locate import grid_locate
from issues.lifecycle import Status
from issues.models import Channel, Issue
from issues.services import InvalidInput, PermissionRefused

from .places import (  # noqa: F401 (fixtures)
    categories,
    garbage,
    jpeg,
    officer_of_other_community,
    officer_of_other_grid,
    other_grid,
    unit_in_officers_grid,
    unit_in_other_grid,
)

URL = "/api/v1/field/visits/"


def visit_form(place, **overrides):
    form = {"unit": place.pk, "room": "301", "visited_at": timezone.now().isoformat(), "resident_name": "王秀英",
            "raised": "楼道灯坏了，另外希望小区多装几把长椅。",
            "concerns": json.dumps([{"kind": "whistle", "text": "3单元楼道灯坏了一个月，晚上看不见台阶。",
                                     "category": "garbage"},
                                    {"kind": "suggestion", "text": "希望小区广场多装几把长椅。"}])}
    form.update(overrides)
    return form


def test_a_whistle_raised_on_a_visit_is_filed_on_the_visit_channel_and_linked(
        grid_officer, signed_in, unit_in_officers_grid, garbage):
    client = signed_in(grid_officer)
    answer = client.post(URL, visit_form(unit_in_officers_grid, photos=[jpeg()]), HTTP_IDEMPOTENCY_KEY="visit-1")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert len(body["issues"]) == 1 and body["room"] == "301" and body["unit"] == unit_in_officers_grid.pk

    issue = Issue.objects.get(number=body["issues"][0])
    building = unit_in_officers_grid.building
    assert issue.channel == Channel.VISIT and issue.status == Status.SUBMITTED
    assert issue.owner_tier and issue.response_due is not None  # routed and on the clock like any whistle
    assert issue.events.filter(action="submit", actor=grid_officer).exists()
    assert (issue.lat, issue.lng) == (building.lat, building.lng)
    assert issue.grid_id == building.grid_id == grid_locate(lat=building.lat, lng=building.lng).grid_id
    assert issue.reporter_name == "王秀英" and issue.filed_by == grid_officer
    assert issue.address.endswith(f"{unit_in_officers_grid.number}301")
    assert issue.photos.count() == 1  # the visit's photo is the whistle's evidence too

    visit = Visit.objects.get(pk=body["id"])
    assert VisitPhoto.objects.filter(visit=visit).count() == 1
    whistle, suggestion = visit.concerns.order_by("id")
    assert whistle.kind == ConcernKind.WHISTLE and whistle.issue == issue and whistle.category == garbage
    assert suggestion.kind == ConcernKind.SUGGESTION and suggestion.issue is None
    assert [c["issue"] for c in body["concerns"]] == [issue.number, None]


def test_a_visit_sent_again_with_its_key_is_recorded_once(grid_officer, signed_in, unit_in_officers_grid, garbage):
    client = signed_in(grid_officer)
    first = client.post(URL, visit_form(unit_in_officers_grid), HTTP_IDEMPOTENCY_KEY="outbox-7")
    again = client.post(URL, visit_form(unit_in_officers_grid), HTTP_IDEMPOTENCY_KEY="outbox-7")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["issues"] == first.json()["issues"]
    assert Visit.objects.filter(officer=grid_officer).count() == 1
    assert Issue.objects.filter(channel=Channel.VISIT, filed_by=grid_officer).count() == 1


@pytest.mark.parametrize("who, status", [
    ("grid_officer", 201),  # the grid's own officer
    ("community_staff", 201),  # staff of the grid's community
    ("officer_of_other_grid", 403),  # a neighbour grid's officer
    ("officer_of_other_community", 403),
    ("street_staff", 403),
    ("command_centre", 403),
    ("department_staff", 403),
    ("resident", 403),
])
def test_who_may_record_a_visit_in_a_grid(request, who, status, signed_in, unit_in_officers_grid, garbage):
    person = request.getfixturevalue(who)
    answer = signed_in(person).post(URL, visit_form(unit_in_officers_grid))
    assert answer.status_code == status, answer.content
    assert Visit.objects.count() == (1 if status == 201 else 0)
    assert Issue.objects.filter(channel=Channel.VISIT).count() == (1 if status == 201 else 0)


def test_signed_out_visits_are_refused(client, unit_in_officers_grid):
    assert client.post(URL, visit_form(unit_in_officers_grid)).status_code in (401, 403)
    assert client.get(URL).status_code in (401, 403)


def test_the_officer_of_one_grid_cannot_visit_in_the_next(grid_officer, signed_in, unit_in_other_grid, garbage):
    answer = signed_in(grid_officer).post(URL, visit_form(unit_in_other_grid))
    assert answer.status_code == 403 and answer.json()["detail"]
    assert not Visit.objects.exists()


@pytest.mark.parametrize("overrides, field", [
    ({"concerns": "not json"}, "concerns"),
    ({"concerns": json.dumps({"kind": "whistle"})}, "concerns"),
    ({"concerns": json.dumps([{"kind": "complaint", "text": "x"}])}, "concerns"),
    ({"concerns": json.dumps([{"kind": "whistle", "text": "灯坏了"}])}, "concerns"),  # a whistle needs a category
    ({"concerns": json.dumps([{"kind": "whistle", "text": "灯坏了", "category": "no-such"}])}, "concerns"),
    ({"concerns": json.dumps([{"kind": "suggestion", "text": "   "}])}, "concerns"),
    ({"room": ""}, "room"),
    ({"room": "   "}, "room"),
    ({"visited_at": "yesterday"}, "visited_at"),
    ({"visited_at": (timezone.now() + datetime.timedelta(hours=2)).isoformat()}, "visited_at"),
    ({"unit": "999999"}, "unit"),
    ({"unit": "abc"}, "unit"),
])
def test_bad_visits_are_refused_naming_the_field(overrides, field, grid_officer, signed_in, unit_in_officers_grid,
                                                 garbage):
    answer = signed_in(grid_officer).post(URL, visit_form(unit_in_officers_grid, **overrides))
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body.get("field") == field or field in body
    assert not Visit.objects.exists() and not Issue.objects.filter(channel=Channel.VISIT).exists()


def test_a_refused_whistle_leaves_no_visit_behind(grid_officer, unit_in_officers_grid, garbage):
    garbage.is_active = False
    garbage.save()
    with pytest.raises(InvalidInput):
        services.visit_record(officer=grid_officer, unit=unit_in_officers_grid, room="502",
                              visited_at=timezone.now(),
                              concerns=[services.Concern(ConcernKind.WHISTLE, "垃圾没人收", garbage)])
    assert not Visit.objects.exists() and not VisitConcern.objects.exists()


def test_the_service_refuses_other_grids_too(officer_of_other_grid, unit_in_officers_grid):
    with pytest.raises(PermissionRefused):
        services.visit_record(officer=officer_of_other_grid, unit=unit_in_officers_grid, room="101",
                              visited_at=timezone.now())


def test_my_visits_latest_first_in_a_fixed_number_of_queries(grid_officer, signed_in, unit_in_officers_grid,
                                                             garbage, django_assert_num_queries):
    client = signed_in(grid_officer)
    now = timezone.now()

    def record(room, hours_ago):
        services.visit_record(officer=grid_officer, unit=unit_in_officers_grid, room=room,
                              visited_at=now - datetime.timedelta(hours=hours_ago),
                              concerns=[services.Concern(ConcernKind.WHISTLE, f"{room} 门口垃圾", garbage)])

    record("101", 3)
    with django_assert_num_queries(5):  # session, user, count, visits, concerns
        one = client.get(URL)
    record("102", 1)
    record("103", 2)
    with django_assert_num_queries(5):
        three = client.get(URL)
    assert one.status_code == three.status_code == 200
    rows = three.json()["results"]
    assert [row["room"] for row in rows] == ["102", "103", "101"]
    assert all(len(row["issues"]) == 1 for row in rows)


def test_places_are_my_grids_buildings_and_units(grid_officer, community_staff, signed_in, unit_in_officers_grid,
                                                 django_assert_num_queries):
    client = signed_in(grid_officer)
    with django_assert_num_queries(4):  # session, user, buildings, units
        answer = client.get("/api/v1/field/places/")
    buildings = answer.json()["buildings"]
    assert buildings and {b["grid"] for b in buildings} == {grid_officer.grid.code}
    first = next(b for b in buildings if b["id"] == unit_in_officers_grid.building_id)
    assert first["centre_household"]["name"] and first["units"][0]["households"] > 0
    community = signed_in(community_staff).get("/api/v1/field/places/").json()["buildings"]
    assert len({b["grid"] for b in community}) > 1 and len(community) > len(buildings)


@pytest.mark.parametrize("who", ["resident", "street_staff", "department_staff", "command_centre"])
def test_places_are_for_the_people_who_visit(db, request, who, signed_in):
    answer = signed_in(request.getfixturevalue(who)).get("/api/v1/field/places/")
    assert answer.status_code == 403 and answer.json()["detail"]


def test_the_visit_plan_puts_units_never_visited_first_and_counts_doors_in_the_cycle(
        grid_officer, signed_in, unit_in_officers_grid, settings, django_assert_num_queries):
    settings.FIELD_VISIT_CYCLE_DAYS = 30
    now = timezone.now()
    for room, days_ago in (("101", 1), ("102", 2), ("101", 3), ("201", 45)):  # 201 is from the last cycle
        services.visit_record(officer=grid_officer, unit=unit_in_officers_grid, room=room,
                              visited_at=now - datetime.timedelta(days=days_ago))
    plan = list(selectors.visit_plan_for(grid_officer))
    assert plan[-1] == unit_in_officers_grid
    assert plan[-1].households_visited == 2 and plan[-1].last_visited is not None
    assert all(unit.last_visited is None for unit in plan[:-1])
    client = signed_in(grid_officer)
    with django_assert_num_queries(4):  # session, user, count, the plan
        rows = client.get("/api/v1/field/visits/plan/").json()["results"]
    assert rows[0]["last_visited"] is None
    assert [r for r in rows if r["unit"] == unit_in_officers_grid.pk][0]["households_visited"] == 2


def test_suggestions_are_listed_for_community_staff(grid_officer, community_staff, signed_in, unit_in_officers_grid,
                                                    officer_of_other_community, django_assert_num_queries):
    services.visit_record(officer=grid_officer, unit=unit_in_officers_grid, room="402", visited_at=timezone.now(),
                          concerns=[services.Concern(ConcernKind.SUGGESTION, "建议增设快递柜")])
    client = signed_in(community_staff)
    with django_assert_num_queries(4):  # session, user, count, suggestions
        rows = client.get("/api/v1/field/suggestions/").json()["results"]
    assert [(r["text"], r["room"]) for r in rows] == [("建议增设快递柜", "402")]
    assert signed_in(officer_of_other_community).get("/api/v1/field/suggestions/").json()["results"] == []
