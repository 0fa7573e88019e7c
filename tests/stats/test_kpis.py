"""Every figure of the story (conftest.py), worked out by hand from its timeline."""
import datetime

import pytest

from stats import kpis
from stats.kpis import Period, Scope

pytestmark = pytest.mark.django_db

JANUARY = Period(datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
FEBRUARY = Period(datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
DISTRICT = Scope("district")


def test_january_every_figure(story):
    f = kpis.period_figures(JANUARY, DISTRICT)
    # Filed in January: A (31st), B, C, E (rejected).  Accepted (first time): A, B, C.
    assert (f["received"], f["accepted"]) == (4, 3)
    # Clocks: A, B, B's reopening, C; on time: A (10 min), B again (20 min), C (10 min) – B's first was 180 min.
    assert (f["dispatched"], f["responded"], f["responded_on_time"]) == (4, 4, 3)
    assert f["response_rate"] == pytest.approx(3 / 4)
    # Resolved: A, B twice, C. Closed in January: B twice, C (A closed on 1 February).
    assert (f["resolved"], f["closed"], f["closed_on_time"]) == (4, 3, 3)
    # Solved: B's second close and C; B's first was undone by 不满意.
    assert f["solved"] == 2 and f["resolution_rate"] == pytest.approx(2 / 3)
    assert f["on_time_resolution_rate"] == 1.0
    # Ratings in January: B 不满意 (13th), B 基本满意 (15th). C closed and never rated: apart.
    assert (f["rated"], f["satisfied"], f["basically_satisfied"], f["dissatisfied"], f["unrated"]) == (2, 0, 1, 1, 1)
    assert f["satisfaction_rate"] == pytest.approx(1 / 2)
    assert (f["reopened"], f["reopen_rate"]) == (1, pytest.approx(1 / 3))
    assert f["escalated"] == 1  # C, community → street
    # Response times 10, 10, 20, 180 min: buckets [10,15) ×2, [15,30), [120,240); the median is the 2nd of 4,
    # at the top of [10,15) → 15 min. Resolution (filing → close) 54 h, 98 h, 31 h: median in [48,72) → 60 h.
    assert f["median_response_minutes"] == pytest.approx(15)
    assert f["median_resolution_hours"] == pytest.approx(60)
    assert f["mean_response_minutes"] == pytest.approx((10 + 180 + 20 + 10) / 4)
    assert f["mean_resolution_hours"] == pytest.approx((54 + 98 + 31) / 3)


def test_february_and_the_issue_across_the_month_boundary(story):
    f = kpis.period_figures(FEBRUARY, DISTRICT)
    # A was filed in January and closed (1st) and rated (2nd) in February; D and F were filed in February.
    assert (f["received"], f["accepted"], f["closed"], f["solved"]) == (2, 2, 2, 2)
    assert (f["rated"], f["satisfied"], f["satisfaction_rate"]) == (2, 2, 1.0)
    assert (f["dispatched"], f["responded_on_time"], f["response_rate"]) == (2, 1, 0.5)  # F waits
    assert f["escalated"] == 2  # D: community → street → district
    assert f["unrated"] == 0
    whole = kpis.period_figures(Period(JANUARY.start, FEBRUARY.end), DISTRICT)
    assert (whole["received"], whole["accepted"], whole["closed"], whole["solved"]) == (6, 5, 5, 4)


def test_nothing_rated_is_no_satisfaction_rate_not_zero_or_hundred(story):
    # 20–21 January: C filed, whistled up, closed, never rated.
    f = kpis.period_figures(Period(datetime.date(2026, 1, 20), datetime.date(2026, 1, 21)), DISTRICT)
    assert (f["closed"], f["rated"], f["unrated"]) == (1, 0, 1)
    assert f["satisfaction_rate"] is None
    assert "—" in kpis.headline(f)
    empty = kpis.period_figures(Period(datetime.date(2025, 3, 1), datetime.date(2025, 3, 31)), DISTRICT)
    assert all(empty[rate] is None for rate in kpis.RATES + ("reopen_rate", "median_response_minutes"))


def test_an_escalated_issue_counts_once_per_tier_and_once_overall(story):
    period = Period(JANUARY.start, FEBRUARY.end)
    tiers = {tier: kpis.period_figures(period, DISTRICT, tier=tier) for tier in ("community", "street", "district")}
    # Accepted onto the community's list: A, B, C, D, F; the street's: C, D; the district's: D.
    assert [tiers[t]["accepted"] for t in ("community", "street", "district")] == [5, 2, 1]
    assert kpis.period_figures(period, DISTRICT)["accepted"] == 5
    # Whistled up from the community: C, D; from the street: D.
    assert [tiers[t]["escalated"] for t in ("community", "street", "district")] == [2, 1, 0]
    # C closed by the street, D by the district: each tier's resolution rate is its own.
    assert tiers["street"]["solved"] == 1 and tiers["street"]["resolution_rate"] == 0.5
    assert tiers["district"]["solved"] == 1 and tiers["district"]["resolution_rate"] == 1.0
    assert tiers["community"]["solved"] == 2 and tiers["community"]["resolution_rate"] == pytest.approx(2 / 5)


def test_a_department_sees_what_happened_while_it_held_the_issue(story, urban):
    f = kpis.period_figures(FEBRUARY, Scope("department", urban.pk))
    assert (f["received"], f["accepted"], f["dispatched"], f["responded_on_time"]) == (0, 0, 1, 1)
    assert (f["resolved"], f["closed"], f["solved"], f["satisfied"]) == (1, 1, 1, 1)
    assert f["resolution_rate"] is None  # nothing accepted by a department


def test_trend_by_day_week_and_month(story):
    months = kpis.trend(Period(datetime.date(2026, 1, 15), datetime.date(2026, 2, 10)), DISTRICT, interval="month")
    assert [(p["start"], p["received"], p["closed"]) for p in months] == [
        (datetime.date(2026, 1, 1), 4, 3), (datetime.date(2026, 2, 1), 2, 2)]
    days = kpis.trend(Period(datetime.date(2026, 1, 31), datetime.date(2026, 2, 2)), DISTRICT, interval="day")
    assert [(p["received"], p["closed"], p["rated"]) for p in days] == [(1, 0, 0), (0, 1, 0), (0, 0, 1)]
    weeks = kpis.trend(Period(datetime.date(2026, 1, 28), datetime.date(2026, 2, 3)), DISTRICT, interval="week")
    # Monday 26 January – Sunday 1 February: A filed and closed; Monday 2 – Sunday 8 February: D filed.
    assert [(p["start"], p["received"], p["closed"]) for p in weeks] == [
        (datetime.date(2026, 1, 26), 1, 1), (datetime.date(2026, 2, 2), 1, 1)]


def test_breakdowns(story, garbage, grid_officer):
    period = Period(JANUARY.start, FEBRUARY.end)
    by_channel = {r["code"]: r for r in kpis.breakdown(period, DISTRICT, by="channel")}
    assert by_channel["web"]["received"] == 6 and by_channel["hotline"]["received"] == 0
    by_top = {r["code"]: r["received"] for r in kpis.breakdown(period, DISTRICT, by="top_category")}
    assert by_top[garbage.parent.code] == 6
    assert {r["code"]: r["received"] for r in kpis.breakdown(period, DISTRICT, by="category")}[garbage.code] == 6
    streets = kpis.breakdown(period, DISTRICT, by="street")
    assert len(streets) == 5 and sum(r["received"] for r in streets) == 6
    grids = kpis.breakdown(period, Scope("community", grid_officer.grid.community_id), by="grid")
    assert {r["code"]: r["received"] for r in grids if r["received"]} == {grid_officer.grid.code: 6}
    departments = {r["code"]: r for r in kpis.breakdown(period, DISTRICT, by="department")}
    assert departments["urban-management"]["closed"] == 1


def test_the_map_and_issues_per_thousand_residents(story, grid_officer):
    period = Period(JANUARY.start, FEBRUARY.end)
    grid = grid_officer.grid
    areas = {a["code"]: a for a in kpis.map_values(period, DISTRICT, level="grid", parent=grid.community.code,
                                                   measure="per_thousand")}
    assert areas[grid.code]["value"] == pytest.approx(6 * 1000 / grid.population)
    opened = {a["code"]: a["value"] for a in kpis.map_values(period, DISTRICT, level="street", measure="open")}
    assert opened[grid.community.street.code] == 1 and sum(opened.values()) == 1  # F


def test_the_monthly_ranking_is_weighted_and_deterministic(story, settings, grid_officer):
    settings.EVALUATION_WEIGHTS = {"response_rate": 1, "resolution_rate": 1, "on_time_resolution_rate": 0,
                                   "satisfaction_rate": 2}
    rows = kpis.ranking(datetime.date(2026, 1, 1), level="street", scope=DISTRICT)
    first = rows[0]
    assert first["code"] == grid_officer.grid.community.street.code
    # January: response 3/4, resolution 2/3, satisfaction 1/2 → (0.75 + 0.6667 + 2 × 0.5) / 4.
    assert first["score"] == pytest.approx(100 * (0.75 + 2 / 3 + 1.0) / 4, abs=0.01)
    # The other streets have no figures: no score, ranked after, by code.
    assert [r["score"] for r in rows[1:]] == [None] * 4
    assert [r["code"] for r in rows[1:]] == sorted(r["code"] for r in rows[1:])
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]


def test_the_headline_in_the_seeds_style():
    assert kpis.about(1937) == "1,900+" and kpis.about(1700) == "1,700" and kpis.about(42) == "42"
    assert kpis.about(12_345) == "12,000+"
    numbers = {"accepted": 1937, "solved": 1745, "satisfaction_rate": 0.996}
    assert kpis.headline(numbers) in ("受理 1,900+ 件，已解决 1,700+ 件，满意率 99%",
                                      "Accepted 1,900+, solved 1,700+, satisfaction 99%")


def test_a_streets_accountability_candidates_are_those_of_issues_in_the_street(file_issue, community_staff,
                                                                                 street_staff):
    from dispatch.models import AccountabilityRecord
    from grids.models import Street
    from issues import services

    issue = services.issue_accept(issue=file_issue(), actor=community_staff)
    issue = services.issue_escalate(issue=issue, actor=community_staff, reason="需街道协调")
    services.issue_send_back(issue=issue, actor=street_staff, reason="社区可自行处理", unjustified=True)
    record = AccountabilityRecord.objects.get(issue=issue)
    assert record.issue_street_id == issue.street_id
    other = Street.objects.exclude(pk=issue.street_id).first()
    assert kpis.current_counts(Scope("street", issue.street_id))["accountability_candidates"] == 1
    assert kpis.current_counts(Scope("street", other.pk))["accountability_candidates"] == 0
    assert kpis.current_counts(Scope("community", issue.community_id))["accountability_candidates"] == 1


def test_a_scope_narrows_only_to_areas_inside_it(grid_officer, django_assert_num_queries):
    from grids.models import Grid

    grid = grid_officer.grid
    community, street = grid.community, grid.community.street
    with django_assert_num_queries(1):
        assert DISTRICT.narrowed_to("grid", grid.code) == Scope("grid", grid.pk)
    assert Scope("street", street.pk).narrowed_to("community", community.code) == Scope("community", community.pk)
    assert Scope("community", community.pk).narrowed_to("grid", grid.code) == Scope("grid", grid.pk)
    assert Scope("grid", grid.pk).narrowed_to("grid", grid.code) == Scope("grid", grid.pk)
    other = Grid.objects.exclude(community__street=street).order_by("code").first()
    for scope, level, code in ((Scope("street", street.pk), "grid", other.code),
                               (Scope("community", community.pk), "street", street.code),
                               (Scope("grid", grid.pk), "community", community.code),
                               (DISTRICT, "grid", "999999999")):
        with pytest.raises(kpis.AreaNotFound):
            scope.narrowed_to(level, code)
    with pytest.raises(kpis.AreaNotApplicable):
        Scope("department", 1).narrowed_to("grid", grid.code)


def test_a_grids_breakdown_by_channel_and_category_reads_the_daily_facts(story, garbage, grid_officer):
    # A community's or a grid's breakdown by category or channel has no monthly roll-up to read.
    period = Period(JANUARY.start, FEBRUARY.end)
    for scope in (Scope("grid", grid_officer.grid_id), Scope("community", grid_officer.grid.community_id)):
        assert {r["code"]: r["received"] for r in kpis.breakdown(period, scope, by="channel")}["web"] == 6
        assert {r["code"]: r["received"] for r in kpis.breakdown(period, scope, by="category")}[garbage.code] == 6
