"""The supervision list's officer pages and its API: scoping, the forms (errors shown, input kept),
the error codes, and lists that are a fixed number of queries whatever their size."""
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dispatch import supervision
from dispatch.models import DispatchMeeting, Instruction, ProgressReport, SupervisionItem
from grids.models import Role, Street, User
from issues.lifecycle import Status
from tests.forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervised(file_issue, advance, command_centre):
    def make(status=Status.DISPATCHED, **overrides):
        fields = dict(issue=advance(file_issue(), status), actor=command_centre, instruction="三日内清运完毕并报告。")
        fields.update(overrides)
        return supervision.supervision_open(**fields)

    return make


@pytest.fixture
def other_street_staff(street_staff):
    return User.objects.create(username="other_street", role=Role.STREET_STAFF,
                               street=Street.objects.exclude(pk=street_staff.street_id).first())


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def english(client):
    client.cookies["django_language"] = "en"
    return client


# Pages -------------------------------------------------------------------------------------------

def test_the_list_shows_the_items_in_scope(signed_in, supervised, street_staff, other_street_staff):
    item = supervised()
    page = signed_in(street_staff).get("/supervision/")
    assert page.status_code == 200 and f'data-item="{item.pk}"'.encode() in page.content
    elsewhere = signed_in(other_street_staff).get("/supervision/")
    assert f'data-item="{item.pk}"'.encode() not in elsewhere.content
    assert signed_in(other_street_staff).get(f"/supervision/{item.pk}/").status_code == 404


def test_residents_are_refused(signed_in, resident):
    assert signed_in(resident).get("/supervision/").status_code == 403
    assert signed_in(resident).get("/supervision/meetings/").status_code == 403


def test_the_list_filters(signed_in, supervised, command_centre, community_staff, grid_officer):
    open_item = supervised()
    late = supervised(due=timezone.now() + timedelta(minutes=5))
    closed = supervised(status=Status.RESPONDED)
    from issues import services

    services.issue_resolve(issue=closed.issue, actor=grid_officer, result="已清运")
    services.issue_close(issue=closed.issue, actor=community_staff)
    client = signed_in(command_centre)
    shown = client.get("/supervision/").content
    assert f'data-item="{open_item.pk}"'.encode() in shown and f'data-item="{closed.pk}"'.encode() not in shown
    shown = client.get("/supervision/", {"state": "closed"}).content
    assert f'data-item="{closed.pk}"'.encode() in shown and f'data-item="{open_item.pk}"'.encode() not in shown
    SupervisionItem.objects.filter(pk=late.pk).update(due=timezone.now() - timedelta(minutes=1))
    shown = client.get("/supervision/", {"overdue": "yes"}).content
    assert f'data-item="{late.pk}"'.encode() in shown and f'data-item="{open_item.pk}"'.encode() not in shown
    shown = client.get("/supervision/", {"source": "overdue"}).content
    assert b"data-item=" not in shown


@pytest.mark.parametrize("count", [2, 12])
def test_the_list_is_a_fixed_number_of_queries(signed_in, supervised, command_centre, count,
                                               django_assert_num_queries):
    for _ in range(count):
        supervised()
    client = signed_in(command_centre)
    # the session, the user, the count, the rows
    with django_assert_num_queries(4):
        page = client.get("/supervision/")
    assert page.content.count(b"data-item=") == count


@pytest.mark.parametrize("count", [2, 12])
def test_the_meeting_list_is_a_fixed_number_of_queries(signed_in, command_centre, count, django_assert_num_queries):
    for number in range(count):
        supervision.meeting_record(actor=command_centre, held_on=timezone.localdate(), title=f"第{number}次听哨",
                                   chair=command_centre)
    client = signed_in(command_centre)
    with django_assert_num_queries(4):
        page = client.get("/supervision/meetings/")
    assert page.content.count(b"data-meeting=") == count


def test_the_issue_page_offers_supervision_to_the_command_centre_only(signed_in, file_issue, command_centre,
                                                                      community_staff):
    issue = file_issue()
    assert b'id="supervise-issue"' in signed_in(command_centre).get(f"/issues/{issue.number}/").content
    assert b'id="supervise-issue"' not in signed_in(community_staff).get(f"/issues/{issue.number}/").content


def test_putting_an_issue_on_supervision_from_the_form(signed_in, file_issue, command_centre, district_leader):
    issue = file_issue()
    client = signed_in(command_centre)
    form = client.get("/supervision/new/", {"issue": issue.number})
    data = form_data(form.content.decode(), "supervision-open")
    assert data["issue"] == issue.number
    data.update(instruction="限期三日办结", supervisor=str(district_leader.pk))
    answer = client.post("/supervision/new/", data)
    item = SupervisionItem.objects.get(issue=issue)
    assert answer.status_code == 302 and answer["Location"] == f"/supervision/{item.pk}/"
    assert item.supervisor == district_leader and item.instruction == "限期三日办结"
    again = client.post("/supervision/new/", data)
    assert again.status_code == 409 and "限期三日办结".encode() in again.content


def test_the_open_form_keeps_the_input_on_errors(signed_in, command_centre):
    client = english(signed_in(command_centre))
    answer = client.post("/supervision/new/", {"issue": "JH-NOPE", "instruction": "我的批示文字"})
    assert answer.status_code == 400
    assert b"No issue with this tracking number." in answer.content
    assert form_data(answer.content.decode(), "supervision-open")["instruction"].strip() == "我的批示文字"
    answer = client.post("/supervision/new/", {"issue": "", "instruction": ""})
    assert answer.status_code == 400 and b"errorlist" in answer.content


def test_only_the_supervising_roles_open_the_form(signed_in, street_staff):
    assert signed_in(street_staff).get("/supervision/new/").status_code == 403


def test_instructions_and_reports_from_the_item_page(signed_in, supervised, command_centre, community_staff,
                                                    street_staff):
    item = supervised()
    page = signed_in(command_centre).get(f"/supervision/{item.pk}/").content.decode()
    assert 'id="instruction-form"' in page and 'id="report-form"' in page
    assert f'href="/issues/{item.issue.number}/"' in page
    answer = signed_in(command_centre).post(f"/supervision/{item.pk}/instructions/", {"text": "周五前办结"})
    assert answer.status_code == 302 and Instruction.objects.get(item=item).text == "周五前办结"
    holder = signed_in(community_staff)
    page = holder.get(f"/supervision/{item.pk}/").content.decode()
    assert 'id="instruction-form"' not in page and 'id="report-form"' in page
    assert holder.post(f"/supervision/{item.pk}/reports/", {"text": "已安排清运"}).status_code == 302
    assert ProgressReport.objects.get(item=item).author == community_staff
    onlooker = signed_in(street_staff)
    page = onlooker.get(f"/supervision/{item.pk}/").content.decode()
    assert 'id="report-form"' not in page and "周五前办结" in page and "已安排清运" in page
    assert onlooker.post(f"/supervision/{item.pk}/reports/", {"text": "我也说两句"}).status_code == 403


def test_a_bad_report_shows_the_error_and_keeps_the_form(signed_in, supervised, command_centre):
    item = supervised()
    client = signed_in(command_centre)
    answer = client.post(f"/supervision/{item.pk}/instructions/", {"text": "周五前办结", "due": "2000-01-01T09:00"})
    assert answer.status_code == 400
    assert form_data(answer.content.decode(), "instruction-form")["text"].strip() == "周五前办结"
    assert not Instruction.objects.exists()


def test_recording_a_meeting_from_the_form(signed_in, supervised, command_centre, district_leader, street_staff):
    first, second = supervised(), supervised()
    client = signed_in(command_centre)
    form = client.get("/supervision/meetings/new/")
    assert form.status_code == 200
    data = form_data(form.content.decode(), "meeting-form")
    data.update({"held_on": "2026-11-20", "title": "第12次听哨调度会", "chair": str(district_leader.pk),
                 f"decision_{first.pk}": "城管牵头三日内清运", f"due_{first.pk}": "2030-11-23T18:00"})
    data["attendees"] = [str(street_staff.pk), str(district_leader.pk)]
    answer = client.post("/supervision/meetings/new/", data)
    meeting = DispatchMeeting.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/supervision/meetings/{meeting.pk}/"
    instruction = Instruction.objects.get(decision__meeting=meeting)
    assert (instruction.item_id, instruction.text) == (first.pk, "城管牵头三日内清运")
    assert not Instruction.objects.filter(item=second).exists()
    page = client.get(f"/supervision/meetings/{meeting.pk}/").content.decode()
    assert "城管牵头三日内清运" in page and first.issue.number in page
    assert "城管牵头三日内清运" in client.get(f"/supervision/{first.pk}/").content.decode()


def test_a_bad_meeting_keeps_what_was_typed(signed_in, supervised, command_centre):
    item = supervised()
    client = signed_in(command_centre)
    answer = client.post("/supervision/meetings/new/", {"held_on": "", "title": "听哨会",
                                                        f"due_{item.pk}": "2030-11-23T18:00", "notes": "会议记录"})
    assert answer.status_code == 400
    kept = form_data(answer.content.decode(), "meeting-form")
    assert kept["title"] == "听哨会" and kept["notes"].strip() == "会议记录"
    assert not DispatchMeeting.objects.exists()


# API ---------------------------------------------------------------------------------------------

def test_the_api_lists_the_items_in_scope(supervised, street_staff, other_street_staff, resident):
    item = supervised()
    listed = api_for(street_staff).get("/api/v1/supervision/items/").json()
    assert [row["id"] for row in listed["results"]] == [item.pk]
    assert listed["results"][0]["issue"]["number"] == item.issue.number
    assert api_for(other_street_staff).get("/api/v1/supervision/items/").json()["count"] == 0
    assert api_for(resident).get("/api/v1/supervision/items/").json()["count"] == 0
    assert api_for(other_street_staff).get(f"/api/v1/supervision/items/{item.pk}/").status_code == 404
    assert APIClient().get("/api/v1/supervision/items/").status_code in (401, 403)


@pytest.mark.parametrize("count", [2, 12])
def test_the_api_list_is_a_fixed_number_of_queries(supervised, command_centre, count, django_assert_num_queries):
    for _ in range(count):
        supervised()
    client = api_for(command_centre)
    with django_assert_num_queries(2):
        listed = client.get("/api/v1/supervision/items/")
    assert listed.json()["count"] == count


def test_the_api_creates_an_item(file_issue, command_centre, district_leader, street_staff):
    issue = file_issue()
    client = api_for(command_centre)
    created = client.post("/api/v1/supervision/items/", {"issue": issue.number, "instruction": "限期办结",
                                                         "supervisor": district_leader.username}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["source"] == "manual" and body["supervisor"]["username"] == district_leader.username
    assert set(body["actions"]) == {"instructions", "reports"}
    again = client.post("/api/v1/supervision/items/", {"issue": issue.number, "instruction": "再督办"}, format="json")
    assert again.status_code == 409 and again.json()["detail"]
    refused = api_for(street_staff).post("/api/v1/supervision/items/", {"issue": issue.number, "instruction": "督办"},
                                         format="json")
    assert refused.status_code == 403 and refused.json()["detail"]


@pytest.mark.parametrize("payload", [
    {"instruction": "督办"},
    {"issue": "JH-NOPE", "instruction": "督办"},
    {"issue": "NUMBER", "instruction": ""},
    {"issue": "NUMBER", "instruction": "督办", "supervisor": "grid_officer"},
    {"issue": "NUMBER", "instruction": "督办", "due": "2000-01-01T00:00:00+08:00"},
])
def test_the_api_answers_bad_input_with_400(file_issue, command_centre, payload):
    issue = file_issue()
    payload = {key: issue.number if value == "NUMBER" else value for key, value in payload.items()}
    answer = api_for(command_centre).post("/api/v1/supervision/items/", payload, format="json")
    assert answer.status_code == 400, answer.json()
    assert answer.json()
    assert not SupervisionItem.objects.exists()


def test_the_api_posts_instructions_and_reports(supervised, command_centre, community_staff, street_staff,
                                                other_street_staff):
    item = supervised()
    url = f"/api/v1/supervision/items/{item.pk}/"
    answer = api_for(command_centre).post(url + "instructions/", {"text": "周五前办结"}, format="json")
    assert answer.status_code == 201 and answer.json()["instructions"][0]["text"] == "周五前办结"
    answer = api_for(community_staff).post(url + "reports/", {"text": "已安排清运"}, format="json")
    assert answer.status_code == 201 and answer.json()["reports"][0]["author"]["username"] == community_staff.username
    assert api_for(street_staff).post(url + "reports/", {"text": "插话"}, format="json").status_code == 403
    assert api_for(street_staff).post(url + "instructions/", {"text": "批示"}, format="json").status_code == 403
    assert api_for(other_street_staff).post(url + "reports/", {"text": "插话"}, format="json").status_code == 404
    assert api_for(command_centre).post(url + "reports/", {"text": ""}, format="json").status_code == 400


def test_the_api_records_and_shows_meetings(supervised, command_centre, district_leader, street_staff,
                                            other_street_staff):
    item = supervised()
    client = api_for(district_leader)
    created = client.post("/api/v1/supervision/meetings/", {
        "held_on": "2026-11-20", "title": "第12次听哨调度会", "place": "区指挥中心", "chair": district_leader.username,
        "attendees": [street_staff.username, command_centre.username], "notes": "研究垃圾清运",
        "decisions": [{"item": item.pk, "text": "城管牵头三日内清运", "due": "2030-11-23T18:00:00+08:00"}],
    }, format="json")
    assert created.status_code == 201, created.json()
    meeting = created.json()
    assert meeting["decisions"][0]["issue"] == item.issue.number
    assert {person["username"] for person in meeting["attendees"]} == {street_staff.username, command_centre.username}
    detail = api_for(command_centre).get(f"/api/v1/supervision/items/{item.pk}/").json()
    assert detail["instructions"][0]["meeting"] == meeting["id"]
    assert api_for(street_staff).get(f"/api/v1/supervision/meetings/{meeting['id']}/").status_code == 200
    assert api_for(other_street_staff).get(f"/api/v1/supervision/meetings/{meeting['id']}/").status_code == 404
    assert api_for(street_staff).get("/api/v1/supervision/meetings/").json()["count"] == 1
    refused = api_for(street_staff).post("/api/v1/supervision/meetings/", {"held_on": "2026-11-20", "title": "会"},
                                         format="json")
    assert refused.status_code == 403
    bad = client.post("/api/v1/supervision/meetings/", {"held_on": "2026-11-20", "title": "会", "decisions": [
        {"item": item.pk, "text": "一"}, {"item": item.pk, "text": "二"}]}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "decisions"
    assert DispatchMeeting.objects.count() == 1


def test_the_schema_describes_the_supervision_calls():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    for path in ["/api/v1/supervision/items/", "/api/v1/supervision/items/{id}/",
                 "/api/v1/supervision/items/{id}/instructions/", "/api/v1/supervision/items/{id}/reports/",
                 "/api/v1/supervision/meetings/", "/api/v1/supervision/meetings/{id}/"]:
        assert path in schema["paths"], path


def test_the_supervision_list_exports_every_matching_item(signed_in, command_centre, file_issue, advance):
    import csv
    import io

    from openpyxl import load_workbook

    from dispatch import supervision as supervision_services

    issues = [advance(file_issue(title=f"第{n}件督办"), Status.ACCEPTED) for n in range(3)]
    for issue in issues:
        supervision_services.supervision_open(issue=issue, actor=command_centre, instruction="限期办结",
                                              supervisor=command_centre, due=None)
    client = signed_in(command_centre)
    response = client.get("/supervision/?format=csv")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "诉求编号" and sorted(row[0] for row in rows[1:]) == sorted(i.number for i in issues)
    book = load_workbook(io.BytesIO(b"".join(client.get("/supervision/?format=xlsx").streaming_content)))
    sheet = book.active
    assert sheet.max_row == 4 and {sheet.cell(row=r, column=9).value for r in range(2, 5)} == {"限期办结"}


@pytest.mark.parametrize("role", [Role.COMMAND_CENTRE, Role.LEADER, Role.INSPECTOR, Role.STREET_STAFF,
                                  Role.COMMUNITY_STAFF, Role.GRID_OFFICER])
def test_the_issue_page_offers_supervision_and_accountability_to_exactly_whom_the_services_accept(
        signed_in, file_issue, role):
    from dispatch import accountability

    issue = file_issue()
    user = next(u for u in User.objects.filter(role=role, is_active=True).select_related("grid", "community", "street")
                if u.role in (Role.COMMAND_CENTRE, Role.LEADER, Role.INSPECTOR) or u.grid_id == issue.grid_id
                or u.community_id == issue.community_id or u.street_id == issue.street_id)
    page = signed_in(user).get(f"/issues/{issue.number}/")
    assert page.status_code == 200
    assert (b'id="supervise-issue"' in page.content) == supervision.may_supervise(user)
    assert (b'id="record-accountability"' in page.content) == accountability.may_record(user)
    assert supervision.may_supervise(user) == (role in (Role.COMMAND_CENTRE, Role.LEADER))
    assert accountability.may_record(user) == (role in (Role.COMMAND_CENTRE, Role.LEADER, Role.INSPECTOR))
