"""Every GeoReport v2 call, in JSON and XML, checked against the spec's names and types."""
import pytest
from grids.locate import grid_locate
from issues import services
from issues.lifecycle import Status
from issues.models import Channel, Issue, Priority

from .conftest import CALLER
from .spec import (
    ATTRIBUTE_FIELDS,
    CREATED_FIELDS,
    DATATYPES,
    SERVICE_FIELDS,
    body,
    children,
    requests_of,
    w3c,
    xml_bool,
)

FORMATS = ["json", "xml"]
pytestmark = pytest.mark.django_db


def created_of(response, fmt) -> dict:
    data = body(response, fmt)
    if fmt == "json":
        assert isinstance(data, list) and len(data) == 1
        assert list(data[0]) == CREATED_FIELDS
        return data[0]
    assert data.tag == "service_requests" and [e.tag for e in data] == ["request"]
    created = children(data[0])
    assert list(created) == CREATED_FIELDS
    return created


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_describes_the_endpoint_and_its_formats(open311, fmt):
    response = open311.get("discovery", fmt)
    assert response.status_code == 200
    data = body(response, fmt)
    if fmt == "json":
        w3c(data["changeset"])
        assert data["contact"]
        (endpoint,) = data["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == "http://testserver/open311/v2"
        assert endpoint["formats"] == ["application/json", "text/xml"]
    else:
        assert data.tag == "discovery"
        w3c(data.findtext("changeset"))
        endpoints = data.find("endpoints")
        assert [e.tag for e in endpoints] == ["endpoint"]
        assert endpoints[0].findtext("url") == "http://testserver/open311/v2"
        assert [f.text for f in endpoints[0].find("formats")] == ["application/json", "text/xml"]
        assert {f.tag for f in endpoints[0].find("formats")} == {"format"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_sub_categories_with_metadata_where_they_ask_questions(open311, service_attributes, fmt):
    response = open311.get("services", fmt)
    assert response.status_code == 200
    data = body(response, fmt)
    if fmt == "json":
        services = data
    else:
        assert data.tag == "services" and {e.tag for e in data} == {"service"}
        services = [children(e) for e in data]
        for service in services:
            service["metadata"] = xml_bool(service["metadata"])
    assert all(list(service) == SERVICE_FIELDS for service in services)
    by_code = {service["service_code"]: service for service in services}
    assert len(by_code) == 31  # every sub-category of the seeded tree
    heating = by_code["heating"]
    assert heating["service_name"] == "供暖不热" and heating["group"] == "物业管理"
    assert heating["type"] == "realtime" and heating["metadata"] is True
    assert "Heating not warm" in heating["keywords"].split(",")
    assert by_code["garbage"]["metadata"] is False
    assert {code for code, s in by_code.items() if s["metadata"]} == {"heating", "elevator", "snow"}


def test_services_speak_english_when_asked(open311, categories):
    services = body(open311.get("services", lang="en"), "json")
    assert {s["service_code"]: s["service_name"] for s in services}["garbage"] == "Rubbish collection"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_lists_its_attributes_with_values(open311, service_attributes, fmt):
    response = open311.get("services/elevator", fmt)
    assert response.status_code == 200
    data = body(response, fmt)
    if fmt == "json":
        assert list(data) == ["service_code", "attributes"]
        code, attributes = data["service_code"], data["attributes"]
    else:
        assert data.tag == "service_definition"
        assert [e.tag for e in data] == ["service_code", "attributes"]
        code = data.findtext("service_code")
        attributes = []
        for element in data.find("attributes"):
            assert element.tag == "attribute"
            attribute = children(element)
            attribute["variable"] = xml_bool(attribute["variable"])
            attribute["required"] = xml_bool(attribute["required"])
            attribute["order"] = int(attribute["order"])
            values = element.find("values")
            assert {v.tag for v in values} <= {"value"}
            attribute["values"] = [children(v) for v in values]
            attributes.append(attribute)
    assert code == "elevator"
    assert all(list(a) == ATTRIBUTE_FIELDS for a in attributes)
    assert all(a["datatype"] in DATATYPES and isinstance(a["order"], int) for a in attributes)
    trapped = next(a for a in attributes if a["code"] == "people-trapped")
    assert trapped["datatype"] == "singlevaluelist" and trapped["required"] is True and trapped["variable"] is True
    assert trapped["values"] == [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}]
    assert [a["order"] for a in attributes] == sorted(a["order"] for a in attributes)


def test_a_service_without_questions_has_an_empty_definition(open311, categories):
    assert body(open311.get("services/garbage"), "json") == {"service_code": "garbage", "attributes": []}


@pytest.mark.parametrize("fmt", FORMATS)
def test_posting_files_a_whistle_in_the_right_grid_on_the_open311_channel(open311, whistle, hotline, grid_officer, fmt):
    response = open311.post(whistle(), fmt)
    assert response.status_code == 201
    created = created_of(response, fmt)
    issue = Issue.objects.get(number=created["service_request_id"])
    assert created["account_id"] is None  # ours for the caller: we keep none, and never echo theirs
    assert created["service_notice"]
    assert issue.grid == grid_officer.grid
    assert (issue.channel, issue.intake_client, issue.status) == (Channel.OPEN311, hotline, Status.SUBMITTED)
    assert issue.filed_by == hotline.account and issue.reporter is None
    assert (issue.reporter_name, issue.reporter_phone) == ("王建国", "13812345678")
    assert issue.reporter_contact == {"email": "wangjianguo@example.com", "device_id": "hotline-seat-42",
                                      "account_id": "caller-778899"}
    assert issue.media_url == "https://wx.example.cn/photos/abc.jpg"
    assert issue.title == "小区东门垃圾桶满了，三天没人清运。"
    submit = issue.events.get()
    assert submit.action == "submit" and submit.data["intake_client"] == hotline.code
    assert submit.data["channel"] == "open311"


def test_multipart_posts_work_too(open311, whistle):
    assert open311.post(whistle(), multipart=True).status_code == 201


@pytest.mark.parametrize("fmt", FORMATS)
def test_answers_to_attributes_are_stored_and_an_urgent_answer_makes_it_urgent(open311, whistle, service_attributes,
                                                                                fmt):
    response = open311.post(whistle(service_code="elevator", **{"attribute[people-trapped]": "yes",
                                                                "attribute[building-unit]": "3号楼2单元"}), fmt)
    assert response.status_code == 201
    issue = Issue.objects.get(number=created_of(response, fmt)["service_request_id"])
    assert issue.attributes == {"people-trapped": "yes", "building-unit": "3号楼2单元"}
    assert issue.priority == Priority.URGENT


def test_a_number_attribute_is_stored_as_a_number(open311, whistle, service_attributes):
    response = open311.post(whistle(service_code="heating", **{"attribute[indoor-temperature]": "14"}))
    issue = Issue.objects.get(number=body(response, "json")[0]["service_request_id"])
    assert issue.attributes == {"indoor-temperature": 14}
    assert issue.priority == Priority.NORMAL


def test_an_address_naming_a_grid_or_community_locates_without_coordinates(open311, whistle, grid_officer):
    grid = grid_officer.grid
    response = open311.post(whistle(lat=None, long=None, address_string=f"{grid.name}，菜市场北门"))
    issue = Issue.objects.get(number=body(response, "json")[0]["service_request_id"])
    assert issue.grid == grid and issue.address == f"{grid.name}，菜市场北门"
    assert grid_locate(lat=issue.lat, lng=issue.lng).grid_code == grid.code
    response = open311.post(whistle(lat=None, long=None, address_string="亨达小区门口"))
    issue = Issue.objects.get(number=body(response, "json")[0]["service_request_id"])
    assert issue.community.name == "亨达社区"


def test_a_repeat_with_the_same_idempotency_key_answers_the_first_request(open311, whistle):
    first = open311.post(whistle(), headers={"Idempotency-Key": "call-1"})
    again = open311.post(whistle(), headers={"Idempotency-Key": "call-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert body(first, "json") == body(again, "json")
    assert Issue.objects.filter(channel=Channel.OPEN311).count() == 1


def file(open311, whistle, **overrides) -> str:
    response = open311.post(whistle(**overrides))
    assert response.status_code == 201, response.content
    return body(response, "json")[0]["service_request_id"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_lists_recent_requests_with_the_specs_fields(open311, whistle, file_issue, fmt):
    number = file(open311, whistle)
    web = file_issue()  # filed in the browser: listed too, without its reporter
    items = requests_of(open311.get("requests", fmt), fmt)
    assert [item["service_request_id"] for item in items] == [web.number, number]
    item = items[1]
    assert item["status"] == "open" and item["service_code"] == "garbage" and item["service_name"] == "垃圾清运"
    assert item["status_notes"] == "已提交"
    assert item["agency_responsible"] == "东市场社区"
    assert item["expected_datetime"] is None
    assert item["media_url"] == "https://wx.example.cn/photos/abc.jpg"
    assert item["address"] == "东市场社区东门"
    assert item["description"] == "小区东门垃圾桶满了，三天没人清运。"
    issue = Issue.objects.get(number=number)
    assert (item["lat"], item["long"]) == (pytest.approx(issue.lat), pytest.approx(issue.lng))


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_filters_by_id_code_status_and_dates(open311, whistle, advance, fmt):
    first, second = file(open311, whistle), file(open311, whistle)
    heating = file(open311, whistle, service_code="heating", **{"attribute[indoor-temperature]": "12.5"})
    advance(Issue.objects.get(number=second), Status.CLOSED)

    def ids(**params):
        return [item["service_request_id"] for item in requests_of(open311.get("requests", fmt, **params), fmt)]

    assert ids(service_request_id=f"{first},{heating}") == [heating, first]
    assert ids(service_code="garbage") == [second, first]
    assert ids(service_code="garbage,heating") == [heating, second, first]
    assert ids(status="closed") == [second]
    assert ids(status="open") == [heating, first]
    assert ids(status="open,closed") == [heating, second, first]
    assert ids(start_date="2020-01-01T00:00:00Z", end_date="2020-02-01T00:00:00+08:00") == []
    today = Issue.objects.get(number=first).created_at
    assert ids(start_date=(today.replace(microsecond=0)).isoformat()) == [heating, second, first]
    assert ids(end_date="2020-02-01T00:00:00Z") == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_and_a_token(open311, whistle, fmt):
    response = open311.post(whistle())
    created = body(response, "json")[0]
    (item,) = requests_of(open311.get(f"requests/{created['service_request_id']}", fmt), fmt)
    assert item["service_request_id"] == created["service_request_id"]
    # POST answers no token (realtime), but a token kept from before still finds its request.
    created["token"] = str(Issue.objects.get(number=created["service_request_id"]).intake_token)
    data = body(open311.get(f"tokens/{created['token']}", fmt), fmt)
    if fmt == "json":
        assert data == [{"service_request_id": created["service_request_id"], "token": created["token"]}]
    else:
        assert data.tag == "service_requests" and [e.tag for e in data] == ["request"]
        assert children(data[0]) == {"service_request_id": created["service_request_id"], "token": created["token"]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_status_follows_the_lifecycle_open_to_closed(open311, whistle, community_staff, grid_officer, fmt):
    number = file(open311, whistle)

    def current():
        (item,) = requests_of(open311.get(f"requests/{number}", fmt), fmt)
        return item

    assert current()["status"] == "open" and current()["expected_datetime"] is None
    issue = services.issue_accept(issue=Issue.objects.get(number=number), actor=community_staff)
    item = current()
    assert item["status"] == "open" and item["status_notes"] == "已受理"
    assert w3c(item["expected_datetime"]) == issue.resolution_due.replace(microsecond=0)
    issue = services.issue_dispatch(issue=issue, actor=community_staff, handler=grid_officer)
    assert current()["agency_responsible"] == "东市场社区"
    issue = services.issue_respond(issue=issue, actor=grid_officer)
    issue = services.issue_resolve(issue=issue, actor=grid_officer, result="已清运。")
    assert (current()["status"], current()["status_notes"]) == ("open", "已办结")
    services.issue_close(issue=issue, actor=community_staff)
    item = current()
    assert item["status"] == "closed" and item["status_notes"] == "已销号"
    assert w3c(item["updated_datetime"]) >= w3c(item["requested_datetime"])


def test_rejected_and_merged_requests_are_closed_and_name_the_original(open311, whistle, community_staff):
    original, duplicate = file(open311, whistle), file(open311, whistle)
    services.issue_reject(issue=Issue.objects.get(number=duplicate), actor=community_staff, reason="duplicate",
                          duplicate_of=Issue.objects.get(number=original))
    (item,) = requests_of(open311.get(f"requests/{duplicate}"), "json")
    assert item["status"] == "closed"
    assert original in item["status_notes"]


def test_english_status_notes_and_agency_when_asked(open311, whistle):
    number = file(open311, whistle)
    (item,) = requests_of(open311.get(f"requests/{number}", lang="en"), "json")
    assert item["status_notes"] == "Submitted"


@pytest.mark.parametrize("fmt", FORMATS)
def test_personal_data_never_appears_in_a_get_answer(open311, whistle, fmt):
    number = file(open311, whistle)
    token = Issue.objects.get(number=number).intake_token
    answers = [open311.get(path, fmt) for path in
               ("requests", f"requests/{number}", f"tokens/{token}", "services", "services/garbage", "discovery")]
    for response in answers:
        assert response.status_code == 200
        text = response.content.decode()
        for value in (*CALLER.values(), "王建国", "wangjianguo"):
            assert value not in text, value


def test_words_filed_in_the_browser_stay_with_the_staff(open311, file_issue):
    issue = file_issue(description="我家住3单元502，电话13900001111，楼道灯坏了")
    for fmt in FORMATS:
        text = open311.get(f"requests/{issue.number}", fmt).content.decode()
        assert issue.title in text
        assert "13900001111" not in text and "502" not in text


def test_numbers_typed_into_the_words_are_masked_in_public_answers(open311, whistle):
    number = file(open311, whistle, description="路灯不亮，电话0452-2401234或13900001111，身份证230202198001011234")
    for fmt in FORMATS:
        text = open311.get(f"requests/{number}", fmt).content.decode()
        assert "路灯不亮" in text and "045****1234" in text and "139****1111" in text and "230***********1234" in text
        assert "2401234" not in text and "13900001111" not in text and "198001011234" not in text


def test_listing_requests_takes_the_same_queries_however_many_there_are(open311, whistle, file_issue, advance,
                                                                       community_staff, django_assert_num_queries):
    # The requests, and the deadline rules' revision for the service notices (dispatch.rulebook: checked on
    # every call in the tests, at most once a second in production).
    file(open311, whistle)
    with django_assert_num_queries(2):
        assert len(requests_of(open311.get("requests"), "json")) == 1
    for _ in range(4):
        file(open311, whistle)
    advance(file_issue(), Status.DISPATCHED)  # a handler, a deadline
    services.issue_reject(issue=file_issue(), actor=community_staff, reason="duplicate",
                          duplicate_of=Issue.objects.get(number=file(open311, whistle)))
    with django_assert_num_queries(2):
        assert len(requests_of(open311.get("requests"), "json")) == 8


def test_the_service_notice_quotes_the_deadline_rules_that_apply_not_the_settings_fallback(
        open311, whistle, categories, settings):
    from dispatch.models import DeadlineRule
    from issues.models import Tier

    garbage = categories.get(code="garbage")
    DeadlineRule.objects.create(tier=Tier.COMMUNITY, priority=Priority.NORMAL, category=garbage,
                                response_minutes=45, resolution_working_days=3)
    created = created_of(open311.post(whistle(), "json"), "json")
    issue = Issue.objects.get(number=created["service_request_id"])
    for notice in (created["service_notice"], body(open311.get(f"requests/{issue.number}"), "json")[0]["service_notice"]):
        assert "45" in notice and ("3 个工作日" in notice or "3 working days" in notice)
        assert str(settings.ISSUE_RESPONSE_MINUTES["normal"]) not in notice  # 120, the fallback
    assert issue.response_due is not None
