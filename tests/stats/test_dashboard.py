"""/dashboard/: who may open it and where they may drill to, the period picker, the headline in the seed's
style, and a fixed number of queries (the page is a shell; its figures come from /api/v1/stats/…)."""
import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import Community, Grid, Street
from stats import kpis
from stats.views import period_for, trend_interval
from tests.dispatch.conftest import local

pytestmark = pytest.mark.django_db

STORY_PERIOD = {"period": "custom", "start": "2026-01-01", "end": "2026-02-28"}


def page_config(answer) -> dict:
    match = re.search(r'<script id="dashboard-config" type="application/json">(.*?)</script>',
                      answer.content.decode(), re.S)
    assert match, "the page carries its configuration"
    return json.loads(match.group(1))


def open_dashboard(client, **params):
    answer = client.get("/dashboard/", params)
    assert answer.status_code == 200, answer.content[:500]
    return page_config(answer)


# Who may open it ----------------------------------------------------------------------------------

def test_a_district_leader_sees_the_whole_district(signed_in, district_leader):
    answer = signed_in(district_leader).get("/dashboard/")
    assert answer.status_code == 200
    config = page_config(answer)
    assert config["scope"] == {"level": "district", "id": None}
    assert [c["level"] for c in config["crumbs"]] == ["district"] and config["crumbs"][0]["name"] == "建华区"
    assert len({a["street"] for a in config["areas"]}) == 5 and len(config["areas"]) == 34
    html = answer.content.decode()
    # The chart library and Leaflet are served from static/, never from a CDN.
    assert "/static/vendor/echarts/echarts.min.js" in html and "/static/leaflet/leaflet.js" in html
    assert not re.search(r'<script[^>]+src="https?://', html)
    # Every API the page reads, and the links of the counts of now.
    assert set(config["urls"]) >= {"summary", "trend", "breakdown", "map", "ranking", "evaluation"}
    for element in ('id="headline"', 'id="kpis"', 'id="current-open"', 'id="current-overdue"',
                    'id="current-supervised"', 'id="current-accountability"', 'id="trend-chart"',
                    'id="breakdown-chart"', 'id="dashboard-map"', 'id="ranking-table"', 'id="trend-table"',
                    'id="breakdown-table"', 'id="map-table"'):
        assert element in html
    assert "/work/?" in html and "overdue=yes" in html and "/supervision/?state=open" in html
    assert "/accountability/?state=candidate" in html


def test_the_nav_links_staff_to_the_dashboard(signed_in, street_staff, resident):
    assert 'href="/dashboard/"' in signed_in(street_staff).get("/work/").content.decode()
    assert 'href="/dashboard/"' not in signed_in(resident).get("/whistle/mine/").content.decode()


def test_residents_are_refused_and_strangers_sent_to_sign_in(client, signed_in, resident):
    answer = signed_in(resident).get("/dashboard/")
    assert answer.status_code == 403 and 'id="refusal"' in answer.content.decode()
    assert signed_in(resident).get("/dashboard/evaluation/").status_code == 403
    answer = client.get("/dashboard/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_street_staff_see_their_street_and_cannot_drill_into_another(signed_in, street_staff):
    client = signed_in(street_staff)
    config = open_dashboard(client)
    own = street_staff.street
    assert config["scope"] == {"level": "street", "id": own.pk}
    assert config["crumbs"] == [{"level": "street", "code": own.code, "name": own.name}]
    assert {a["street"] for a in config["areas"]} == {own.code}
    assert config["state"]["street"] == own.code
    assert config["state"]["ranking"] == "street"

    community = own.communities.order_by("code").first()
    grid = community.grids.order_by("code").first()
    config = open_dashboard(client, community=community.code)
    assert [c["name"] for c in config["crumbs"]] == [own.name, community.name]
    config = open_dashboard(client, grid=grid.code)
    assert [c["level"] for c in config["crumbs"]] == ["street", "community", "grid"]
    assert config["place"]["code"] == grid.code and config["place"]["community"] == community.code

    other = Street.objects.exclude(pk=own.pk).order_by("code").first()
    other_community = other.communities.order_by("code").first()
    other_grid = other_community.grids.order_by("code").first()
    for params in ({"street": other.code}, {"community": other_community.code}, {"grid": other_grid.code},
                   {"street": own.code, "community": other_community.code}, {"grid": "999999999"}):
        assert client.get("/dashboard/", params).status_code == 404, params


def test_community_staff_and_grid_officers_stay_in_their_area(signed_in, community_staff, grid_officer):
    client = signed_in(community_staff)
    config = open_dashboard(client)
    assert config["scope"]["level"] == "community" and config["place"]["code"] == community_staff.community.code
    sibling = Community.objects.filter(street=community_staff.community.street).exclude(
        pk=community_staff.community_id).first()
    assert client.get("/dashboard/", {"community": sibling.code}).status_code == 404
    assert client.get("/dashboard/", {"street": community_staff.community.street.code}).status_code == 404

    officer = signed_in(grid_officer)
    config = open_dashboard(officer)
    assert config["place"] == {"level": "grid", "code": grid_officer.grid.code, "name": grid_officer.grid.name,
                               "street": grid_officer.grid.community.street.code,
                               "community": grid_officer.grid.community.code}
    neighbour = Grid.objects.filter(community=grid_officer.grid.community).exclude(pk=grid_officer.grid_id).first()
    assert officer.get("/dashboard/", {"grid": neighbour.code}).status_code == 404
    assert "ranking-table" not in officer.get("/dashboard/").content.decode()  # a grid is not ranked


def test_department_staff_see_their_departments_figures(signed_in, department_staff):
    config = open_dashboard(signed_in(department_staff))
    assert config["scope"]["level"] == "department"
    assert config["crumbs"][0]["name"] == department_staff.department.name
    assert config["state"]["ranking"] == "department"
    street = Street.objects.order_by("code").first()
    assert open_dashboard(signed_in(department_staff), street=street.code)["place"]["code"] == street.code


def test_a_leader_drills_down_to_a_grid_by_link(signed_in, district_leader):
    grid = Grid.objects.select_related("community__street").order_by("code").last()
    config = open_dashboard(signed_in(district_leader), grid=grid.code, measure="satisfaction", interval="week",
                            by="channel")
    assert [c["name"] for c in config["crumbs"]] == ["建华区", grid.community.street.name, grid.community.name,
                                                     grid.name]
    assert config["state"]["grid"] == grid.code and config["state"]["community"] == grid.community.code
    assert (config["state"]["measure"], config["state"]["interval"], config["state"]["by"]) == (
        "satisfaction", "week", "channel")
    # A parent that does not hold the grid is not a place.
    other = Community.objects.exclude(pk=grid.community_id).first()
    assert signed_in(district_leader).get("/dashboard/", {"community": other.code, "grid": grid.code}
                                          ).status_code == 404


def test_the_figures_are_named_after_the_place_drilled_to(signed_in, district_leader, department_staff):
    """The headline, cards, trend and breakdown are the drilled place's (dashboard.js asks the API with
    area=…); a department's stay the department's (the panel under the map shows the place's)."""
    grid = Grid.objects.order_by("code").first()
    html = signed_in(district_leader).get("/dashboard/", {"grid": grid.code}).content.decode()
    assert html.count(f'<span class="muted area figures-name">{grid.name}</span>') == 4
    assert "{#" not in html and "#}" not in html  # template comments stay comments
    department = signed_in(department_staff).get("/dashboard/", {"grid": grid.code}).content.decode()
    assert f'figures-name">{department_staff.department.name}</span>' in department


# The period picker --------------------------------------------------------------------------------

def test_the_periods():
    today = datetime.date(2026, 3, 15)
    assert period_for("this_month", today=today) == kpis.Period(datetime.date(2026, 3, 1), today)
    assert period_for("last_month", today=today) == kpis.Period(datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    assert period_for("last_30", today=today) == kpis.Period(datetime.date(2026, 2, 14), today)
    assert period_for("this_year", today=today) == kpis.Period(datetime.date(2026, 1, 1), today)
    assert period_for("last_month", today=datetime.date(2026, 1, 5)) == kpis.Period(
        datetime.date(2025, 12, 1), datetime.date(2025, 12, 31))
    custom = period_for("custom", today=today, start=datetime.date(2025, 6, 1), end=datetime.date(2025, 6, 30))
    assert custom == kpis.Period(datetime.date(2025, 6, 1), datetime.date(2025, 6, 30))
    assert trend_interval(custom) == "day"
    assert trend_interval(kpis.Period(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))) == "week"
    assert trend_interval(kpis.Period(datetime.date(2020, 1, 1), datetime.date(2025, 12, 31))) == "month"


def test_a_custom_period_is_kept_and_a_bad_one_falls_back(signed_in, district_leader):
    client = signed_in(district_leader)
    state = open_dashboard(client, **STORY_PERIOD)["state"]
    assert (state["period"], state["start"], state["end"], state["interval"]) == (
        "custom", "2026-01-01", "2026-02-28", "day")
    answer = client.get("/dashboard/", {"period": "custom", "start": "2026-03-01", "end": "2026-02-01"})
    assert answer.status_code == 200 and 'class="form-errors"' in answer.content.decode()
    state = page_config(answer)["state"]
    assert state["start"].endswith("-01-01")  # the default: this year
    # Days are not drawn for a whole year: the interval falls back to weeks.
    state = open_dashboard(client, period="custom", start="2025-01-01", end="2025-12-31", interval="day")["state"]
    assert state["interval"] == "week"


# The headline -------------------------------------------------------------------------------------

SEED_STYLE = ("受理 5 件，已解决 4 件，满意率 75%", "Accepted 5, solved 4, satisfaction 75%")


def test_the_headline_of_the_story(story, signed_in, command_centre):
    """The page's period, asked of the API the page reads: 5 accepted, 4 solved (B's first close undone by
    不满意), 3 of 4 ratings satisfied or basically satisfied."""
    client = signed_in(command_centre)
    state = open_dashboard(client, **STORY_PERIOD)["state"]
    summary = client.get("/api/v1/stats/summary/", {"start": state["start"], "end": state["end"]}).json()
    assert summary["headline"] in SEED_STYLE
    assert (summary["figures"]["accepted"], summary["figures"]["solved"], summary["figures"]["rated"],
            summary["figures"]["unrated"]) == (5, 4, 4, 1)
    january = client.get("/api/v1/stats/summary/", {"start": "2026-01-01", "end": "2026-01-31"}).json()
    assert january["headline"] in ("受理 3 件，已解决 2 件，满意率 50%", "Accepted 3, solved 2, satisfaction 50%")


def test_the_headline_rounds_like_the_seed():
    numbers = {"accepted": 1_953, "solved": 1_712, "satisfaction_rate": 0.9937}
    assert kpis.headline(numbers) in ("受理 1,900+ 件，已解决 1,700+ 件，满意率 99%",
                                      "Accepted 1,900+, solved 1,700+, satisfaction 99%")


# A fixed number of queries ------------------------------------------------------------------------

@pytest.mark.parametrize("who, params", [
    ("district_leader", {}),
    ("district_leader", {"grid": "LAST"}),
    ("street_staff", {"community": "OWN"}),
    ("community_staff", {}),
    ("grid_officer", {}),
    ("department_staff", {"street": "FIRST"}),
])
def test_the_page_is_a_fixed_number_of_queries(request, story, elsewhere, signed_in, who, params):
    user = request.getfixturevalue(who)
    codes = {"LAST": Grid.objects.order_by("code").last().code,
             "OWN": user.street.communities.order_by("code").first().code if user.street_id else "",
             "FIRST": Street.objects.order_by("code").first().code}
    params = {k: codes.get(v, v) for k, v in params.items()}
    client = signed_in(user)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/dashboard/", params).status_code == 200
    for day in range(1, 6):
        elsewhere(local(2026, 1, day, 9))
    with CaptureQueriesContext(connection) as large:
        assert client.get("/dashboard/", params).status_code == 200
    # Session, user, the user's area, the area drilled to, the communities: no figures are computed here.
    assert len(large) == len(small) <= 5, [q["sql"][:100] for q in large]
