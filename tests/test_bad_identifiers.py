"""Bad identifiers and out-of-range parameters answer 4xx with a message, never a server error."""
import pytest
from rest_framework.test import APIClient

BAD_IDS = ["true", "null,null", "abc", "1.5", "-1", "%20"]
DETAIL_PATHS = ["/api/v1/issues/{id}/", "/api/v1/issues/{id}/timeline/", "/api/v1/issues/{id}/accept/",
                "/api/v1/notifications/{id}/", "/api/v1/supervision/items/{id}/", "/api/v1/supervision/meetings/{id}/",
                "/api/v1/accountability/{id}/", "/api/v1/accountability/{id}/confirm/"]


@pytest.fixture
def as_command_centre(command_centre):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(command_centre)
    return client


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_non_numeric_id_is_not_found(as_command_centre, bad):
    for template in DETAIL_PATHS:
        url = template.format(id=bad)
        answers = [as_command_centre.get(url), as_command_centre.post(url, {}, format="json")]
        for answer in answers:
            assert answer.status_code in (404, 405), (url, answer.status_code)


def test_an_unknown_numeric_id_is_not_found_with_a_message(as_command_centre):
    answer = as_command_centre.get("/api/v1/issues/987654321/")
    assert answer.status_code == 404 and answer.json()["detail"]


@pytest.mark.parametrize("month", ["0000-01", "0001-12", "1999-12", "9999-12"])
def test_the_ranking_refuses_months_out_of_range(as_command_centre, month):
    answer = as_command_centre.get("/api/v1/stats/ranking/", {"month": month})
    assert answer.status_code == 400
    assert answer.json()["field"] == "month" and "2000" in answer.json()["detail"]


@pytest.mark.parametrize("start,end", [("0001-01-01", "0001-01-05"), ("9999-12-25", "9999-12-31")])
def test_periods_out_of_range_are_refused(as_command_centre, start, end):
    for path in ["/api/v1/stats/summary/", "/api/v1/stats/trend/"]:
        answer = as_command_centre.get(path, {"start": start, "end": end})
        assert answer.status_code == 400, (path, answer.status_code)
        assert answer.json()["detail"]
