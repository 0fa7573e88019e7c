"""The issues API: tokens, filing (idempotency, photos, every bad input), scoped lists, actions, events."""
import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from grids.models import Role, User
from issues.lifecycle import Status
from issues.models import Issue, IssuePhoto
from tests.conftest import DEMO_PASSWORD
from tests.factories import api_as, jpeg

pytestmark = pytest.mark.django_db


def person(username):
    return User.objects.get(username=username)


@pytest.fixture
def filing(spot_in_officers_grid, categories):
    lat, lng = spot_in_officers_grid
    return {"title": "路灯不亮", "description": "东门路灯坏了一周，晚上很黑。", "category": "streetlight",
            "lat": lat, "lng": lng, "address": "东市场社区东门"}


def test_a_token_for_a_username_and_password_opens_the_api(resident):
    client = APIClient()
    refused = client.post("/api/v1/auth/token/", {"username": "resident", "password": "wrong"}, format="json")
    assert refused.status_code == 400
    token = client.post("/api/v1/auth/token/", {"username": "resident", "password": DEMO_PASSWORD},
                        format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/me/").json()["username"] == "resident"
    assert client.get("/api/v1/issues/").status_code == 200
    assert APIClient().get("/api/v1/issues/").status_code in (401, 403)


def test_a_resident_files_a_whistle_and_gets_a_tracking_number(resident, filing, grid_officer):
    response = api_as(resident).post("/api/v1/issues/", filing, format="json")
    assert response.status_code == 201, response.content
    issue = response.json()
    assert issue["number"].startswith("JH-")
    assert issue["status"] == "submitted"
    assert issue["grid"]["code"] == grid_officer.grid.code
    assert issue["category"]["code"] == "streetlight"
    assert issue["actions"] == ["withdraw"]


def test_the_same_idempotency_key_files_once(resident, filing):
    client = api_as(resident)
    first = client.post("/api/v1/issues/", filing, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/issues/", filing, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Issue.objects.filter(title="路灯不亮").count() == 1
    assert client.post("/api/v1/issues/", filing, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201


def test_a_resident_filing_too_fast_is_told_when_to_try_again(resident, filing, community_staff, settings):
    """ISSUE_FILINGS_PER_HOUR whistles of one resident within any hour; then 429 with Retry-After, and the
    whistles already filed, a replay of one of them, staff filing for callers and an hour later all pass."""
    settings.ISSUE_FILINGS_PER_HOUR = 3
    client = api_as(resident)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(3):
            assert client.post("/api/v1/issues/", filing, format="json",
                               HTTP_IDEMPOTENCY_KEY=f"k-{n}").status_code == 201
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        refused = client.post("/api/v1/issues/", filing, format="json")
        assert refused.status_code == 429
        assert "3" in refused.json()["detail"] and "40" in refused.json()["detail"]  # minutes to wait
        assert refused["Retry-After"] == str(40 * 60)
        # A replay of a whistle already filed is its answer, not a new filing.
        assert client.post("/api/v1/issues/", filing, format="json", HTTP_IDEMPOTENCY_KEY="k-0").status_code == 200
        for_a_caller = {**filing, "channel": "hotline", "reporter_name": "王大爷", "reporter_phone": "13800001234"}
        assert api_as(community_staff).post("/api/v1/issues/", for_a_caller, format="json").status_code == 201
    assert Issue.objects.filter(filed_by=resident).count() == 3
    with time_machine.travel(start + timedelta(minutes=60), tick=False):  # the first has left the hour
        assert client.post("/api/v1/issues/", filing, format="json").status_code == 201


def test_photos_are_stored_stripped_and_shown_only_to_who_may_see_the_issue(resident, filing, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = api_as(resident).post("/api/v1/issues/", {**filing, "photos": [jpeg(), jpeg("b.png")]},
                                     format="multipart")
    assert response.status_code == 201, response.content
    photos = response.json()["photos"]
    assert len(photos) == 2
    image = api_as(resident).get(photos[0]["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(image.streaming_content))).size == (64, 48)
    assert api_as(resident).get(photos[0]["thumbnail_url"]).status_code == 200
    assert api_as(person("resident2")).get(photos[0]["url"]).status_code == 404


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": ""}, "title"),
        ({"description": None}, "description"),
        ({"category": "no-such-category"}, "category"),
        ({"lat": "north"}, "lat"),
        ({"lat": 39.9, "lng": 116.4}, "location"),  # Beijing: outside the district
        ({"channel": "hotline"}, "channel"),  # residents file on the web
    ],
)
def test_bad_filings_are_400s_naming_the_field(resident, filing, change, field):
    body = {key: value for key, value in {**filing, **change}.items() if value is not None}
    response = api_as(resident).post("/api/v1/issues/", body, format="json")
    assert response.status_code == 400
    answer = response.json()
    assert field in answer or answer.get("field") == field, answer
    assert not Issue.objects.filter(title="路灯不亮").exists()


def test_malformed_json_is_a_400(resident):
    response = api_as(resident).post("/api/v1/issues/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


@pytest.mark.parametrize("upload", [
    SimpleUploadedFile("photo.jpg", b"this is not a photo at all", content_type="image/jpeg"),
    SimpleUploadedFile("huge.jpg", b"\xff\xd8\xff" + b"0" * (30 * 1024 * 1024), content_type="image/jpeg"),
])
def test_a_bad_photo_is_a_400_with_the_files_name_and_nothing_is_filed(resident, filing, upload):
    response = api_as(resident).post("/api/v1/issues/", {**filing, "photos": [jpeg(), upload]}, format="multipart")
    assert response.status_code == 400
    assert upload.name in json.dumps(response.json(), ensure_ascii=False)
    assert not Issue.objects.filter(title="路灯不亮").exists()
    assert not IssuePhoto.objects.exists()


def test_lists_are_scoped_by_role_and_area(file_issue, advance, resident, grid_officer, department_staff,
                                           command_centre):
    mine = file_issue()
    elsewhere_grid = User.objects.filter(role="grid_officer").exclude(grid=grid_officer.grid).exclude(
        grid__community=grid_officer.grid.community).select_related("grid").first().grid
    from grids.boundaries import to_shape

    point = to_shape(elsewhere_grid.boundary).representative_point()
    other = file_issue(filed_by=person("resident2"), lat=point.y, lng=point.x)

    def numbers(user):
        return {row["number"] for row in api_as(user).get("/api/v1/issues/", {"page_size": 100}).json()["results"]}

    assert numbers(resident) == {mine.number}
    assert numbers(person("resident2")) == {other.number}
    assert numbers(grid_officer) == {mine.number}
    assert numbers(person("community_staff")) == {mine.number}
    assert {mine.number, other.number} <= numbers(command_centre)
    assert numbers(department_staff) == set()
    assert api_as(person("resident2")).get(f"/api/v1/issues/{mine.pk}/").status_code == 404
    assert api_as(department_staff).get(f"/api/v1/issues/{mine.pk}/").status_code == 404


def test_the_list_costs_the_same_queries_whatever_the_page_size(file_issue, advance, command_centre,
                                                                django_assert_num_queries):
    for n in range(12):
        issue = file_issue(title=f"问题{n}")
        if n % 2 == 0:  # every page holds dispatched issues (with a handler) and new ones (without)
            advance(issue, Status.DISPATCHED)
    client = api_as(command_centre)
    counts = []
    for size in (2, 12):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            rows = client.get("/api/v1/issues/", {"page_size": size}).json()["results"]
        assert len(rows) == size
        counts.append(len(queries))
    # The token, the count, the page, then one query per related table shown (category with its parent,
    # grid, community, street, handler) – never one per row.
    assert counts[0] == counts[1] <= 8


def test_filters(file_issue, advance, command_centre, categories):
    open_one = file_issue(title="甲")
    dispatched = advance(file_issue(title="乙", category=categories.get(code="heating")), Status.DISPATCHED)
    Issue.objects.filter(pk=dispatched.pk).update(response_due="2020-01-01T00:00:00Z")
    client = api_as(command_centre)

    def titles(**query):
        return {row["title"] for row in client.get("/api/v1/issues/", {**query, "page_size": 200}).json()["results"]}

    assert titles(status="dispatched") >= {"乙"} and "甲" not in titles(status="dispatched")
    assert "甲" in titles(status="submitted,accepted")
    assert "乙" in titles(category="property") and "甲" not in titles(category="property")  # top includes children
    assert "乙" in titles(overdue="true") and "甲" not in titles(overdue="true")
    assert titles(q=open_one.number) == {"甲"}
    assert titles(grid=open_one.grid.code) >= {"甲", "乙"}
    assert client.get("/api/v1/issues/", {"status": "lost"}).status_code == 400


def test_phone_numbers_are_masked_for_all_but_the_handling_staff(file_issue, advance, street_staff, community_staff,
                                                                 grid_officer):
    issue = file_issue(filed_by=person("command_centre"), channel="hotline", reporter_name="王建国",
                       reporter_phone="13812341234")
    assert api_as(street_staff).get(f"/api/v1/issues/{issue.pk}/").json()["reporter"] == {
        "name": "王**", "phone": "138****1234"}
    assert api_as(community_staff).get(f"/api/v1/issues/{issue.pk}/").json()["reporter"]["phone"] == "13812341234"
    assert api_as(grid_officer).get(f"/api/v1/issues/{issue.pk}/").json()["reporter"]["phone"] == "138****1234"
    advance(issue, Status.DISPATCHED)  # now the grid officer handles it
    assert api_as(grid_officer).get(f"/api/v1/issues/{issue.pk}/").json()["reporter"]["phone"] == "13812341234"


def test_actions_through_the_api(file_issue, resident, community_staff, grid_officer):
    issue = file_issue()
    url = f"/api/v1/issues/{issue.pk}"
    refused = api_as(resident).post(f"{url}/accept/", {}, format="json")
    assert refused.status_code == 403 and refused.json()["detail"]
    stale = api_as(community_staff).post(f"{url}/accept/", {"version": 9}, format="json")
    assert stale.status_code == 409
    accepted = api_as(community_staff).post(f"{url}/accept/", {"version": 1, "note": "已受理"}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert api_as(community_staff).post(f"{url}/accept/", {}, format="json").status_code == 409
    bad_handler = api_as(community_staff).post(f"{url}/dispatch/", {"handler": "street_staff"}, format="json")
    assert bad_handler.status_code == 400 and bad_handler.json()["field"] == "handler"
    steps = [
        (community_staff, "dispatch", {"handler": "grid_officer"}),
        (grid_officer, "respond", {}),
        (grid_officer, "resolve", {"result": "已更换灯泡"}),
        (community_staff, "return", {"note": "另一盏也不亮"}),
        (grid_officer, "respond", {}),
        (grid_officer, "resolve", {"result": "两盏都已更换"}),
        (community_staff, "close", {}),
        (resident, "rate", {"rating": "dissatisfied", "comment": "又坏了"}),
    ]
    for actor, action, body in steps:
        response = api_as(actor).post(f"{url}/{action}/", body, format="json")
        assert response.status_code == 200, (action, response.content)
    assert response.json()["status"] == "dispatched" and response.json()["reopen_count"] == 1
    events = api_as(community_staff).get(f"{url}/events/").json()
    assert [e["action"] for e in events] == ["submit", "accept", "dispatch", "respond", "resolve", "return", "respond",
                                             "resolve", "close", "rate", "reopen"]


def test_the_timeline_hides_a_residents_name_from_staff_who_do_not_handle_it(file_issue, street_staff,
                                                                            community_staff):
    issue = file_issue()
    submit = api_as(street_staff).get(f"/api/v1/issues/{issue.pk}/events/").json()[0]
    assert submit["actor"]["username"] is None and submit["actor"]["role"] == "resident"
    assert api_as(community_staff).get(f"/api/v1/issues/{issue.pk}/events/").json()[0]["actor"]["username"] == "resident"


def test_another_resident_adds_their_voice(file_issue):
    issue = file_issue()
    client = api_as(person("resident2"))
    assert client.post(f"/api/v1/issues/{issue.pk}/support/").json() == {"supporter_count": 1}
    assert client.post(f"/api/v1/issues/{issue.pk}/support/").status_code == 409
    assert api_as(person("resident")).post(f"/api/v1/issues/{issue.pk}/support/").status_code == 403


def test_categories_are_a_two_level_tree(categories):
    tree = APIClient().get("/api/v1/categories/").json()
    environment = next(c for c in tree if c["code"] == "environment")
    assert environment["name"] == "环境卫生"
    assert {child["code"] for child in environment["children"]} >= {"garbage", "snow"}
    assert all(child["parent"] == "environment" for child in environment["children"])


def test_the_schema_describes_every_issue_call():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    paths = set(schema["paths"])
    for path in ["/api/v1/auth/token/", "/api/v1/issues/", "/api/v1/issues/{id}/", "/api/v1/issues/{id}/events/",
                 "/api/v1/categories/"] + [f"/api/v1/issues/{{id}}/{a}/" for a in (
                     "accept", "reject", "withdraw", "dispatch", "respond", "resolve", "close", "return", "rate",
                     "support")]:
        assert path in paths, path


def test_department_staff_without_a_department_see_no_issues(file_issue):
    from issues import selectors

    file_issue()
    drifting = User.objects.create_user(username="no-department", role=Role.DEPARTMENT_STAFF)
    assert not selectors.issue_scope(drifting).exists()
