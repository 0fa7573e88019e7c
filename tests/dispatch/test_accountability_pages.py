"""The accountability list in the officers' pages and the API: who sees which records (role × area),
the inspectors' decisions, records by hand, errors, and a fixed number of queries per page."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from dispatch.models import AccountabilityRecord, Outcome, RecordKind, RecordState
from grids.boundaries import to_shape
from grids.models import Department, Grid, User
from issues import services
from issues.lifecycle import Status
from issues.models import Issue, Tier
from tests.factories import api_as

pytestmark = pytest.mark.django_db

DISTRICT_ROLES = ["command_centre", "leader", "inspector", "admin"]


def spot(grid):
    point = to_shape(grid.boundary).representative_point()
    return {"lat": point.y, "lng": point.x}


def record_on(issue, **fields):
    fields.setdefault("kind", RecordKind.SLOW)
    fields.setdefault("facts", "未在办结时限内办结")
    return AccountabilityRecord.objects.create(issue=issue, **fields)


@pytest.fixture
def story(file_issue, grid_officer, department_staff):
    """Five records: two in the officer's grid (one naming them, one naming 城管), one elsewhere in the
    officer's community, one in another street dispatched to 城管, one in another street naming another
    department."""
    here = file_issue()
    same_community = Grid.objects.filter(community=grid_officer.grid.community).exclude(pk=grid_officer.grid_id).first()
    other_street = Grid.objects.exclude(community__street=grid_officer.grid.community.street).order_by("code")
    neighbour = file_issue(**spot(same_community))
    dispatched = file_issue(**spot(other_street[0]))
    Issue.objects.filter(pk=dispatched.pk).update(handler_department=department_staff.department)
    elsewhere = file_issue(**spot(other_street[1]))
    other_department = Department.objects.exclude(pk=department_staff.department_id).first()
    return {
        "officer": record_on(here, kind=RecordKind.NO_RESPONSE, person=grid_officer, tier=Tier.COMMUNITY,
                             community=here.community),
        "named_department": record_on(here, department=department_staff.department),
        "neighbour": record_on(neighbour, kind=RecordKind.INACTION, tier=Tier.COMMUNITY, community=neighbour.community),
        "dispatched": record_on(dispatched, tier=Tier.DISTRICT),
        "elsewhere": record_on(elsewhere, department=other_department),
    }


EVERY_RECORD = {"officer", "named_department", "neighbour", "dispatched", "elsewhere"}
VISIBLE = {
    **{username: EVERY_RECORD for username in DISTRICT_ROLES},
    "street_staff": {"officer", "named_department", "neighbour"},
    "community_staff": {"officer", "named_department", "neighbour"},
    "grid_officer": {"officer", "named_department"},
    "department_staff": {"named_department", "dispatched"},
}


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_who_sees_which_records(story, signed_in, username):
    user = User.objects.get(username=username)
    expected = {story[name].pk for name in VISIBLE[username]}

    answer = api_as(user).get("/api/v1/accountability/", {"page_size": 200})
    assert answer.status_code == 200
    assert {row["id"] for row in answer.json()["results"]} >= expected
    mine = {row["id"] for row in answer.json()["results"]} & {record.pk for record in story.values()}
    assert mine == expected

    page = signed_in(user).get("/accountability/", {"page_size": 100})
    assert page.status_code == 200
    shown = {record.pk for record in page.context["page"].object_list} & {record.pk for record in story.values()}
    assert shown == expected

    for name, record in story.items():
        status = 200 if name in VISIBLE[username] else 404
        assert api_as(user).get(f"/api/v1/accountability/{record.pk}/").status_code == status, name
        assert signed_in(user).get(f"/accountability/{record.pk}/").status_code == status, name


def test_residents_see_nothing(story, signed_in, resident):
    assert signed_in(resident).get("/accountability/").status_code == 403
    assert api_as(resident).get("/api/v1/accountability/").status_code == 403
    assert api_as(resident).get(f"/api/v1/accountability/{story['officer'].pk}/").status_code == 403
    assert signed_in(resident).get(f"/accountability/{story['officer'].pk}/").status_code == 404
    assert APIClient().get("/api/v1/accountability/").status_code in (401, 403)


def test_the_list_filters_and_counts_per_state(story, signed_in, inspector, grid_officer):
    story["elsewhere"].state = RecordState.DISMISSED
    story["elsewhere"].save()
    client = signed_in(inspector)
    page = client.get("/accountability/")
    counts = {value: count for value, _label, count in page.context["states"]}
    assert counts[RecordState.CANDIDATE] >= 4 and counts[RecordState.DISMISSED] >= 1
    assert 'id="state-counts"' in page.content.decode()

    def shown(**query):
        answer = client.get("/accountability/", query)
        assert answer.status_code == 200
        return {record.pk for record in answer.context["page"].object_list}

    assert story["elsewhere"].pk in shown(state="dismissed") and story["officer"].pk not in shown(state="dismissed")
    assert shown(kind="inaction") >= {story["neighbour"].pk} and story["officer"].pk not in shown(kind="inaction")
    community = grid_officer.grid.community
    assert shown(unit=f"community:{community.code}") >= {story["officer"].pk, story["neighbour"].pk}
    assert story["dispatched"].pk in shown(unit="district") and story["officer"].pk not in shown(unit="district")
    department = story["named_department"].department
    assert story["named_department"].pk in shown(unit=f"department:{department.code}")
    assert shown(issue=story["officer"].issue.number) == {story["officer"].pk, story["named_department"].pk}
    assert client.get("/accountability/", {"state": "bogus"}).status_code == 200  # ignored, and said so
    # The tab "All" leaves the state chosen (an empty href would stay on the same page).
    assert '<a href="/accountability/" aria-current="page">' in client.get("/accountability/").content.decode()
    assert '<a href="/accountability/">' in client.get("/accountability/", {"state": "dismissed"}).content.decode()

    api = api_as(inspector)
    assert {row["id"] for row in api.get("/api/v1/accountability/", {"kind": "inaction"}).json()["results"]} >= {
        story["neighbour"].pk}
    assert api.get("/api/v1/accountability/", {"state": "bogus"}).status_code == 400


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_a_page_costs_the_same_queries_for_2_and_12_records(file_issue, signed_in, inspector, grid_officer,
                                                           department_staff):
    issue = file_issue()
    make = [dict(person=grid_officer, tier=Tier.COMMUNITY, community=issue.community),
            dict(department=department_staff.department, tier=Tier.STREET, street=issue.street)]
    for fields in make:
        record_on(issue, **fields)
    AccountabilityRecord.objects.exclude(issue=issue).delete()
    page, api = signed_in(inspector), api_as(inspector)
    few = (_queries(page, "/accountability/"), _queries(api, "/api/v1/accountability/"))
    for n in range(10):
        record_on(file_issue(), **make[n % 2], decided_by=inspector if n % 3 else None)
    assert AccountabilityRecord.objects.count() == 12
    many = (_queries(page, "/accountability/"), _queries(api, "/api/v1/accountability/"))
    assert few == many


# A record's page and the decision ------------------------------------------------------------------

@pytest.fixture
def slow_record(file_issue, advance):
    issue = advance(file_issue(), Status.DISPATCHED)
    services.issue_mark_overdue(issue=issue, deadline="resolution", due=issue.resolution_due)
    return AccountabilityRecord.objects.get(issue=issue)


def test_the_record_page_shows_the_facts_the_trace_and_the_issue(slow_record, signed_in, inspector, district_leader):
    page = signed_in(inspector).get(f"/accountability/{slow_record.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="trace"' in html and slow_record.issue.community.name in html
    assert f'href="/issues/{slow_record.issue.number}/"' in html
    assert 'id="confirm-form"' in html and 'id="dismiss-form"' in html
    assert len(page.context["trace"]) == 2 and page.context["trace"][-1].end is None
    # The leader reads the record but does not decide.
    page = signed_in(district_leader).get(f"/accountability/{slow_record.pk}/")
    assert page.status_code == 200 and 'id="confirm-form"' not in page.content.decode()


def test_an_inspector_confirms_on_the_page(slow_record, signed_in, inspector):
    client = signed_in(inspector)
    answer = client.post(f"/accountability/{slow_record.pk}/confirm/", {"outcome": "criticism", "note": "通报批评"})
    assert answer.status_code == 302
    slow_record.refresh_from_db()
    assert (slow_record.state, slow_record.outcome) == (RecordState.CONFIRMED, Outcome.CRITICISM)
    page = client.get(answer["Location"])
    assert 'id="decision"' in page.content.decode() and 'id="confirm-form"' not in page.content.decode()
    again = client.post(f"/accountability/{slow_record.pk}/dismiss/", {"reason": "改判"})
    assert again.status_code == 409


def test_decision_errors_stay_in_the_form_with_the_input(slow_record, signed_in, inspector):
    client = signed_in(inspector)
    answer = client.post(f"/accountability/{slow_record.pk}/confirm/", {"outcome": "commendation",
                                                                        "note": "我写下的理由"})
    assert answer.status_code == 400
    assert answer.context["confirm_form"].errors and "我写下的理由" in answer.content.decode()
    answer = client.post(f"/accountability/{slow_record.pk}/dismiss/", {"reason": ""})
    assert answer.status_code == 400 and answer.context["dismiss_form"].errors["reason"]
    assert answer.context["open_decision"] == "dismiss"
    assert AccountabilityRecord.objects.get(pk=slow_record.pk).state == RecordState.CANDIDATE


@pytest.mark.parametrize("username", ["leader", "command_centre", "street_staff"])
def test_others_cannot_decide_on_the_page(slow_record, signed_in, username):
    client = signed_in(User.objects.get(username=username))
    answer = client.post(f"/accountability/{slow_record.pk}/confirm/", {"outcome": "talk"})
    assert answer.status_code == 403
    assert client.post(f"/accountability/{slow_record.pk}/dismiss/", {"reason": "不追究"}).status_code == 403
    assert AccountabilityRecord.objects.get(pk=slow_record.pk).state == RecordState.CANDIDATE


# Records by hand -----------------------------------------------------------------------------------

def test_the_issue_page_links_to_recording_for_the_district(file_issue, signed_in, command_centre, street_staff):
    issue = file_issue()
    assert 'id="record-accountability"' in signed_in(command_centre).get(f"/issues/{issue.number}/").content.decode()
    assert 'id="record-accountability"' not in signed_in(street_staff).get(f"/issues/{issue.number}/").content.decode()


def test_recording_by_hand_on_the_page(file_issue, signed_in, command_centre, community_staff, street_staff):
    issue = services.issue_reject(issue=file_issue(), actor=community_staff, reason="out_of_scope", note="不归我们管")
    client = signed_in(command_centre)
    form = client.get("/accountability/new/", {"issue": issue.number})
    assert form.status_code == 200 and community_staff.username in form.content.decode()  # who acted is offered

    answer = client.post(f"/accountability/new/?issue={issue.number}", {"kind": "inaction", "facts": "违规拒绝受理"})
    assert answer.status_code == 400 and "违规拒绝受理" in answer.content.decode()
    assert answer.context["form"].errors["unit"]

    answer = client.post(f"/accountability/new/?issue={issue.number}", {
        "kind": "inaction", "facts": "违规拒绝受理", "unit": "community", "person": community_staff.username})
    assert answer.status_code == 302
    record = AccountabilityRecord.objects.get(issue=issue)
    assert (record.kind, record.automatic, record.community_id, record.person, record.created_by) == (
        RecordKind.INACTION, False, issue.community_id, community_staff, command_centre)
    page = client.get(answer["Location"])
    assert page.status_code == 200 and str(community_staff) in page.content.decode()
    assert str(command_centre) in page.content.decode()  # recorded by hand, by whom

    assert signed_in(street_staff).get("/accountability/new/", {"issue": issue.number}).status_code == 403
    assert client.get("/accountability/new/", {"issue": "JH-00000000-0000"}).status_code == 404


# The API ------------------------------------------------------------------------------------------

def test_the_api_records_by_hand_and_decides(file_issue, command_centre, inspector, district_leader, street_staff,
                                              department_staff):
    issue = file_issue()
    body = {"issue": issue.number, "kind": "false_whistle", "facts": "无正当理由向上吹哨", "tier": "community"}
    assert api_as(street_staff).post("/api/v1/accountability/", body, format="json").status_code == 403
    for bad, field in [({**body, "kind": "lazy"}, "kind"), ({**body, "facts": ""}, "facts"),
                       ({**body, "tier": ""}, "field"), ({**body, "issue": "JH-00000000-0000"}, "field"),
                       ({**body, "department": "no-such"}, "department")]:
        answer = api_as(command_centre).post("/api/v1/accountability/", bad, format="json")
        assert answer.status_code == 400, bad
        assert field in answer.json(), answer.json()
    created = api_as(command_centre).post("/api/v1/accountability/", body, format="json")
    assert created.status_code == 201
    record = created.json()
    assert (record["kind"], record["automatic"], record["state"], record["community"]["code"]) == (
        "false_whistle", False, "candidate", issue.community.code)
    assert record["trace"] and record["trace"][0]["tier"] == "community"

    url = f"/api/v1/accountability/{record['id']}/"
    assert api_as(inspector).get(url).json()["trace"][0]["unit"] == issue.community.name
    assert api_as(district_leader).post(url + "confirm/", {"outcome": "talk"}, format="json").status_code == 403
    bad = api_as(inspector).post(url + "confirm/", {"outcome": "commendation"}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "outcome"
    assert api_as(inspector).post(url + "dismiss/", {"reason": ""}, format="json").status_code == 400
    done = api_as(inspector).post(url + "confirm/", {"outcome": "accountability", "note": "问责"}, format="json")
    assert done.status_code == 200 and (done.json()["state"], done.json()["outcome"]) == ("confirmed", "accountability")
    assert api_as(inspector).post(url + "dismiss/", {"reason": "改判"}, format="json").status_code == 409
    # Not in their scope: not found, before anything is decided.
    assert api_as(department_staff).post(url + "confirm/", {"outcome": "talk"}, format="json").status_code == 404


def test_the_schema_describes_the_accountability_calls():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    for path in ["/api/v1/accountability/", "/api/v1/accountability/{id}/", "/api/v1/accountability/{id}/confirm/",
                 "/api/v1/accountability/{id}/dismiss/"]:
        assert path in schema["paths"], path


def test_the_accountability_list_exports_every_matching_record(signed_in, inspector, file_issue, community_staff,
                                                                street_staff):
    import csv
    import io

    from issues import services as issue_services

    issue = issue_services.issue_accept(issue=file_issue(), actor=community_staff)
    issue = issue_services.issue_escalate(issue=issue, actor=community_staff, reason="请街道处理")
    issue_services.issue_send_back(issue=issue, actor=street_staff, reason="社区可自行解决", unjustified=True)
    response = signed_in(inspector).get("/accountability/?format=csv")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][0] == issue.number and "乱吹哨" in rows[1][2]
