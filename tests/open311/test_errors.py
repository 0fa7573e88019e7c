"""Every refusal, in JSON and XML, in the spec's form: a list of {code, description} with the HTTP status."""
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import override_settings

from issues import services
from issues.models import Issue

from .spec import errors_of

FORMATS = ["json", "xml"]
pytestmark = pytest.mark.django_db


def refused(response, fmt, status, *words):
    assert response.status_code == status, response.content
    (error,) = errors_of(response, fmt)
    assert error["code"] == status
    for word in words:
        assert word in error["description"], error["description"]
    return error


@pytest.mark.parametrize("fmt", FORMATS)
def test_api_key_missing_unknown_or_inactive_is_403(open311, whistle, hotline, fmt):
    refused(open311.post(whistle(api_key=None), fmt), fmt, 403, "api_key")
    refused(open311.post(whistle(api_key="not-a-key"), fmt), fmt, 403, "api_key")
    hotline.is_active = False
    hotline.save()
    refused(open311.post(whistle(), fmt), fmt, 403, "api_key")
    refused(open311.get("requests", fmt, api_key="not-a-key"), fmt, 403, "api_key")
    assert not Issue.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_code_is_404_and_a_missing_one_400(open311, whistle, fmt):
    refused(open311.get("services/no-such-thing", fmt), fmt, 404, "no-such-thing")
    refused(open311.post(whistle(service_code="no-such-thing"), fmt), fmt, 404, "no-such-thing")
    refused(open311.post(whistle(service_code=None), fmt), fmt, 400, "service_code")
    refused(open311.post(whistle(service_code=""), fmt), fmt, 400, "service_code")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_point_outside_the_district_is_400(open311, whistle, fmt):
    refused(open311.post(whistle(lat="39.9042", long="116.4074"), fmt), fmt, 400, "39.9042")
    refused(open311.post(whistle(lat="north", long="116.4"), fmt), fmt, 400, "lat")
    refused(open311.post(whistle(lat="47.35", long=None), fmt), fmt, 400, "long")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_location_is_400_and_address_id_is_not_supported(open311, whistle, fmt):
    refused(open311.post(whistle(lat=None, long=None, address_string=None), fmt), fmt, 400, "lat/long")
    refused(open311.post(whistle(lat=None, long=None, address_string="北京市海淀区"), fmt), fmt, 400,
            "lat/long")
    refused(open311.post(whistle(lat=None, long=None, address_string=None, address_id="123"), fmt), fmt, 400,
            "address_id")


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_attribute_answers_are_400_naming_the_attribute(open311, whistle, service_attributes, fmt):
    refused(open311.post(whistle(service_code="heating"), fmt), fmt, 400, "indoor-temperature")
    refused(open311.post(whistle(service_code="heating", **{"attribute[indoor-temperature]": "cold"}), fmt), fmt,
            400, "indoor-temperature")
    refused(open311.post(whistle(service_code="elevator", **{"attribute[people-trapped]": "maybe"}), fmt), fmt, 400,
            "people-trapped")
    refused(open311.post(whistle(service_code="snow", **{"attribute[location-type]": "road",
                                                        "attribute[colour]": "white"}), fmt), fmt, 400, "colour")
    assert not Issue.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_contact_details_are_400(open311, whistle, fmt):
    refused(open311.post(whistle(email="not-an-email"), fmt), fmt, 400, "email")
    refused(open311.post(whistle(phone="call me"), fmt), fmt, 400, "phone")
    refused(open311.post(whistle(media_url="file:///etc/passwd"), fmt), fmt, 400, "media_url")
    refused(open311.post(whistle(description="长" * 4001), fmt), fmt, 400, "description")


@pytest.mark.parametrize("fmt", FORMATS)
def test_another_jurisdiction_is_404_on_every_call(open311, whistle, fmt):
    for path in ("discovery", "services", "services/garbage", "requests", "requests/JH-1", "tokens/x"):
        refused(open311.get(path, fmt, jurisdiction_id="beijing.gov.cn"), fmt, 404, "beijing.gov.cn")
    refused(open311.post(whistle(jurisdiction_id="beijing.gov.cn"), fmt), fmt, 404, "beijing.gov.cn")
    assert open311.get("services", fmt, jurisdiction_id="jianhua.qiqihar.gov.cn").status_code == 200
    assert open311.post(whistle(jurisdiction_id="jianhua.qiqihar.gov.cn"), fmt).status_code == 201


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_and_token_are_404(open311, fmt):
    refused(open311.get("requests/JH-20200101-9999", fmt), fmt, 404, "JH-20200101-9999")
    refused(open311.get("tokens/0b6f1a52-3c39-4f1e-9d3a-8f1f6f0f0f0f", fmt), fmt, 404)
    refused(open311.get("tokens/not-a-uuid", fmt), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_over_the_rate_limit_is_429(open311, whistle, hotline, fmt):
    hotline.rate_limit_per_minute = 2
    hotline.save()
    # The budget is per clock minute: the three requests must fall in one (on a busy machine they could
    # straddle a minute's end, and the third would pass).
    with time_machine.travel(datetime(2026, 11, 27, 10, 0, 5, tzinfo=UTC), tick=False):
        assert open311.post(whistle(), fmt).status_code == 201
        assert open311.get("requests", fmt, api_key=hotline.api_key).status_code == 200
        response = open311.post(whistle(), fmt)
    refused(response, fmt, 429, "2")
    assert response["Retry-After"] == "55"  # seconds to the next minute
    assert Issue.objects.count() == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_malformed_dates_and_windows_are_400(open311, fmt):
    refused(open311.get("requests", fmt, start_date="yesterday"), fmt, 400, "start_date")
    refused(open311.get("requests", fmt, end_date="2026-13-45T00:00:00Z"), fmt, 400, "end_date")
    refused(open311.get("requests", fmt, start_date="2026-02-01T00:00:00Z", end_date="2026-01-01T00:00:00Z"), fmt,
            400, "end_date")
    refused(open311.get("requests", fmt, start_date="2025-01-01T00:00:00Z", end_date="2026-01-01T00:00:00Z"), fmt,
            400, "90")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_bad_status_is_400(open311, fmt):
    refused(open311.get("requests", fmt, status="open,pending"), fmt, 400, "pending")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_wrong_content_type_is_415_in_the_same_form(open311, hotline, fmt):
    response = open311.http.post(f"/open311/v2/requests.{fmt}", '{"api_key": "x"}', content_type="application/json")
    refused(response, fmt, 415)


def test_errors_are_translated_when_asked(open311):
    (error,) = errors_of(open311.get("requests", status="pending"), "json")
    assert "status" in error["description"]
    (error,) = errors_of(open311.get("requests", status="pending", lang="en"), "json")
    assert error["description"] == "status must be open or closed, not pending."


@override_settings(OPEN311_JURISDICTION_ID="example.gov")
def test_the_jurisdiction_is_a_setting(open311):
    refused(open311.get("services", jurisdiction_id="jianhua.qiqihar.gov.cn"), "json", 404, "example.gov")


def test_only_the_clients_own_account_files_on_the_open311_channel(hotline, resident, command_centre, garbage,
                                                                   spot_in_officers_grid):
    lat, lng = spot_in_officers_grid
    fields = dict(title="t", description="d", category=garbage, lat=lat, lng=lng)
    with pytest.raises(services.PermissionRefused):
        services.issue_submit(filed_by=command_centre, channel="open311", intake_client=hotline, **fields)
    with pytest.raises(services.PermissionRefused):
        services.issue_submit(filed_by=hotline.account, channel="hotline", reporter_phone="1", **fields)
    with pytest.raises(services.InvalidInput):
        services.issue_submit(filed_by=hotline.account, channel="open311", **fields)
    with pytest.raises(services.InvalidInput):
        services.issue_submit(filed_by=resident, channel="open311", intake_client=hotline, **fields)
