"""The problem lists (问题清单): each tier's ledger of what it accepted, who may open which, the pages,
the API and the exports."""
import csv
import io
from datetime import timedelta
from urllib.parse import quote, unquote

import pytest
import time_machine
from django.utils import timezone, translation
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from grids.models import Community, Role, Street, User
from issues import problem_list, services
from issues.lifecycle import Status
from issues.models import EntryState, ProblemListEntry, Tier
from issues.problem_list import COLUMNS, ProblemListFilters

pytestmark = pytest.mark.django_db


# The story ----------------------------------------------------------------------------------------

@pytest.fixture
def accepted(file_issue, advance):
    """accepted(**overrides) → an issue the grid officer's community accepted onto its list."""

    def make(**overrides):
        return advance(file_issue(**overrides), Status.ACCEPTED)

    return make


@pytest.fixture
def whistled_up(accepted, community_staff, street_staff):
    """An issue the community whistled up to the street, which accepted it there."""
    issue = services.issue_escalate(issue=accepted(), actor=community_staff, reason="需要街道协调城管")
    return services.issue_accept(issue=issue, actor=street_staff)


def entries_of(user, tier, unit=None, **filters):
    return list(problem_list.problem_list_for(user, tier=tier, unit=unit, filters=ProblemListFilters(**filters)))


def entry_of(issue, tier):
    return ProblemListEntry.objects.get(issue=issue, tier=tier)


def counts_of(user, tier, unit=None):
    return problem_list.problem_list_counts(user, tier=tier, unit=unit)


def test_an_issue_the_community_accepted_stands_open_on_its_list(accepted, community_staff):
    issue = accepted()
    community = community_staff.community
    [entry] = entries_of(community_staff, Tier.COMMUNITY, community)
    assert (entry.issue, entry.state, entry.community_id) == (issue, EntryState.OPEN, community.pk)
    assert entry.accepted_by == community_staff
    assert counts_of(community_staff, Tier.COMMUNITY, community) == problem_list.ProblemListCounts(open=1)


def test_a_whistled_up_issue_shows_so_below_and_open_above(whistled_up, community_staff, street_staff):
    community, street = community_staff.community, street_staff.street
    [below] = entries_of(community_staff, Tier.COMMUNITY, community)
    [above] = entries_of(street_staff, Tier.STREET, street)
    assert (below.issue, below.state) == (whistled_up, EntryState.ESCALATED)
    assert below.left_at is not None
    assert (above.issue, above.state, above.street_id) == (whistled_up, EntryState.OPEN, street.pk)
    assert entries_of(community_staff, Tier.COMMUNITY, community, state=EntryState.OPEN) == []
    assert counts_of(street_staff, Tier.COMMUNITY, community).escalated == 1
    assert counts_of(street_staff, Tier.STREET, street).open == 1


def test_closing_crosses_it_off_the_list_of_the_tier_that_closed_it(whistled_up, street_staff, grid_officer):
    issue = services.issue_dispatch(issue=whistled_up, actor=street_staff, handler=grid_officer)
    issue = services.issue_respond(issue=issue, actor=grid_officer)
    issue = services.issue_resolve(issue=issue, actor=grid_officer, result="已清运")
    issue = services.issue_close(issue=issue, actor=street_staff)
    assert entry_of(issue, Tier.STREET).state == EntryState.CROSSED_OFF
    assert entry_of(issue, Tier.STREET).left_at == issue.closed_at
    assert entry_of(issue, Tier.COMMUNITY).state == EntryState.ESCALATED  # it stays whistled up below


def test_a_community_that_closes_crosses_off_its_own_entry(file_issue, advance, community_staff):
    issue = advance(file_issue(), Status.CLOSED)
    [entry] = entries_of(community_staff, Tier.COMMUNITY, community_staff.community, state=EntryState.CROSSED_OFF)
    assert entry.issue == issue and entry.left_at == issue.closed_at
    assert counts_of(community_staff, Tier.COMMUNITY, community_staff.community).crossed_off == 1


def test_a_send_back_puts_it_open_again_on_the_lower_list(accepted, community_staff, street_staff):
    issue = services.issue_escalate(issue=accepted(), actor=community_staff, reason="需要街道协调")
    assert entry_of(issue, Tier.COMMUNITY).state == EntryState.ESCALATED
    services.issue_send_back(issue=issue, actor=street_staff, reason="社区可以自行解决")
    entry = entry_of(issue, Tier.COMMUNITY)
    assert (entry.state, entry.left_at) == (EntryState.OPEN, None)
    assert not ProblemListEntry.objects.filter(issue=issue, tier=Tier.STREET).exists()


def test_the_overdue_filter_follows_the_clock(accepted, community_staff):
    late, fresh = accepted(title="路灯坏了"), accepted(title="井盖丢了")
    community = community_staff.community
    assert entries_of(community_staff, Tier.COMMUNITY, community, overdue=True) == []
    with time_machine.travel(late.resolution_due + timedelta(hours=1), tick=False):
        fresh.refresh_from_db()
        overdue = entries_of(community_staff, Tier.COMMUNITY, community, overdue=True)
        # Both were accepted together, so both are late now: one definition, Issue.is_overdue.
        assert {e.issue_id for e in overdue} == {late.pk, fresh.pk}
        assert all(e.issue.is_overdue for e in overdue)
        assert counts_of(community_staff, Tier.COMMUNITY, community).overdue == 2
        assert entries_of(community_staff, Tier.COMMUNITY, community, overdue=False) == []


def test_overdue_means_open_on_this_list(whistled_up, community_staff, street_staff):
    with time_machine.travel(whistled_up.resolution_due + timedelta(days=1), tick=False):
        assert counts_of(community_staff, Tier.COMMUNITY, community_staff.community).overdue == 0
        assert counts_of(street_staff, Tier.STREET, street_staff.street).overdue == 1


def test_filters_by_category_grid_and_acceptance_day(accepted, categories, community_staff):
    rubbish, snow = accepted(), accepted(title="门前积雪", category=categories.get(code="snow"))
    community = community_staff.community
    assert [e.issue for e in entries_of(community_staff, Tier.COMMUNITY, community, category="snow")] == [snow]
    everything_environmental = entries_of(community_staff, Tier.COMMUNITY, community, category="environment")
    assert {e.issue for e in everything_environmental} == {rubbish, snow}
    assert len(entries_of(community_staff, Tier.COMMUNITY, community, grid=rubbish.grid.code)) == 2
    assert entries_of(community_staff, Tier.COMMUNITY, community, grid="nowhere") == []
    today = timezone.localdate()
    assert len(entries_of(community_staff, Tier.COMMUNITY, community, accepted_from=today, accepted_to=today)) == 2
    assert entries_of(community_staff, Tier.COMMUNITY, community, accepted_from=today + timedelta(days=1)) == []
    assert entries_of(community_staff, Tier.COMMUNITY, community, accepted_to=today - timedelta(days=1)) == []


# Who may open which list -------------------------------------------------------------------------

@pytest.fixture
def other_community():
    return Community.objects.exclude(code="").exclude(name__startswith="东市场").select_related("street").filter(
        street__name="中华街道").first()


@pytest.fixture
def other_street():
    return Street.objects.exclude(name="中华街道").first()


@pytest.fixture
def outsiders(other_community, other_street):
    """Staff of another community of the same street, and of another street."""
    return {
        "other_community_staff": User.objects.create(username="other_community_staff", role=Role.COMMUNITY_STAFF,
                                                     community=other_community),
        "other_street_staff": User.objects.create(username="other_street_staff", role=Role.STREET_STAFF,
                                                  street=other_street),
    }


def account(username):
    return User.objects.get(username=username)


DISTRICT_ROLES = ["command_centre", "leader", "inspector", "admin"]


def test_the_lists_each_role_may_choose(community_staff, grid_officer, street_staff, department_staff, resident):
    home = community_staff.community
    assert [(u.tier, u.code) for u in problem_list.lists_for(community_staff)] == [(Tier.COMMUNITY, home.code)]
    assert [(u.tier, u.code) for u in problem_list.lists_for(grid_officer)] == [(Tier.COMMUNITY, home.code)]
    street_lists = problem_list.lists_for(street_staff)
    assert street_lists[0].tier == Tier.STREET and street_lists[0].code == street_staff.street.code
    assert {u.code for u in street_lists[1:]} == set(street_staff.street.communities.values_list("code", flat=True))
    assert [(u.tier, u.code) for u in problem_list.lists_for(department_staff)] == [(Tier.DISTRICT, "district")]
    assert problem_list.lists_for(resident) == []
    for username in DISTRICT_ROLES:
        units = problem_list.lists_for(account(username))
        assert units[0].tier == Tier.DISTRICT
        assert sum(u.tier == Tier.STREET for u in units) == Street.objects.count()
        assert sum(u.tier == Tier.COMMUNITY for u in units) == Community.objects.count()


def _list_urls(community, street):
    return {
        "home_community": f"/lists/community/{community.code}/",
        "home_street": f"/lists/street/{street.code}/",
        "district": "/lists/district/district/",
    }


# What each account gets for each list: 200 to read it, 404 for a list outside their area, 403 for residents.
MATRIX = {
    "community_staff": {"home_community": 200, "home_street": 404, "district": 404, "other_community": 404},
    "grid_officer": {"home_community": 200, "home_street": 404, "district": 404, "other_community": 404},
    "street_staff": {"home_community": 200, "home_street": 200, "district": 404, "other_community": 200},
    "department_staff": {"home_community": 404, "home_street": 404, "district": 200, "other_community": 404},
    "other_community_staff": {"home_community": 404, "home_street": 404, "district": 404, "other_community": 200},
    "other_street_staff": {"home_community": 404, "home_street": 404, "district": 404, "other_community": 404},
    "resident": {"home_community": 403, "home_street": 403, "district": 403, "other_community": 403},
    **{role: {"home_community": 200, "home_street": 200, "district": 200, "other_community": 200}
       for role in DISTRICT_ROLES},
}


@pytest.mark.parametrize("username", sorted(MATRIX))
def test_who_may_open_which_list(username, signed_in, outsiders, community_staff, street_staff, other_community,
                                 accepted):
    accepted()
    urls = _list_urls(community_staff.community, street_staff.street)
    urls["other_community"] = f"/lists/community/{other_community.code}/"
    page_client = signed_in(outsiders.get(username) or account(username))
    api = APIClient()
    api.force_authenticate(outsiders.get(username) or account(username))
    for name, expected in MATRIX[username].items():
        assert page_client.get(urls[name]).status_code == expected, (username, name)
        tier, code = urls[name].split("/")[2:4]
        assert api.get(f"/api/v1/problem-lists/{tier}/{code}/entries/").status_code == expected, (username, name)


def test_unknown_lists_and_tiers_are_not_found(signed_in, command_centre):
    client = signed_in(command_centre)
    for url in ["/lists/community/nowhere/", "/lists/grid/1/", "/lists/street/district/", "/lists/district/1/"]:
        assert client.get(url).status_code == 404, url


def test_department_staff_see_only_what_was_dispatched_to_their_department(file_issue, advance, community_staff,
                                                                          street_staff, command_centre,
                                                                          department_staff):
    def to_the_district(title):
        issue = services.issue_escalate(issue=advance(file_issue(title=title), Status.ACCEPTED),
                                        actor=community_staff, reason="需要区里")
        issue = services.issue_accept(issue=issue, actor=street_staff)
        issue = services.issue_escalate(issue=issue, actor=street_staff, reason="需要部门报到")
        return services.issue_accept(issue=issue, actor=command_centre)

    ours, theirs = to_the_district("占道经营"), to_the_district("噪音扰民")
    services.issue_dispatch(issue=ours, actor=command_centre, department=department_staff.department)
    assert {e.issue_id for e in entries_of(command_centre, Tier.DISTRICT)} == {ours.pk, theirs.pk}
    assert [e.issue_id for e in entries_of(department_staff, Tier.DISTRICT)] == [ours.pk]
    assert counts_of(department_staff, Tier.DISTRICT).open == 1


# The pages ---------------------------------------------------------------------------------------

def html(response):
    return response.content.decode()


def test_the_list_page_shows_counts_rows_links_and_overdue(signed_in, accepted, community_staff):
    late, fresh = accepted(title="路灯坏了"), accepted(title="井盖丢了")
    from issues.models import Issue
    Issue.objects.filter(pk=late.pk).update(resolution_due=timezone.now() - timedelta(hours=1))
    client = signed_in(community_staff)
    page = html(client.get(f"/lists/community/{community_staff.community.code}/"))
    assert page.count('<tr class="entry ') == 2
    assert f'href="/issues/{late.number}/"' in page and f'href="/issues/{fresh.number}/"' in page
    assert f'class="entry entry-open is-overdue" data-number="{late.number}"' in page
    assert f'class="entry entry-open" data-number="{fresh.number}"' in page
    assert 'id="export-xlsx"' in page and "format=xlsx" in page and "format=csv" in page
    overdue_only = html(client.get(f"/lists/community/{community_staff.community.code}/?overdue=yes"))
    assert late.number in overdue_only and fresh.number not in overdue_only
    assert '<span class="count-number">1</span>' in overdue_only  # the overdue count in the header


def test_the_index_links_each_list(signed_in, street_staff):
    page = html(signed_in(street_staff).get("/lists/"))
    assert f'href="/lists/street/{street_staff.street.code}/"' in page
    for code in street_staff.street.communities.values_list("code", flat=True):
        assert f'href="/lists/community/{code}/"' in page
    assert "/lists/district/" not in page


def test_the_nav_links_the_lists_for_staff_only(signed_in, community_staff, resident):
    assert 'href="/lists/"' in html(signed_in(community_staff).get("/work/"))
    assert 'href="/lists/"' not in html(signed_in(resident).get("/whistle/mine/"))


@pytest.mark.parametrize("query", ["state=bogus", "accepted_from=yesterday", "overdue=maybe", "page_size=0",
                                   "accepted_from=2026-11-27&accepted_to=2026-11-01", "format=pdf", "category=nope",
                                   "grid=%00"])
def test_bad_filters_are_form_errors_not_failures(signed_in, accepted, community_staff, query):
    accepted()
    client = signed_in(community_staff)
    url = f"/lists/community/{community_staff.community.code}/?{query}"
    response = client.get(url)
    assert response.status_code == 400
    assert 'class="form-errors"' in html(response)
    if "format" in query:
        return
    export = client.get(url + "&format=xlsx")  # never other rows than asked for
    assert export.status_code == 400 and export["Content-Type"].startswith("text/html")


def test_a_grid_officer_may_narrow_the_list_to_their_grid(signed_in, accepted, grid_officer):
    issue = accepted()
    client = signed_in(grid_officer)
    base = f"/lists/community/{grid_officer.grid.community.code}/"
    page = html(client.get(base))
    assert f'href="?grid={grid_officer.grid.code}"' in page
    assert issue.number in html(client.get(f"{base}?grid={grid_officer.grid.code}"))
    other = grid_officer.grid.community.grids.exclude(pk=grid_officer.grid_id).first()
    assert issue.number not in html(client.get(f"{base}?grid={other.code}"))


# Exports -----------------------------------------------------------------------------------------

def zh_headers():
    with translation.override("zh-hans"):
        return [str(column.header) for column in COLUMNS]


def local(moment):
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


@pytest.fixture
def ledger(accepted, file_issue, advance, whistled_up, community_staff):
    """The community's list: one open and late, one crossed off, one whistled up."""
    late = accepted(title="路灯坏了")
    from issues.models import Issue
    Issue.objects.filter(pk=late.pk).update(resolution_due=timezone.now() - timedelta(hours=2))
    closed = advance(file_issue(title="楼道堆物"), Status.CLOSED)
    return {"late": Issue.objects.get(pk=late.pk), "closed": closed, "whistled_up": whistled_up}


def _expected_row(issue, *, state, overdue, deadline, crossed_off_at, handler):
    with translation.override("zh-hans"):
        return {
            "诉求编号": issue.number, "标题": issue.title, "类别": str(issue.category), "网格": issue.grid.name,
            "社区": issue.community.name, "街道": issue.street.name, "紧急程度": issue.get_priority_display(),
            "状态": issue.get_status_display(), "state": str(EntryState(state).label),
            "overdue": "是" if overdue else "否", "deadline": deadline, "crossed_off_at": crossed_off_at,
            "承办人": handler,
        }


def _expected(ledger):
    late, closed, up = ledger["late"], ledger["closed"], ledger["whistled_up"]
    closed_entry = entry_of(closed, Tier.COMMUNITY)
    return {
        late.number: _expected_row(late, state=EntryState.OPEN, overdue=True, deadline=late.resolution_due,
                                   crossed_off_at=None, handler=""),
        closed.number: _expected_row(closed, state=EntryState.CROSSED_OFF, overdue=False,
                                     deadline=closed.resolution_due, crossed_off_at=closed_entry.left_at,
                                     handler=str(closed.handler)),
        up.number: _expected_row(up, state=EntryState.ESCALATED, overdue=False, deadline=None, crossed_off_at=None,
                                 handler=""),
    }


def _disposition_name(response):
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="problem-list-community-')
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert encoded == quote(unquote(encoded), safe="")
    return unquote(encoded)


def test_the_csv_export_reads_back_row_by_row(signed_in, ledger, community_staff):
    response = signed_in(community_staff).get(f"/lists/community/{community_staff.community.code}/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    name = _disposition_name(response)
    assert name.endswith(f"-东市场社区-{timezone.localdate():%Y%m%d}.csv")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # Excel on a Chinese Windows reads it as UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == zh_headers()
    assert rows[0][:8] == ["诉求编号", "标题", "类别", "网格", "社区", "街道", "紧急程度", "状态"]
    assert rows[0][9:] == ["受理时间", "办结时限", "超期", "销号时间", "承办人"]
    expected = _expected(ledger)
    assert len(rows) == 1 + len(expected)
    for row in rows[1:]:
        want = expected[row[0]]
        as_text = [want["诉求编号"], want["标题"], want["类别"], want["网格"], want["社区"], want["街道"],
                   want["紧急程度"], want["状态"], want["state"]]
        assert row[:9] == as_text
        entry = entry_of(ledger_issue(ledger, row[0]), Tier.COMMUNITY)
        assert row[9] == local(entry.accepted_at).strftime("%Y-%m-%d %H:%M")
        assert row[10] == (local(want["deadline"]).strftime("%Y-%m-%d %H:%M") if want["deadline"] else "")
        assert row[11] == want["overdue"]
        assert row[12] == (local(want["crossed_off_at"]).strftime("%Y-%m-%d %H:%M") if want["crossed_off_at"] else "")
        assert row[13] == want["承办人"]


def ledger_issue(ledger, number):
    return next(issue for issue in ledger.values() if issue.number == number)


def test_the_xlsx_export_reads_back_row_by_row(signed_in, ledger, community_staff):
    response = signed_in(community_staff).get(f"/lists/community/{community_staff.community.code}/?format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert _disposition_name(response).endswith(f"-东市场社区-{timezone.localdate():%Y%m%d}.xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    assert sheet.title == "东市场社区"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:N{1 + 3}"
    assert sheet.column_dimensions["B"].width == 32
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == zh_headers()
    assert sheet["A1"].font.b
    expected = _expected(ledger)
    assert len(rows) == 1 + len(expected)
    for row in rows[1:]:
        want = expected[row[0]]
        entry = entry_of(ledger_issue(ledger, row[0]), Tier.COMMUNITY)
        assert row[:9] == [want["诉求编号"], want["标题"], want["类别"], want["网格"], want["社区"], want["街道"],
                           want["紧急程度"], want["状态"], want["state"]]
        # Real dates, in Asia/Shanghai, to the second the database holds (Excel keeps milliseconds).
        assert abs(row[9] - local(entry.accepted_at)) < timedelta(milliseconds=1)
        assert (row[10] is None) == (want["deadline"] is None)
        if want["deadline"]:
            assert abs(row[10] - local(want["deadline"])) < timedelta(milliseconds=1)
        assert row[11] == want["overdue"]
        assert (row[12] is None) == (want["crossed_off_at"] is None)
        assert (row[13] or "") == want["承办人"]
    assert sheet.cell(row=2, column=10).number_format == "yyyy-mm-dd hh:mm"


def test_exports_follow_the_filters_and_the_language(signed_in, ledger, community_staff):
    client = signed_in(community_staff)
    base = f"/lists/community/{community_staff.community.code}/"
    body = b"".join(client.get(base + "?format=csv&state=crossed_off&page=2").streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [ledger["closed"].number]
    client.post("/i18n/setlang/", {"language": "en"})
    english = b"".join(client.get(base + "?format=csv").streaming_content).decode("utf-8-sig")
    assert english.splitlines()[0].startswith("tracking number,title,category,grid,community,street,priority,status")


def test_the_exporters_write_to_files(ledger, community_staff):
    entries = problem_list.problem_list_for(community_staff, tier=Tier.COMMUNITY, unit=community_staff.community)
    text = io.StringIO()
    problem_list.problem_list_csv(entries, text)
    assert text.getvalue().startswith("\ufeff") and len(text.getvalue().splitlines()) == 4
    binary = io.BytesIO()
    problem_list.problem_list_xlsx(entries, binary, title="问题清单")
    binary.seek(0)
    assert load_workbook(binary).worksheets[0].max_row == 4


# The API -----------------------------------------------------------------------------------------

@pytest.fixture
def api():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


def test_the_api_lists_the_lists_a_user_may_open(api, street_staff, resident):
    answer = api(street_staff).get("/api/v1/problem-lists/")
    assert answer.status_code == 200
    first = answer.json()[0]
    assert first == {"tier": "street", "tier_display": first["tier_display"], "code": street_staff.street.code,
                     "name": "中华街道", "street": "",
                     "entries_url": f"/api/v1/problem-lists/street/{street_staff.street.code}/entries/"}
    assert len(answer.json()) == 1 + street_staff.street.communities.count()
    assert api(resident).get("/api/v1/problem-lists/").status_code == 403
    assert APIClient().get("/api/v1/problem-lists/").status_code in (401, 403)


def test_the_api_pages_entries_with_counts(api, ledger, community_staff):
    url = f"/api/v1/problem-lists/community/{community_staff.community.code}/entries/"
    answer = api(community_staff).get(url, {"page_size": 2})
    assert answer.status_code == 200
    data = answer.json()
    assert data["count"] == 3 and len(data["results"]) == 2 and data["next"]
    assert data["counts"] == {"open": 1, "overdue": 1, "escalated": 1, "crossed_off": 1}
    assert data["list"]["code"] == community_staff.community.code and data["list"]["tier"] == "community"
    late = api(community_staff).get(url, {"overdue": "true"}).json()["results"]
    assert [(row["number"], row["state"], row["overdue"]) for row in late] == [(ledger["late"].number, "open", True)]
    crossed = api(community_staff).get(url, {"state": "crossed_off"}).json()["results"][0]
    assert crossed["number"] == ledger["closed"].number and crossed["crossed_off_at"]
    assert crossed["handler"]["username"] == "grid_officer"


def test_the_api_answers_files_by_format_or_accept(api, ledger, community_staff):
    url = f"/api/v1/problem-lists/community/{community_staff.community.code}/entries/"
    client = api(community_staff)
    as_csv = client.get(url, {"format": "csv", "state": "escalated"})
    assert as_csv.status_code == 200 and as_csv["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(as_csv.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [ledger["whistled_up"].number]
    negotiated = client.get(url, HTTP_ACCEPT="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert negotiated.status_code == 200
    assert load_workbook(io.BytesIO(b"".join(negotiated.streaming_content))).worksheets[0].max_row == 4
    assert "filename*=UTF-8''" in negotiated["Content-Disposition"]


@pytest.mark.parametrize("query", [{"state": "bogus"}, {"overdue": "maybe"}, {"accepted_from": "yesterday"},
                                   {"accepted_from": "2026-11-27", "accepted_to": "2026-11-01"}])
def test_the_api_refuses_bad_filters_with_a_message(api, community_staff, query):
    url = f"/api/v1/problem-lists/community/{community_staff.community.code}/entries/"
    for extra in ({}, {"format": "csv"}):
        answer = api(community_staff).get(url, {**query, **extra})
        assert answer.status_code == 400
        assert answer["Content-Type"].startswith("application/json")
        assert answer.json()["detail"] and answer.json()["field"] in query


def test_the_schema_describes_the_problem_list_calls():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    entries = schema["paths"]["/api/v1/problem-lists/{tier}/{unit}/entries/"]["get"]
    assert "/api/v1/problem-lists/" in schema["paths"]
    assert set(entries["responses"]["200"]["content"]) == {
        "application/json", "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    assert {p["name"] for p in entries["parameters"]} >= {"state", "overdue", "category", "grid", "accepted_from",
                                                          "accepted_to", "format", "page", "page_size"}


# A fixed number of queries whatever the number of rows --------------------------------------------

PAGE_QUERIES = 8  # session, user, list, grids, categories, count, rows, counts per state
API_QUERIES = 5  # the token with its user, list, count, rows, counts per state
EXPORT_QUERIES = 6  # session, user, list, grids, categories, rows


@pytest.fixture
def rows_on_the_list(file_issue, advance, grid_officer):
    def make(count):
        for number in range(count):
            issue = advance(file_issue(title=f"问题{number}"), Status.ACCEPTED if number % 2 else Status.DISPATCHED)
            assert issue.status in (Status.ACCEPTED, Status.DISPATCHED)

    return make


@pytest.fixture
def token_client():
    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        return client

    return make


@pytest.mark.parametrize("count", [2, 12])
def test_the_queries_do_not_grow_with_the_rows(count, rows_on_the_list, signed_in, token_client, community_staff,
                                               django_assert_num_queries):
    rows_on_the_list(count)
    code = community_staff.community.code
    client = signed_in(community_staff)
    api = token_client(community_staff)
    with django_assert_num_queries(PAGE_QUERIES):
        page = html(client.get(f"/lists/community/{code}/?page_size=50"))
    assert page.count('<tr class="entry ') == count
    assert "东市场社区网格员" in page  # the handlers of the dispatched ones, from the same query
    with django_assert_num_queries(API_QUERIES):
        answer = api.get(f"/api/v1/problem-lists/community/{code}/entries/", {"page_size": 50})
    assert len(answer.json()["results"]) == count
    for export in ("csv", "xlsx"):
        with django_assert_num_queries(EXPORT_QUERIES):
            response = client.get(f"/lists/community/{code}/?format={export}")
            body = b"".join(response.streaming_content)
        assert body
    with django_assert_num_queries(API_QUERIES - 2):  # no page count, no counts per state
        response = api.get(f"/api/v1/problem-lists/community/{code}/entries/", {"format": "csv"})
        assert len(b"".join(response.streaming_content).decode("utf-8-sig").splitlines()) == count + 1
