"""Patrol tracks: positions sampled on the patrol page, sent in batches (again, when offline), each kept
once; the track's distance and the grids it walked follow."""
import datetime
import uuid

import pytest
from django.utils import timezone

from field import services
from field.models import PatrolGrid, PatrolPoint, PatrolTrack
from grids.boundaries import to_shape
from grids.coords import wgs84_to_gcj02

from .places import officer_of_other_grid, other_grid  # noqa: F401 (fixtures)

URL = "/api/v1/field/patrols/points/"


def walk(grid, *, count=5, start=None, step_m=20.0, accuracy=10.0):
    """``count`` positions a minute apart walking east from a point inside the grid."""
    point = to_shape(grid.boundary).representative_point()
    start = start or timezone.now() - datetime.timedelta(minutes=count)
    return [{"lat": point.y, "lng": point.x + i * step_m / 75_500, "at": (start + datetime.timedelta(minutes=i))
             .isoformat(), "accuracy": accuracy} for i in range(count)]


def test_a_patrol_batch_makes_the_track_and_marks_the_grid_walked(grid_officer, signed_in):
    patrol = uuid.uuid4()
    answer = signed_in(grid_officer).post(URL, {"patrol": str(patrol), "points": walk(grid_officer.grid)},
                                          content_type="application/json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["added"] == 5 and body["grids"] == [grid_officer.grid.code]
    assert 70 < body["distance_m"] < 90  # four steps of 20 m
    track = PatrolTrack.objects.get(uuid=patrol)
    assert track.officer == grid_officer
    walked = PatrolGrid.objects.get(track=track)
    assert walked.grid_id == grid_officer.grid_id and walked.points == 5 and walked.day == timezone.localdate()


def test_a_batch_sent_twice_is_kept_once(grid_officer, signed_in):
    client = signed_in(grid_officer)
    batch = {"patrol": str(uuid.uuid4()), "points": walk(grid_officer.grid)}
    first = client.post(URL, batch, content_type="application/json").json()
    again = client.post(URL, batch, content_type="application/json").json()
    assert (first["added"], again["added"]) == (5, 0)
    assert again["distance_m"] == first["distance_m"]
    assert PatrolPoint.objects.filter(track__uuid=batch["patrol"]).count() == 5
    assert PatrolGrid.objects.get(track__uuid=batch["patrol"]).points == 5


def test_a_later_batch_extends_the_track_into_the_next_grid(grid_officer, signed_in, other_grid):
    client = signed_in(grid_officer)
    patrol = str(uuid.uuid4())
    start = timezone.now() - datetime.timedelta(minutes=30)
    client.post(URL, {"patrol": patrol, "points": walk(grid_officer.grid, start=start)}, content_type="application/json")
    body = client.post(URL, {"patrol": patrol, "points": walk(other_grid, start=start + datetime.timedelta(minutes=10))},
                       content_type="application/json").json()
    assert body["added"] == 5 and sorted(body["grids"]) == sorted([grid_officer.grid.code, other_grid.code])
    track = PatrolTrack.objects.get(uuid=patrol)
    assert track.ended_at - track.started_at == datetime.timedelta(minutes=14)


def test_gcj02_positions_are_stored_in_wgs84(grid_officer, signed_in):
    points = walk(grid_officer.grid, count=2)
    sent = [{**p, **dict(zip(("lat", "lng"), wgs84_to_gcj02(p["lat"], p["lng"])))} for p in points]
    patrol = str(uuid.uuid4())
    body = signed_in(grid_officer).post(URL, {"patrol": patrol, "coord_sys": "gcj02", "points": sent},
                                        content_type="application/json").json()
    assert body["grids"] == [grid_officer.grid.code]
    stored = PatrolPoint.objects.filter(track__uuid=patrol).order_by("at").first()
    assert stored.lat == pytest.approx(points[0]["lat"], abs=1e-6)
    assert stored.lng == pytest.approx(points[0]["lng"], abs=1e-6)


def test_inaccurate_positions_are_kept_but_walk_no_grid(grid_officer, settings):
    settings.FIELD_PATROL_ACCURACY_METRES = 50
    points = [services.PointIn(at=timezone.now() - datetime.timedelta(minutes=1), lat=p["lat"], lng=p["lng"],
                               accuracy=500.0) for p in walk(grid_officer.grid, count=1)]
    batch = services.patrol_points_add(officer=grid_officer, patrol=uuid.uuid4(), points=points)
    assert batch.added == 1 and batch.grids == [] and batch.track.distance_m == 0


@pytest.mark.parametrize("who", ["community_staff", "street_staff", "department_staff", "resident"])
def test_only_grid_officers_record_patrols(request, who, signed_in, grid_officer):
    answer = signed_in(request.getfixturevalue(who)).post(
        URL, {"patrol": str(uuid.uuid4()), "points": walk(grid_officer.grid)}, content_type="application/json")
    assert answer.status_code == 403 and answer.json()["detail"]
    assert not PatrolTrack.objects.exists()


def test_another_officers_track_is_refused(grid_officer, officer_of_other_grid, signed_in):
    patrol = str(uuid.uuid4())
    signed_in(grid_officer).post(URL, {"patrol": patrol, "points": walk(grid_officer.grid)},
                                 content_type="application/json")
    answer = signed_in(officer_of_other_grid).post(URL, {"patrol": patrol, "points": walk(grid_officer.grid, count=2,
                                                   start=timezone.now() - datetime.timedelta(minutes=2))},
                                                   content_type="application/json")
    assert answer.status_code == 403 and answer.json()["field"] == "patrol"
    assert PatrolPoint.objects.filter(track__uuid=patrol).count() == 5


@pytest.mark.parametrize("batch, field", [
    ({"patrol": "not-a-uuid", "points": None}, "patrol"),
    ({"patrol": None, "points": []}, "points"),
    ({"patrol": None, "points": [{"lat": 91, "lng": 123.9, "at": "2026-01-01T00:00:00Z"}]}, "points"),
    ({"patrol": None, "points": [{"lat": 47.3, "lng": 123.9, "at": "soon"}]}, "points"),
    ({"patrol": None, "points": "future"}, "points"),
    ({"patrol": None, "coord_sys": "bd09", "points": None}, "coord_sys"),
])
def test_bad_batches_are_refused(batch, field, grid_officer, signed_in):
    batch = dict(batch)
    batch["patrol"] = batch["patrol"] or str(uuid.uuid4())
    if batch["points"] is None:
        batch["points"] = walk(grid_officer.grid)
    elif batch["points"] == "future":
        batch["points"] = walk(grid_officer.grid, start=timezone.now() + datetime.timedelta(hours=1))
    answer = signed_in(grid_officer).post(URL, batch, content_type="application/json")
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body.get("field") == field or field in body
    assert not PatrolTrack.objects.exists()
