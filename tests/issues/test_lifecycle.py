"""Every transition, allowed and refused, for every role; the event log; merge; reopen; idempotency."""
import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from grids.models import Department, User
from issues import services
from issues.lifecycle import TRANSITIONS, Action, Status
from issues.models import Issue, IssueEvent, Rating, RejectReason, Tier

pytestmark = pytest.mark.django_db

PEOPLE = ["resident", "resident2", "grid_officer", "community_staff", "street_staff", "command_centre",
          "department_staff", "leader", "inspector", "admin"]


def person(username):
    return User.objects.select_related("grid", "community", "street", "department").get(username=username)


def do(action, issue, actor, **extra):
    """Take an action through its service with plausible arguments."""
    if action == Action.ACCEPT:
        return services.issue_accept(issue=issue, actor=actor)
    if action == Action.REJECT:
        return services.issue_reject(issue=issue, actor=actor, reason=RejectReason.OUT_OF_SCOPE, note="不属于本社区")
    if action == Action.WITHDRAW:
        return services.issue_withdraw(issue=issue, actor=actor)
    if action == Action.DISPATCH:
        return services.issue_dispatch(issue=issue, actor=actor, handler=person("grid_officer"))
    if action == Action.RESPOND:
        return services.issue_respond(issue=issue, actor=actor)
    if action == Action.RESOLVE:
        return services.issue_resolve(issue=issue, actor=actor, result="已处理")
    if action == Action.CLOSE:
        return services.issue_close(issue=issue, actor=actor)
    if action == Action.RETURN:
        return services.issue_return(issue=issue, actor=actor, note="现场仍有垃圾")
    if action == Action.RATE:
        return services.issue_rate(issue=issue, actor=actor, rating=extra.get("rating", Rating.SATISFIED))
    if action == Action.SUPPORT:
        return services.issue_support(issue=issue, actor=actor)
    if action == Action.ESCALATE:
        return services.issue_escalate(issue=issue, actor=actor, reason="涉及多个小区，社区协调不了")
    if action == Action.SEND_BACK:
        return services.issue_send_back(issue=issue, actor=actor, reason="社区可以自行解决")
    raise AssertionError(action)


# action → (the state to bring the issue to, who alone may take it there)
WHO_MAY = {
    Action.ACCEPT: (Status.SUBMITTED, {"community_staff"}),
    Action.REJECT: (Status.SUBMITTED, {"community_staff"}),
    Action.WITHDRAW: (Status.SUBMITTED, {"resident"}),
    Action.DISPATCH: (Status.ACCEPTED, {"community_staff"}),
    Action.RESPOND: (Status.DISPATCHED, {"grid_officer"}),
    Action.RESOLVE: (Status.RESPONDED, {"grid_officer"}),
    Action.CLOSE: (Status.RESOLVED, {"community_staff"}),
    Action.RETURN: (Status.RESOLVED, {"community_staff"}),
    Action.RATE: (Status.CLOSED, {"resident"}),
    Action.SUPPORT: (Status.SUBMITTED, {"resident2"}),
    Action.ESCALATE: (Status.ACCEPTED, {"community_staff"}),
    Action.SEND_BACK: (Status.ESCALATED, {"street_staff"}),  # whistled up by the community to the street
}
# Tested apart: the system's own actions (tests/dispatch/test_timers.py, the reopen below) and the
# assisting departments' (tests/dispatch/test_escalation.py; their release, with every role:
# tests/dispatch/test_assist_release.py), which need a district dispatch first; the erasure of personal
# data by the retention sweep (tests/issues/test_retention.py); the on-site checks and fixed on the spot,
# with every role and state (tests/issues/test_site_checks.py, test_fix_on_spot.py).
ELSEWHERE = {Action.REOPEN, Action.AUTO_ESCALATE, Action.OVERDUE, Action.SUPERVISE, Action.ASSIST_RESPOND,
             Action.ASSIST_REPORT, Action.ASSIST_RELEASE, Action.ERASE_PERSONAL_DATA, Action.VERIFY_ASK,
             Action.VERIFY_REPORT, Action.INSPECT_ASK, Action.INSPECT_PASS, Action.INSPECT_FAIL, Action.CHECK_CANCEL,
             Action.FIX_ON_SPOT}


@pytest.fixture
def reach(advance, community_staff):
    def move(issue, state):
        if state == Status.SUBMITTED:
            return issue
        if state == Status.ESCALATED:
            issue = advance(issue, Status.ACCEPTED)
            return services.issue_escalate(issue=issue, actor=community_staff, reason="需要街道协调")
        return advance(issue, state)

    return move


def snapshot(issue):
    fresh = Issue.objects.get(pk=issue.pk)
    return fresh.status, fresh.version, fresh.handler_id, fresh.rating, IssueEvent.objects.filter(issue=issue).count()


def test_every_person_taking_every_action(file_issue, reach):
    """The role × action matrix at the community tier: exactly the right person may act; anyone else
    is refused with a message and nothing changes."""
    assert set(WHO_MAY) == set(TRANSITIONS) - ELSEWHERE
    for action, (state, allowed) in WHO_MAY.items():
        for username in PEOPLE:
            issue = reach(file_issue(), state)
            before = snapshot(issue)
            if username in allowed:
                do(action, issue, person(username))
                assert snapshot(issue) != before, (action, username)
            else:
                with pytest.raises(services.PermissionRefused) as refused:
                    do(action, issue, person(username))
                assert refused.value.message, (action, username)
                assert snapshot(issue) == before, (action, username)


@pytest.mark.parametrize("action", list(WHO_MAY))
def test_an_action_in_the_wrong_state_is_a_conflict_that_changes_nothing(file_issue, advance, action):
    state, allowed = WHO_MAY[action]
    actor = person(sorted(allowed)[0])
    wrong = next(s for s in (Status.ACCEPTED, Status.RESPONDED, Status.CLOSED) if s not in TRANSITIONS[action].sources)
    issue = advance(file_issue(), wrong)
    before = snapshot(issue)
    with pytest.raises(services.Conflict) as conflict:
        do(action, issue, actor)
    assert "cannot be given" in str(conflict.value) or "不能" in str(conflict.value)
    assert snapshot(issue) == before


def test_the_whole_story_is_on_the_timeline(file_issue, advance, resident, community_staff, grid_officer):
    issue = advance(file_issue(), Status.CLOSED)
    issue = services.issue_rate(issue=issue, actor=resident, rating=Rating.SATISFIED, comment="很及时")
    events = list(IssueEvent.objects.filter(issue=issue).values_list("action", "actor__username", "from_status",
                                                                      "to_status"))
    assert events == [
        ("submit", "resident", "", "submitted"),
        ("accept", "community_staff", "submitted", "accepted"),
        ("dispatch", "community_staff", "accepted", "dispatched"),
        ("respond", "grid_officer", "dispatched", "responded"),
        ("resolve", "grid_officer", "responded", "resolved"),
        ("close", "community_staff", "resolved", "closed"),
        ("rate", "resident", "closed", "closed"),
    ]
    issue.refresh_from_db()
    assert issue.number.startswith("JH-") and len(issue.number) == len("JH-20261125-0001")
    assert issue.grid == grid_officer.grid and issue.community == community_staff.community
    assert issue.accepted_at <= issue.dispatched_at <= issue.responded_at <= issue.resolved_at <= issue.closed_at
    assert issue.resolution_due > issue.accepted_at and issue.response_due > issue.dispatched_at
    assert issue.rating == Rating.SATISFIED and issue.rating_comment == "很及时"
    assert issue.version == 7


def test_tracking_numbers_count_up_within_a_day(file_issue):
    first, second = file_issue(), file_issue()
    assert first.number[:-4] == second.number[:-4]
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1


def test_dissatisfied_reopens_to_the_same_handler_and_rating_twice_is_refused(file_issue, advance, resident,
                                                                               grid_officer):
    issue = advance(file_issue(), Status.CLOSED)
    issue = services.issue_rate(issue=issue, actor=resident, rating=Rating.DISSATISFIED, comment="还是很脏")
    assert issue.status == Status.DISPATCHED and issue.handler == grid_officer and issue.reopen_count == 1
    reopen = IssueEvent.objects.filter(issue=issue).last()
    assert (reopen.action, reopen.actor, reopen.to_status) == (Action.REOPEN, None, Status.DISPATCHED)
    # The handler must report for duty again, resolve again, and the resident rates the new result.
    issue = services.issue_respond(issue=issue, actor=grid_officer)
    issue = services.issue_resolve(issue=issue, actor=grid_officer, result="重新清运并加派保洁")
    issue = services.issue_close(issue=issue, actor=person("community_staff"))
    issue = services.issue_rate(issue=issue, actor=resident, rating=Rating.BASICALLY_SATISFIED)
    assert issue.status == Status.CLOSED
    with pytest.raises(services.Conflict):
        services.issue_rate(issue=issue, actor=resident, rating=Rating.DISSATISFIED)


def test_return_sends_a_resolved_issue_back_to_its_handler(file_issue, advance, community_staff, grid_officer):
    issue = advance(file_issue(), Status.RESOLVED)
    with pytest.raises(services.InvalidInput):
        services.issue_return(issue=issue, actor=community_staff, note="  ")
    issue = services.issue_return(issue=issue, actor=community_staff, note="现场仍有垃圾")
    assert issue.status == Status.DISPATCHED and issue.handler == grid_officer and issue.responded_at is None


def test_a_duplicate_is_merged_into_its_original(file_issue, resident, community_staff):
    resident2 = person("resident2")
    original = file_issue()
    duplicate = file_issue(filed_by=resident2, title="东门垃圾没人管")
    with pytest.raises(services.InvalidInput):
        services.issue_reject(issue=duplicate, actor=community_staff, reason=RejectReason.DUPLICATE)
    with pytest.raises(services.InvalidInput):
        services.issue_reject(issue=duplicate, actor=community_staff, reason=RejectReason.DUPLICATE,
                              duplicate_of=duplicate)
    merged = services.issue_reject(issue=duplicate, actor=community_staff, reason=RejectReason.DUPLICATE,
                                   duplicate_of=original)
    assert merged.status == Status.REJECTED and merged.merged_into == original
    original.refresh_from_db()
    assert original.supporter_count == 1
    assert original.supporters.filter(user=resident2).exists()
    assert original.events.last().data == {"merged": duplicate.number}


def test_a_resident_adds_their_voice_once(file_issue, resident):
    issue = file_issue()
    resident2 = person("resident2")
    services.issue_support(issue=issue, actor=resident2)
    with pytest.raises(services.Conflict):
        services.issue_support(issue=issue, actor=resident2)
    issue.refresh_from_db()
    assert issue.supporter_count == 1


def test_the_same_idempotency_key_files_one_issue(file_issue, resident):
    first = services.issue_submit(filed_by=resident, title="t", description="d", category=first_category(),
                                  lat=47.35, lng=123.95, idempotency_key="abc-123")
    again = services.issue_submit(filed_by=resident, title="t", description="d", category=first_category(),
                                  lat=47.35, lng=123.95, idempotency_key="abc-123")
    assert first.created and not again.created
    assert again.issue.pk == first.issue.pk
    assert Issue.objects.filter(idempotency_key="abc-123").count() == 1


def first_category():
    from issues.models import Category

    return Category.objects.filter(parent__isnull=False).first()


def test_bad_filings_are_refused_with_a_message(file_issue, resident, grid_officer):
    with pytest.raises(services.InvalidInput) as outside:
        file_issue(lat=39.9, lng=116.4)
    assert outside.value.field == "location"
    with pytest.raises(services.InvalidInput) as channel:
        file_issue(channel="hotline")  # a resident cannot claim to be the hotline
    assert channel.value.field == "channel"
    with pytest.raises(services.InvalidInput) as phone:
        file_issue(filed_by=person("command_centre"), channel="hotline")
    assert phone.value.field == "reporter_phone"
    with pytest.raises(services.PermissionRefused):
        file_issue(filed_by=person("inspector"), channel="hotline", reporter_phone="13812341234")
    assert Issue.objects.filter(title="垃圾堆了三天没人清").count() == 0


def test_an_operator_files_on_a_callers_behalf(file_issue):
    operator = person("command_centre")
    issue = file_issue(filed_by=operator, channel="hotline", reporter_name="王大爷", reporter_phone="13812341234")
    assert issue.reporter is None and issue.filed_by == operator and issue.channel == "hotline"
    assert issue.events.get().actor == operator


def test_dispatch_checks_the_handler(file_issue, advance, community_staff):
    issue = advance(file_issue(), Status.ACCEPTED)
    elsewhere = User.objects.filter(role="grid_officer").exclude(grid=issue.grid).first()
    with pytest.raises(services.InvalidInput):
        services.issue_dispatch(issue=issue, actor=community_staff, handler=elsewhere)
    with pytest.raises(services.InvalidInput):
        services.issue_dispatch(issue=issue, actor=community_staff, department=Department.objects.first())
    with pytest.raises(services.InvalidInput):
        services.issue_dispatch(issue=issue, actor=community_staff)
    assert Issue.objects.get(pk=issue.pk).status == Status.ACCEPTED


def test_the_owning_tier_decides_who_owns(file_issue, street_staff, community_staff, command_centre,
                                          department_staff):
    issue = file_issue()
    Issue.objects.filter(pk=issue.pk).update(owner_tier=Tier.STREET)  # as an escalation will leave it
    with pytest.raises(services.PermissionRefused):
        services.issue_accept(issue=issue, actor=community_staff)
    services.issue_accept(issue=issue, actor=street_staff)

    issue = file_issue()
    Issue.objects.filter(pk=issue.pk).update(owner_tier=Tier.DISTRICT)
    issue = services.issue_accept(issue=issue, actor=command_centre)
    issue = services.issue_dispatch(issue=issue, actor=command_centre, department=department_staff.department)
    issue = services.issue_respond(issue=issue, actor=department_staff)
    assert issue.status == Status.RESPONDED


def test_a_stale_version_is_a_conflict(file_issue, community_staff):
    issue = file_issue()
    with pytest.raises(services.Conflict):
        services.issue_accept(issue=issue, actor=community_staff, expected_version=issue.version + 5)
    assert services.issue_accept(issue=issue, actor=community_staff, expected_version=issue.version).version == 2


def test_events_cannot_be_edited_or_deleted_by_anyone(file_issue):
    event = file_issue().events.get()
    event.note = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        IssueEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE issues_issueevent SET note = 'rewritten' WHERE id = %s", [event.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM issues_issueevent WHERE id = %s", [event.pk])
    assert IssueEvent.objects.get(pk=event.pk).note == ""


def test_the_admin_shows_issues_but_cannot_change_or_delete_them_or_their_events(file_issue, signed_in, grid_admin):
    issue = file_issue()
    admin = signed_in(grid_admin)
    page = admin.get(f"/admin/issues/issue/{issue.pk}/change/")
    assert page.status_code == 200 and issue.number in page.content.decode()
    before = snapshot(issue)
    admin.post(f"/admin/issues/issue/{issue.pk}/change/", {"title": "rewritten", "status": "closed"})
    assert admin.post(f"/admin/issues/issue/{issue.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin.get("/admin/issues/issue/add/").status_code == 403
    assert snapshot(issue) == before and Issue.objects.get(pk=issue.pk).title != "rewritten"
    assert admin.get("/admin/issues/issue/", {"q": issue.number}).status_code == 200
