"""Bad input the API fuzzer (tests/fuzz) found answering 500, each answered 4xx with a message now.

They run on SQLite too, where the database would have taken the input: the assertions are on the
answer a client reads, which says what was wrong."""
import pytest
from rest_framework.test import APIClient

from tests.issues.conftest import advance, categories, file_issue, garbage, spot_in_officers_grid  # noqa: F401

NUL_REFUSED = "Null characters are not allowed."


def api_as(user):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


def test_a_whistle_naming_its_category_with_a_nul_character_is_refused(resident, spot_in_officers_grid):  # noqa: F811
    # Found on PostgreSQL: "PostgreSQL text fields cannot contain NUL (0x00) bytes" from the category lookup.
    lat, lng = spot_in_officers_grid
    answer = api_as(resident).post("/api/v1/issues/?lang=en", {
        "title": "垃圾堆了三天没人清", "description": "小区东门垃圾桶满了。", "category": "garbage\x00",
        "lat": lat, "lng": lng}, format="json")
    assert answer.status_code == 400
    assert answer.json()["category"] == [NUL_REFUSED]


def test_a_meeting_with_a_nul_character_in_a_username_is_refused(command_centre):
    # Found on PostgreSQL: the chair's and the attendees' usernames are looked up as given.
    client = api_as(command_centre)
    for field, value in [("chair", "leader\x00"), ("attendees", ["leader", "\x00"])]:
        answer = client.post("/api/v1/supervision/meetings/?lang=en",
                             {"held_on": "2026-03-02", "title": "听哨调度会", field: value}, format="json")
        assert answer.status_code == 400, field
        assert NUL_REFUSED in str(answer.json()[field]), field


def test_a_dispatch_to_a_handler_with_a_nul_character_is_refused(file_issue, advance, community_staff):  # noqa: F811
    issue = advance(file_issue(), "accepted")
    answer = api_as(community_staff).post(f"/api/v1/issues/{issue.pk}/dispatch/?lang=en",
                                          {"handler": "grid_officer\x00"}, format="json")
    assert answer.status_code == 400
    assert answer.json()["handler"] == [NUL_REFUSED]
    issue.refresh_from_db()
    assert issue.status == "accepted"


def test_an_accountability_record_against_a_nul_department_is_refused(file_issue, command_centre):  # noqa: F811
    issue = file_issue()
    answer = api_as(command_centre).post("/api/v1/accountability/?lang=en", {
        "issue": issue.number, "kind": "inaction", "facts": "受理后两日未派单", "department": "\x00urban"},
        format="json")
    assert answer.status_code == 400
    assert answer.json()["department"] == [NUL_REFUSED]


@pytest.mark.parametrize("code", ["garbage", "no-such-category"])
def test_a_category_without_nul_is_looked_up_as_before(resident, spot_in_officers_grid, code):  # noqa: F811
    lat, lng = spot_in_officers_grid
    answer = api_as(resident).post("/api/v1/issues/?lang=en", {
        "title": "垃圾堆了三天没人清", "description": "小区东门垃圾桶满了。", "category": code,
        "lat": lat, "lng": lng}, format="json")
    assert answer.status_code == (201 if code == "garbage" else 400), answer.content
    if code != "garbage":
        assert "does not exist" in answer.json()["category"][0]
