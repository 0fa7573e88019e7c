"""GeoReport v2 to the letter (wiki.open311.org/GeoReport_v2): the points where an answer once differed
from the spec, each as a client relying on the spec would notice it."""
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client

from issues import services
from issues.lifecycle import Status
from issues.models import Issue
from open311.answers import w3c

from .conftest import CALLER, ROOT
from .spec import body, errors_of, requests_of

FORMATS = ["json", "xml"]
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
pytestmark = pytest.mark.django_db


def file(open311, whistle, **overrides) -> str:
    response = open311.post(whistle(**overrides))
    assert response.status_code == 201, response.content
    return body(response, "json")[0]["service_request_id"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_answer_names_its_utf8_charset_and_xml_has_its_declaration(open311, whistle, fmt):
    answers = [open311.get("services", fmt), open311.post(whistle(), fmt), open311.get("requests", fmt),
               open311.get("requests", fmt, status="pending")]
    for response in answers:
        assert response["Content-Type"] == CONTENT_TYPES[fmt]
        if fmt == "xml":
            assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_post_answers_the_id_without_a_token_and_echoes_nothing_the_caller_said(open311, whistle, fmt):
    response = open311.post(whistle(), fmt)
    assert response.status_code == 201
    text = response.content.decode()
    assert "<token>" not in text and '"token"' not in text
    for value in (*CALLER.values(), "王建国", "wangjianguo", "垃圾桶满了"):
        assert value not in text, value
    data = body(response, fmt)
    account_id = data[0]["account_id"] if fmt == "json" else data[0].find("account_id").text
    assert account_id is None


def test_a_post_with_the_specs_charset_parameter_is_read_as_utf8(open311, whistle):
    response = open311.http.post(f"{ROOT}/requests.json", urlencode(whistle(description="井盖丢了，很危险")),
                                 content_type="application/x-www-form-urlencoded; charset=utf-8")
    assert response.status_code == 201
    assert Issue.objects.get(number=body(response, "json")[0]["service_request_id"]).description == "井盖丢了，很危险"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_code_and_status_may_be_declared_several_times(open311, whistle, advance, service_attributes, fmt):
    garbage = file(open311, whistle)
    heating = file(open311, whistle, service_code="heating", **{"attribute[indoor-temperature]": "12"})
    closed = file(open311, whistle)
    advance(Issue.objects.get(number=closed), Status.CLOSED)
    file(open311, whistle, service_code="elevator", **{"attribute[people-trapped]": "no"})

    def ids(query):
        response = open311.http.get(f"{ROOT}/requests.{fmt}?{query}")
        return [item["service_request_id"] for item in requests_of(response, fmt)]

    assert ids("service_code=garbage&service_code=heating") == [closed, heating, garbage]
    assert ids("service_code=garbage,heating&status=open&status=closed") == [closed, heating, garbage]
    assert ids("service_code=garbage&status=closed") == [closed]
    assert ids(f"service_request_id={garbage}&service_request_id={heating}") == [heating, garbage]


def test_an_empty_optional_argument_is_the_same_as_none(open311, whistle):
    """"Optional" means the answer is the same whether a parameter is passed empty or not at all."""
    number = file(open311, whistle, email="", device_id="", account_id="", first_name="", last_name="",
                  media_url="", address_string="", jurisdiction_id="")
    plain = body(open311.get("requests"), "json")
    for params in ({"jurisdiction_id": ""}, {"status": ""}, {"service_code": ""}, {"start_date": "", "end_date": ""},
                   {"service_request_id": ""}, {"api_key": ""}):
        assert body(open311.get("requests", **params), "json") == plain, params
    assert [item["service_request_id"] for item in plain] == [number]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_closed_requests_updated_datetime_is_when_it_was_closed(open311, whistle, advance, fmt):
    number = file(open311, whistle)
    issue = advance(Issue.objects.get(number=number), Status.CLOSED)
    # The row changes again after closing (a rating, a 我也遇到了); the request does not.
    Issue.objects.filter(pk=issue.pk).update(updated_at=issue.closed_at + timedelta(days=3))
    (item,) = requests_of(open311.get(f"requests/{number}", fmt), fmt)
    assert item["status"] == "closed"
    assert item["updated_datetime"] == w3c(issue.closed_at)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_address_from_the_area_runs_from_the_most_specific_unit_to_the_most_general(open311, whistle,
                                                                                      grid_officer, fmt):
    number = file(open311, whistle, address_string="")
    (item,) = requests_of(open311.get(f"requests/{number}", fmt), fmt)
    grid = grid_officer.grid
    assert item["address"] == f"{grid.name}，{grid.community.street.name}，{grid.community.street.district.name}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_html_is_left_out_of_a_description(open311, whistle, fmt):
    number = file(open311, whistle, description='路灯不亮<script>alert("x")</script><b>三天了</b>')
    (item,) = requests_of(open311.get(f"requests/{number}", fmt), fmt)
    assert "<" not in item["description"] and "路灯不亮" in item["description"] and "三天了" in item["description"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["requests.csv", "services.html", "request", "v3/services", "services/garbage/extra"])
def test_an_address_that_is_no_call_answers_the_error_list_in_its_format(path, fmt):
    response = Client().get(f"{ROOT}/{path}.{fmt}")
    assert response.status_code == 404
    (error,) = errors_of(response, fmt)
    assert error["code"] == 404 and ".json" in error["description"]


def test_the_endpoints_root_answers_the_error_list_too():
    response = Client().get(f"{ROOT}/")
    assert response.status_code == 404
    (error,) = errors_of(response, "json")
    assert "discovery" in error["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_method_answers_the_error_list(open311, fmt):
    response = Client().delete(f"{ROOT}/requests.{fmt}")
    assert response.status_code == 405
    (error,) = errors_of(response, fmt)
    assert error["code"] == 405


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_nul_character_is_400_and_files_nothing(open311, whistle, service_attributes, fmt):
    open311.http.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the message checked is the English one
    for fields in (whistle(description="路灯\x00不亮"), whistle(first_name="\x00"),
                   whistle(service_code="elevator", **{"attribute[people-trapped]": "yes\x00"})):
        response = open311.post(fields, fmt)
        assert response.status_code == 400, response.content
        (error,) = errors_of(response, fmt)
        assert "NUL" in error["description"]
    for path, params in (("requests", {"service_code": "gar\x00bage"}), ("requests", {"status": "open\x00"}),
                         ("requests/JH-\x00", {}), ("services/gar\x00bage", {}), ("tokens/\x00", {})):
        response = open311.get(path, fmt, **params)
        assert response.status_code == 400, (path, response.content)
        errors_of(response, fmt)
    assert not Issue.objects.exists()


def test_the_closed_status_follows_a_rejection_too(open311, whistle, community_staff):
    number = file(open311, whistle)
    services.issue_reject(issue=Issue.objects.get(number=number), actor=community_staff, reason="out_of_scope",
                          note="不属于本区职责。")
    (item,) = requests_of(open311.get(f"requests/{number}"), "json")
    assert item["status"] == "closed"


def test_attribute_orders_are_positive_and_unique_whatever_the_admin_typed(open311, service_attributes):
    service_attributes.filter(category__code="elevator").update(order=0)
    attributes = body(open311.get("services/elevator"), "json")["attributes"]
    assert len(attributes) >= 2
    assert [a["order"] for a in attributes] == list(range(1, len(attributes) + 1))
    assert [a["code"] for a in attributes] == sorted(a["code"] for a in attributes)  # equal orders: by code
