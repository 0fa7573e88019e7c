"""The monthly evaluation report (每月一评) at /dashboard/evaluation/: the printable page and the .xlsx, from
the same ranking as /api/v1/stats/ranking/. In January 2026 the story's four whistles are all in
东市场社区: response 3/4, resolution 2/3, on time 3/3, satisfaction 1/2 (see test_kpis.py)."""
import io
import re

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db

WEIGHTS = {"response_rate": 0.3, "resolution_rate": 0.3, "on_time_resolution_rate": 0.1, "satisfaction_rate": 0.3}
# 100 × (0.3 × 3/4 + 0.3 × 2/3 + 0.1 × 1 + 0.3 × 1/2) / 1.0
JANUARY_SCORE = 67.5


@pytest.fixture
def weights(settings):
    settings.EVALUATION_WEIGHTS = WEIGHTS
    return WEIGHTS


def test_the_printable_page(story, weights, signed_in, district_leader, grid_officer):
    answer = signed_in(district_leader).get("/dashboard/evaluation/", {"month": "2026-01", "level": "community"})
    assert answer.status_code == 200
    html = answer.content.decode()
    title = re.search(r'<h1 id="report-title">(.*?)</h1>', html).group(1)
    assert title in ("建华区 2026年1月 吹哨报到 工作评价",
                     "建华区 · Whistle and report for duty · Work evaluation 1/2026")
    assert "<title>" + title in html
    # The weights are stated, each as its share, and the date of printing is there.
    weights_text = re.search(r'<span id="report-weights">(.*?)</span>', html, re.S).group(1)
    assert "30%" in weights_text and "10%" in weights_text
    assert re.search(r'id="printed-at">[^<]*\d{4}-\d{2}-\d{2} \d{2}:\d{2}', html)
    # Print CSS: A4, without the site's header (in site.css, which the page loads).
    assert "site.css" in html
    rows = re.findall(r'<tr data-code="(\d+)">', html)
    assert len(rows) == 34
    community = grid_officer.grid.community
    assert rows[0] == community.code  # the only community with figures ranks first
    first = re.search(r'<tr data-code="%s">(.*?)</tr>' % community.code, html, re.S).group(1)
    assert "67.50" in first and "75.0%" in first and "66.7%" in first and "100.0%" in first and "50.0%" in first


def test_the_page_and_the_api_agree(story, weights, signed_in, command_centre):
    client = signed_in(command_centre)
    api = client.get("/api/v1/stats/ranking/", {"month": "2026-01", "level": "street"}).json()
    html = client.get("/dashboard/evaluation/", {"month": "2026-01", "level": "street"}).content.decode()
    assert re.findall(r'<tr data-code="(\d+)">', html) == [r["code"] for r in api["rows"]]
    assert api["rows"][0]["score"] == pytest.approx(JANUARY_SCORE)


def test_the_workbook(story, weights, signed_in, district_leader, grid_officer):
    answer = signed_in(district_leader).get("/dashboard/evaluation/",
                                            {"month": "2026-01", "level": "community", "format": "xlsx"})
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in answer["Content-Disposition"] and "evaluation-community-2026-01.xlsx" in answer[
        "Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(answer.streaming_content)
                                      if answer.streaming else answer.content)).active
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert len(data) == 34
    assert header[0] in ("排名", "Rank") and header[3] in ("综合得分", "得分", "Score")
    first = dict(zip(header, data[0]))
    assert data[0][0] == 1 and data[0][2] == grid_officer.grid.community.code
    assert data[0][3] == pytest.approx(JANUARY_SCORE)
    # Rates are real fractions formatted as percentages; the score is the weighted mean of them.
    rates = data[0][4:8]
    assert rates == pytest.approx((3 / 4, 2 / 3, 1.0, 1 / 2))
    assert sheet.cell(row=2, column=5).number_format == "0.0%"
    weighted = 100 * sum(w * r for w, r in zip(WEIGHTS.values(), rates)) / sum(WEIGHTS.values())
    assert data[0][3] == pytest.approx(weighted, abs=0.01)
    # The components' headers carry their weights.
    assert "30%" in header[4] and "10%" in header[6]
    assert first is not None and data[1][3] is None  # no figures: no score, ranked after
    assert [row[0] for row in data] == list(range(1, 35))


def test_street_staff_get_their_street_and_its_communities(story, weights, signed_in, street_staff):
    client = signed_in(street_staff)
    html = client.get("/dashboard/evaluation/", {"month": "2026-01", "level": "street"}).content.decode()
    assert re.findall(r'<tr data-code="(\d+)">', html) == [street_staff.street.code]
    html = client.get("/dashboard/evaluation/", {"month": "2026-01", "level": "community"}).content.decode()
    codes = re.findall(r'<tr data-code="(\d+)">', html)
    assert sorted(codes) == sorted(street_staff.street.communities.values_list("code", flat=True))


@pytest.mark.parametrize("params", [{"month": "2026-13"}, {"level": "grid"}, {"format": "pdf"}])
def test_bad_parameters_are_400(signed_in, district_leader, params):
    assert signed_in(district_leader).get("/dashboard/evaluation/", params).status_code == 400


def test_the_report_is_a_fixed_number_of_queries(story, elsewhere, weights, signed_in, district_leader):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.dispatch.conftest import local

    client = signed_in(district_leader)
    params = {"month": "2026-01", "level": "community"}
    with CaptureQueriesContext(connection) as small:
        client.get("/dashboard/evaluation/", params)
    for day in range(1, 6):
        elsewhere(local(2026, 1, day, 9))
    with CaptureQueriesContext(connection) as large:
        client.get("/dashboard/evaluation/", params)
    assert len(large) == len(small) <= 6
