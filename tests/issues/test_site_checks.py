"""On-site checks by the grid officer: 核实 (is the whistle real?) before the owner accepts it, 核查 (is it
really fixed?) before the owner crosses it off – through the one lifecycle, for every role and state, on the
issue page and through the API (what the field app's outbox sends)."""
import dataclasses
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from grids.models import GridDuty, Role, User
from issues import selectors, services
from issues.lifecycle import Action, Status
from issues.models import CheckKind, CheckOutcome, CheckState, Issue, IssueEvent, IssuePhoto, PhotoKind, SiteCheck
from issues.photos import photo_prepare
from notifications.models import Notification
from tests.factories import api_as, jpeg

pytestmark = pytest.mark.django_db

PEOPLE = ["resident", "resident2", "grid_officer", "community_staff", "street_staff", "command_centre",
          "department_staff", "leader", "inspector", "admin"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def person(username):
    return User.objects.select_related("grid", "community", "street", "department").get(username=username)


@pytest.fixture
def colleague(grid_officer):
    """Another grid officer of the grid officer's grid (an information officer), who checks work they did
    not do."""
    return (User.objects.filter(role=Role.GRID_OFFICER, grid=grid_officer.grid, is_active=True)
            .exclude(pk=grid_officer.pk).exclude(grid_duty=GridDuty.LEADER).order_by("pk").first())


@pytest.fixture
def resolved(file_issue, advance):
    """A whistle resolved by the grid officer (its handler), waiting for 东市场社区 to close it."""
    return advance(file_issue(), Status.RESOLVED)


def ask(issue, *, kind=CheckKind.VERIFY, actor="community_staff", officer="grid_officer", **extra):
    return services.issue_check_ask(issue=issue, actor=person(actor), kind=kind,
                                    officer=person(officer) if officer else None, **extra)


def fresh(issue):
    return Issue.objects.get(pk=issue.pk)


def actions_of(issue):
    return [event.action for event in IssueEvent.objects.filter(issue=issue).order_by("at", "id")]


def snapshot(issue):
    row = fresh(issue)
    return (row.status, row.version, row.checker_id, row.handler_id, IssueEvent.objects.filter(issue=issue).count(),
            list(SiteCheck.objects.filter(issue=issue).values_list("state", flat=True)))


# Verify before accepting (核实) ------------------------------------------------------------------------

def test_the_community_has_a_whistle_verified_before_accepting_it(file_issue, grid_officer, community_staff):
    issue = file_issue()
    check = ask(issue, note="看看是不是真的堆了三天")
    assert (check.state, check.officer, check.asked_by, check.ask_note) == (
        CheckState.ASKED, grid_officer, community_staff, "看看是不是真的堆了三天")
    assert timedelta(hours=23) < check.due_at - timezone.now() <= timedelta(hours=24)  # FIELD_CHECK_HOURS
    assert fresh(issue).status == Status.SUBMITTED and fresh(issue).checker == grid_officer
    assert Notification.objects.filter(recipient=grid_officer, issue=issue, kind="verify_ask").exists()
    assert [c.pk for c in selectors.checks_asked_of(grid_officer)] == [check.pk]

    services.issue_check_report(check=check, actor=grid_officer, outcome=CheckOutcome.REAL, note="确实堆满了",
                                photos=[photo_prepare(jpeg())])
    check.refresh_from_db()
    assert (check.state, check.outcome, check.answer_note) == (CheckState.ANSWERED, CheckOutcome.REAL, "确实堆满了")
    assert fresh(issue).checker is None and fresh(issue).status == Status.SUBMITTED
    photo = IssuePhoto.objects.get(issue=issue)
    assert (photo.kind, photo.event_id) == (PhotoKind.CHECK, check.end_event_id)
    assert Notification.objects.filter(recipient=community_staff, issue=issue, kind="verify_report").exists()
    assert list(selectors.checks_asked_of(grid_officer)) == []

    services.issue_accept(issue=issue, actor=community_staff)
    assert actions_of(issue) == [Action.SUBMIT, Action.VERIFY_ASK, Action.VERIFY_REPORT, Action.ACCEPT]
    answered = IssueEvent.objects.get(issue=issue, action=Action.VERIFY_REPORT)
    assert (answered.actor, answered.data["outcome"], answered.data["on_time"]) == (grid_officer, "real", True)


def test_a_duplicate_found_on_site_names_the_original_and_the_owner_merges(file_issue, grid_officer,
                                                                            community_staff):
    original, issue = file_issue(title="原来那条"), file_issue()
    check = ask(issue)
    with pytest.raises(services.InvalidInput) as refused:
        services.issue_check_report(check=check, actor=grid_officer, outcome=CheckOutcome.DUPLICATE)
    assert refused.value.field == "duplicate_of"
    services.issue_check_report(check=check, actor=grid_officer, outcome=CheckOutcome.DUPLICATE,
                                duplicate_of=original)
    check.refresh_from_db()
    assert check.duplicate_of == original
    assert IssueEvent.objects.get(issue=issue, action=Action.VERIFY_REPORT).data["duplicate_of"] == original.number


def test_accepting_cancels_a_pending_verification_and_the_late_answer_says_why(file_issue, grid_officer,
                                                                                community_staff):
    issue = file_issue()
    check = ask(issue)
    services.issue_accept(issue=issue, actor=community_staff)
    check.refresh_from_db()
    assert check.state == CheckState.CANCELLED and fresh(issue).checker is None
    cancel = IssueEvent.objects.get(issue=issue, action=Action.CHECK_CANCEL)
    assert (cancel.actor, cancel.data["because"], cancel.from_status) == (community_staff, "accept", "submitted")
    assert actions_of(issue) == [Action.SUBMIT, Action.VERIFY_ASK, Action.CHECK_CANCEL, Action.ACCEPT]
    before = snapshot(issue)
    with translation.override("en"), pytest.raises(services.Conflict) as late:
        services.issue_check_report(check=check, actor=grid_officer, outcome=CheckOutcome.REAL)
    assert str(late.value) == "The owning tier accepted the whistle meanwhile."
    assert snapshot(issue) == before


@pytest.mark.parametrize("move", ["reject", "withdraw"])
def test_rejecting_or_withdrawing_cancels_a_pending_verification(file_issue, community_staff, resident, move):
    issue = file_issue()
    check = ask(issue)
    if move == "reject":
        services.issue_reject(issue=issue, actor=community_staff, reason="invalid", note="现场没有")
    else:
        services.issue_withdraw(issue=issue, actor=resident)
    check.refresh_from_db()
    assert check.state == CheckState.CANCELLED
    assert IssueEvent.objects.get(issue=issue, action=Action.CHECK_CANCEL).data["because"] == move


# Check before closing (核查) ----------------------------------------------------------------------------

def test_closing_waits_for_the_inspection_and_a_pass_lets_it_close(resolved, colleague, community_staff):
    check = ask(resolved, kind=CheckKind.INSPECT, officer=colleague.username)
    assert Notification.objects.filter(recipient=colleague, issue=resolved, kind="inspect_ask").exists()
    assert Action.CLOSE not in [t.action for t in selectors.available_actions(community_staff, fresh(resolved))]
    before = snapshot(resolved)
    with pytest.raises(services.Conflict) as refused:
        services.issue_close(issue=resolved, actor=community_staff)
    assert refused.value.message
    assert snapshot(resolved) == before

    services.issue_check_report(check=check, actor=colleague, outcome=CheckOutcome.FIXED, note="已清理干净")
    assert Action.CLOSE in [t.action for t in selectors.available_actions(community_staff, fresh(resolved))]
    assert Notification.objects.filter(recipient=community_staff, issue=resolved, kind="inspect_pass").exists()
    assert services.issue_close(issue=resolved, actor=community_staff).status == Status.CLOSED


def test_not_fixed_on_site_returns_the_issue_to_its_handler(resolved, colleague, grid_officer):
    check = ask(resolved, kind=CheckKind.INSPECT, officer=colleague.username)
    with pytest.raises(services.InvalidInput) as no_note:
        services.issue_check_report(check=check, actor=colleague, outcome=CheckOutcome.NOT_FIXED)
    assert no_note.value.field == "note"
    services.issue_check_report(check=check, actor=colleague, outcome=CheckOutcome.NOT_FIXED, note="桶边还有垃圾")
    issue = fresh(resolved)
    assert (issue.status, issue.handler, issue.resolved_at, issue.checker) == (Status.DISPATCHED, grid_officer, None,
                                                                               None)
    assert issue.response_clock_running
    assert Notification.objects.filter(recipient=grid_officer, issue=issue, kind="inspect_fail").exists()
    services.issue_respond(issue=issue, actor=grid_officer)  # the handler must report for duty again


def test_the_handler_is_not_sent_to_inspect_their_own_work(resolved, grid_officer, colleague):
    with pytest.raises(services.InvalidInput) as refused:
        ask(resolved, kind=CheckKind.INSPECT, officer="grid_officer")
    assert refused.value.field == "officer"
    check = ask(resolved, kind=CheckKind.INSPECT, officer=None)  # the default skips the handler
    assert check.officer != grid_officer and check.officer.grid_id == grid_officer.grid_id


def test_a_return_by_the_owner_cancels_a_pending_inspection(resolved, colleague, community_staff):
    check = ask(resolved, kind=CheckKind.INSPECT, officer=colleague.username)
    services.issue_return(issue=resolved, actor=community_staff, note="居民又打电话来了")
    check.refresh_from_db()
    assert check.state == CheckState.CANCELLED
    with translation.override("en"), pytest.raises(services.Conflict) as late:
        services.issue_check_report(check=check, actor=colleague, outcome=CheckOutcome.FIXED)
    assert str(late.value) == "The owning tier returned the issue to its handler meanwhile."


# Who may ask and answer, in which state ---------------------------------------------------------------

def test_only_the_owner_asks_and_only_the_officer_asked_answers(file_issue, advance, colleague):
    """The role matrix: every person, each check action; the wrong ones are refused and nothing changes."""
    for kind, state in ((CheckKind.VERIFY, Status.SUBMITTED), (CheckKind.INSPECT, Status.RESOLVED)):
        for username in PEOPLE:
            issue = advance(file_issue(), state) if state != Status.SUBMITTED else file_issue()
            before = snapshot(issue)
            if username == "community_staff":
                ask(issue, kind=kind, actor=username, officer=colleague.username)
                assert snapshot(issue) != before
            else:
                with pytest.raises(services.PermissionRefused) as refused:
                    ask(issue, kind=kind, actor=username, officer=colleague.username)
                assert refused.value.message and snapshot(issue) == before, (kind, username)
        outcome = CheckOutcome.REAL if kind == CheckKind.VERIFY else CheckOutcome.FIXED
        issue = advance(file_issue(), state) if state != Status.SUBMITTED else file_issue()
        check = ask(issue, kind=kind, officer=colleague.username)
        before = snapshot(issue)
        for username in PEOPLE:
            with pytest.raises(services.PermissionRefused):
                services.issue_check_report(check=check, actor=person(username), outcome=outcome)
            assert snapshot(issue) == before, (kind, username)
        services.issue_check_report(check=check, actor=colleague, outcome=outcome)
        assert snapshot(issue) != before


@pytest.mark.parametrize("kind,state", [
    (CheckKind.VERIFY, Status.ACCEPTED), (CheckKind.VERIFY, Status.DISPATCHED), (CheckKind.VERIFY, Status.RESOLVED),
    (CheckKind.VERIFY, Status.CLOSED), (CheckKind.INSPECT, Status.SUBMITTED), (CheckKind.INSPECT, Status.RESPONDED),
    (CheckKind.INSPECT, Status.CLOSED),
])
def test_asking_in_the_wrong_state_is_a_conflict_that_changes_nothing(file_issue, advance, colleague, kind, state):
    issue = file_issue() if state == Status.SUBMITTED else advance(file_issue(), state)
    before = snapshot(issue)
    with pytest.raises(services.Conflict):
        ask(issue, kind=kind, officer=colleague.username)
    assert snapshot(issue) == before
    offered = {CheckKind.VERIFY: Action.VERIFY_ASK, CheckKind.INSPECT: Action.INSPECT_ASK}[kind]
    assert offered not in [t.action for t in selectors.available_actions(person("community_staff"), issue)]


def test_the_tier_that_owns_it_asks_after_a_whistle_up(file_issue, advance, community_staff, street_staff,
                                                       colleague):
    """An escalated whistle is verified by the street before it takes it (ESCALATED allows it)."""
    issue = services.issue_escalate(issue=advance(file_issue(), Status.ACCEPTED), actor=community_staff,
                                    reason="需要街道协调")
    with pytest.raises(services.PermissionRefused):
        ask(issue, actor="community_staff", officer=colleague.username)
    check = ask(issue, actor="street_staff", officer=colleague.username)
    services.issue_check_report(check=check, actor=colleague, outcome=CheckOutcome.REAL)
    assert services.issue_accept(issue=issue, actor=street_staff).status == Status.ACCEPTED


def test_one_check_at_a_time_and_only_grid_officers_of_the_grid(file_issue, colleague, community_staff):
    issue = file_issue()
    with pytest.raises(services.InvalidInput) as not_an_officer:
        ask(issue, officer="community_staff")
    assert not_an_officer.value.field == "officer"
    elsewhere = User.objects.filter(role=Role.GRID_OFFICER, is_active=True).exclude(grid=colleague.grid).first()
    with pytest.raises(services.InvalidInput):
        ask(issue, officer=elsewhere.username)
    with pytest.raises(services.InvalidInput) as bad_kind:
        ask(issue, kind="look")
    assert bad_kind.value.field == "kind"
    ask(issue, officer=None)
    with pytest.raises(services.Conflict):
        ask(issue, officer=colleague.username)
    assert SiteCheck.objects.filter(issue=issue).count() == 1
    assert Action.VERIFY_ASK not in [t.action for t in selectors.available_actions(community_staff, fresh(issue))]


def test_the_default_officer_is_an_officer_of_the_grid_not_its_leader(file_issue, grid_officer):
    check = ask(file_issue(), officer=None)
    assert check.officer.grid_id == grid_officer.grid_id and check.officer.grid_duty != GridDuty.LEADER


def test_refused_answers(file_issue, grid_officer):
    issue = file_issue()
    check = ask(issue)
    for outcome, field in ((CheckOutcome.FIXED, "outcome"), ("nonsense", "outcome"), (CheckOutcome.NOT_FOUND, "note")):
        with pytest.raises(services.InvalidInput) as refused:
            services.issue_check_report(check=check, actor=grid_officer, outcome=outcome)
        assert refused.value.field == field
    with pytest.raises(services.InvalidInput):
        services.issue_check_report(check=check, actor=grid_officer, outcome=CheckOutcome.DUPLICATE, duplicate_of=issue)
    services.issue_check_report(check=check, actor=grid_officer, outcome=CheckOutcome.NOT_FOUND, note="没看到垃圾",
                                idempotency_key="k-1")
    events = IssueEvent.objects.filter(issue=issue).count()
    again = services.issue_check_report(check=check, actor=grid_officer, outcome=CheckOutcome.NOT_FOUND,
                                        note="没看到垃圾", idempotency_key="k-1")
    assert again.pk == check.pk and IssueEvent.objects.filter(issue=issue).count() == events
    with translation.override("en"), pytest.raises(services.Conflict) as twice:
        services.issue_check_report(check=check, actor=grid_officer, outcome=CheckOutcome.REAL, idempotency_key="k-2")
    assert str(twice.value) == "This check was answered already."
    other = ask(file_issue())
    with pytest.raises(services.Conflict):  # the key of one answer cannot answer another check
        services.issue_check_report(check=other, actor=grid_officer, outcome=CheckOutcome.REAL, idempotency_key="k-1")


def test_a_photos_exif_position_is_kept(file_issue, grid_officer):
    check = ask(file_issue())
    prepared = photo_prepare(jpeg())
    located = dataclasses.replace(prepared, position=(47.35, 123.95))
    services.issue_check_report(check=check, actor=grid_officer, outcome=CheckOutcome.REAL, photos=[located])
    photo = IssuePhoto.objects.get(issue=check.issue)
    assert (photo.taken_lat, photo.taken_lng) == (47.35, 123.95)


# The issue page ----------------------------------------------------------------------------------------

def test_on_the_page_the_owner_asks_and_the_officer_answers(file_issue, signed_in, community_staff, grid_officer):
    issue = file_issue()
    owner = signed_in(community_staff)
    page = owner.get(f"/issues/{issue.number}/").content.decode()
    assert 'id="panel-verify_ask"' in page and 'id="pending-check"' not in page
    response = owner.post(f"/issues/{issue.number}/verify_ask/", {"version": issue.version, "officer": grid_officer.pk,
                                                                  "note": "请核实"})
    assert response.status_code == 302
    page = owner.get(f"/issues/{issue.number}/").content.decode()
    assert f'data-officer="{grid_officer.username}"' in page and 'id="panel-verify_ask"' not in page

    officer = signed_in(grid_officer)
    page = officer.get(f"/issues/{issue.number}/").content.decode()
    assert 'id="panel-verify_report"' in page and 'id="panel-accept"' not in page
    check = SiteCheck.objects.get(issue=issue)
    missing = officer.post(f"/issues/{issue.number}/verify_report/",
                           {"version": fresh(issue).version, "check": check.pk, "found": "not_found"})
    assert missing.status_code == 400  # what was found on site must be said
    unknown = officer.post(f"/issues/{issue.number}/verify_report/", {
        "version": fresh(issue).version, "check": check.pk, "found": "duplicate", "duplicate_of": "JH-20200101-0001"})
    assert unknown.status_code == 400 and 'id="panel-verify_report"' in unknown.content.decode()
    response = officer.post(f"/issues/{issue.number}/verify_report/", {
        "version": fresh(issue).version, "check": check.pk, "found": "real", "note": "属实", "photos": [jpeg()],
        "idempotency_key": "page-1"})
    assert response.status_code == 302
    check.refresh_from_db()
    assert (check.state, check.outcome, check.answer_key) == (CheckState.ANSWERED, CheckOutcome.REAL, "page-1")
    page = owner.get(f"/issues/{issue.number}/").content.decode()
    assert page.count('class="event"') == 3 and 'id="panel-accept"' in page
    assert grid_officer.full_name in page  # the officer named on the timeline


def test_on_the_page_close_is_not_offered_while_the_result_is_checked(resolved, signed_in, community_staff,
                                                                      colleague):
    ask(resolved, kind=CheckKind.INSPECT, officer=colleague.username)
    page = signed_in(community_staff).get(f"/issues/{resolved.number}/").content.decode()
    assert 'id="panel-close"' not in page and 'id="panel-return"' in page and 'data-check-kind="inspect"' in page
    refused = signed_in(community_staff).post(f"/issues/{resolved.number}/close/", {"version": fresh(resolved).version})
    assert refused.status_code == 409
    page = signed_in(colleague).get(f"/issues/{resolved.number}/").content.decode()
    assert 'id="panel-inspect_pass"' in page and 'id="panel-inspect_fail"' in page


def test_a_photo_taken_far_from_the_point_says_so_to_staff_only(file_issue, signed_in, resident, community_staff):
    issue = file_issue(photos=[photo_prepare(jpeg())])
    IssuePhoto.objects.filter(issue=issue).update(taken_lat=issue.lat + 0.01, taken_lng=issue.lng)  # ~1.1 km north
    staff_page = signed_in(community_staff).get(f"/issues/{issue.number}/").content.decode()
    assert 'class="photo-far" data-far-metres="11' in staff_page
    assert "photo-far" not in signed_in(resident).get(f"/issues/{issue.number}/").content.decode()
    IssuePhoto.objects.filter(issue=issue).update(taken_lat=issue.lat + 0.001)  # ~110 m: near enough
    assert "photo-far" not in signed_in(community_staff).get(f"/issues/{issue.number}/").content.decode()


# The API (the field app's outbox) ---------------------------------------------------------------------

def test_the_api_asks_lists_and_answers_once(file_issue, grid_officer, community_staff, resident,
                                             django_assert_num_queries):
    issue = file_issue()
    asked = api_as(community_staff).post(f"/api/v1/issues/{issue.pk}/check-ask/",
                                         {"kind": "verify", "officer": "grid_officer", "version": issue.version},
                                         format="json")
    assert asked.status_code == 201, asked.content
    check_id = asked.json()["id"]
    assert asked.json()["officer"]["username"] == "grid_officer" and asked.json()["outcomes"] == [
        "real", "not_found", "duplicate"]
    assert api_as(community_staff).get(f"/api/v1/issues/{issue.pk}/").json()["check_pending"] is True

    client = api_as(grid_officer)
    mine = client.get("/api/v1/checks/").json()["results"]
    assert [row["id"] for row in mine] == [check_id] and mine[0]["issue"]["number"] == issue.number
    assert client.get(f"/api/v1/checks/{check_id}/").status_code == 200
    assert api_as(resident).get(f"/api/v1/checks/{check_id}/").status_code == 404

    bad = client.post(f"/api/v1/checks/{check_id}/report/", {"outcome": "fixed"}, format="multipart")
    assert bad.status_code == 400 and bad.json()["field"] == "outcome"
    answer = {"outcome": "real", "note": "属实", "photos": [jpeg()]}
    first = client.post(f"/api/v1/checks/{check_id}/report/", answer, format="multipart", HTTP_IDEMPOTENCY_KEY="o-1")
    assert first.status_code == 200, first.content
    assert first.json()["state"] == "answered"
    events = IssueEvent.objects.filter(issue=issue).count()
    again = client.post(f"/api/v1/checks/{check_id}/report/", {"outcome": "real", "photos": [jpeg()]},
                        format="multipart", HTTP_IDEMPOTENCY_KEY="o-1")
    assert again.status_code == 200 and IssueEvent.objects.filter(issue=issue).count() == events
    assert IssuePhoto.objects.filter(issue=issue, kind=PhotoKind.CHECK).count() == 1
    late = client.post(f"/api/v1/checks/{check_id}/report/", {"outcome": "real"}, format="multipart",
                       HTTP_IDEMPOTENCY_KEY="o-2")
    assert late.status_code == 409 and late.json()["detail"]
    assert client.get("/api/v1/checks/").json()["results"] == []


def test_the_api_refusals(file_issue, grid_officer, community_staff, resident):
    issue = file_issue()
    url = f"/api/v1/issues/{issue.pk}/check-ask/"
    assert api_as(resident).post(url, {"kind": "verify"}, format="json").status_code == 403
    assert api_as(community_staff).post(url, {"kind": "look"}, format="json").status_code == 400
    assert api_as(community_staff).post(url, {"kind": "verify", "officer": "nobody"}, format="json").status_code == 400
    assert api_as(community_staff).post(url, {"kind": "verify", "version": 99}, format="json").status_code == 409
    assert api_as(community_staff).post(url, {"kind": "inspect"}, format="json").status_code == 409
    assert api_as(community_staff).post("/api/v1/checks/999999/report/", {"outcome": "real"}).status_code == 404
    check = ask(issue)
    services.issue_accept(issue=issue, actor=community_staff)
    late = api_as(grid_officer).post(f"/api/v1/checks/{check.pk}/report/", {"outcome": "real"}, format="multipart")
    assert late.status_code == 409
    assert api_as(community_staff).post(f"/api/v1/checks/{check.pk}/report/", {"outcome": "real"}).status_code == 403


@pytest.mark.parametrize("count", [1, 6])
def test_the_officers_checks_are_a_fixed_number_of_queries_nearest_due_first(file_issue, grid_officer, count,
                                                                             django_assert_num_queries):
    checks = [ask(file_issue()) for _ in range(count)]
    SiteCheck.objects.filter(pk=checks[-1].pk).update(due_at=timezone.now() + timedelta(hours=1))
    client = api_as(grid_officer)
    # the user's token-less session: the page of checks (joined with who asked), its count, the issues,
    # their categories and grids
    with django_assert_num_queries(5):
        rows = client.get("/api/v1/checks/").json()["results"]
    assert rows[0]["id"] == checks[-1].pk and len(rows) == count


@pytest.mark.parametrize("count", [1, 5])
def test_dispatched_to_me_runs_the_deadline_nearest_first_in_fixed_queries(file_issue, advance, grid_officer, count,
                                                                          django_assert_num_queries):
    responded = advance(file_issue(title="已报到"), Status.RESPONDED)
    dispatched = [advance(file_issue(), Status.DISPATCHED) for _ in range(count)]
    advance(file_issue(title="已办结"), Status.RESOLVED)  # not open for the handler any more
    # the issues, then their category, grid, community, street and handler (no department is set: not read)
    with django_assert_num_queries(6):
        rows = list(selectors.dispatched_to(grid_officer))
    assert {row.pk for row in rows} == {responded.pk, *(i.pk for i in dispatched)}
    assert [row.due for row in rows] == sorted(row.due for row in rows)
    by_pk = {row.pk: row for row in rows}
    assert by_pk[responded.pk].due == fresh(responded).resolution_due
    assert by_pk[dispatched[0].pk].due == fresh(dispatched[0]).response_due


def test_a_late_answer_on_the_page_shows_why_and_the_page_as_it_is_now(file_issue, signed_in, community_staff,
                                                                       grid_officer, resident):
    issue = file_issue()
    check = ask(issue, note="请核实")
    assert 'id="pending-check"' not in signed_in(resident).get(f"/issues/{issue.number}/").content.decode()
    officer = signed_in(grid_officer)
    officer.get(f"/issues/{issue.number}/")  # the officer opens the page, then the community accepts
    services.issue_accept(issue=issue, actor=community_staff)
    response = officer.post(f"/issues/{issue.number}/verify_report/", {
        "version": issue.version, "check": check.pk, "found": "real"})
    page = response.content.decode()
    assert response.status_code == 409 and 'id="panel-verify_report"' not in page
    assert 'class="event"' in page and SiteCheck.objects.get(pk=check.pk).state == CheckState.CANCELLED


def test_the_admin_shows_the_checks_of_an_issue(file_issue, signed_in, grid_admin, grid_officer):
    issue = file_issue()
    ask(issue)
    page = signed_in(grid_admin).get(f"/admin/issues/issue/{issue.pk}/change/")
    assert page.status_code == 200 and grid_officer.full_name in page.content.decode()
