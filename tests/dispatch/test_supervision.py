"""The supervision list (督办清单) through its services: who may open, instruct and report; who sees
which items; the rules that put issues on the list by themselves; closing with the issue; meetings."""
from datetime import date, timedelta

import pytest
import time_machine
from django.db.models import Q
from django.utils import timezone

from dispatch import supervision
from dispatch.models import Instruction, ProgressReport, SupervisionItem, SupervisionSource, SupervisionState
from grids.models import Community, Department, Grid, Role, Street, User
from issues import services
from issues.lifecycle import Action, Status
from issues.models import Rating

pytestmark = pytest.mark.django_db


# The people and places of the story --------------------------------------------------------------

def _staff(username, role, **place):
    return User.objects.create(username=username, role=role, full_name=username, **place)


@pytest.fixture
def urban(db):
    return Department.objects.get(code="urban-management")


@pytest.fixture
def housing(db):
    return Department.objects.get(code="housing-construction")


@pytest.fixture
def outsiders(grid_officer, housing):
    """Staff of the same roles serving somewhere else."""
    grid = grid_officer.grid
    return {
        "street": _staff("other_street", Role.STREET_STAFF,
                         street=Street.objects.exclude(pk=grid.community.street_id).first()),
        "community": _staff("other_community", Role.COMMUNITY_STAFF,
                            community=Community.objects.exclude(pk=grid.community_id).first()),
        "grid": _staff("other_grid", Role.GRID_OFFICER, grid=Grid.objects.exclude(pk=grid.pk).filter(
            community_id=grid.community_id).first()),
        "department": _staff("housing_staff", Role.DEPARTMENT_STAFF, department=housing),
    }


@pytest.fixture
def to_district(community_staff, street_staff, command_centre):
    """to_district(issue) → the issue whistled up community → street → district and accepted there."""

    def move(issue):
        issue = services.issue_accept(issue=issue, actor=community_staff)
        issue = services.issue_escalate(issue=issue, actor=community_staff, reason="需要街道协调")
        issue = services.issue_accept(issue=issue, actor=street_staff)
        issue = services.issue_escalate(issue=issue, actor=street_staff, reason="需要区级部门报到")
        return services.issue_accept(issue=issue, actor=command_centre)

    return move


@pytest.fixture
def supervised(file_issue, advance, command_centre):
    """supervised(**overrides) → an item the command centre opened on a dispatched issue in the officer's grid."""

    def make(status=Status.DISPATCHED, **overrides):
        issue = advance(file_issue(), status)
        fields = dict(issue=issue, actor=command_centre, instruction="三日内清运完毕并报告。")
        fields.update(overrides)
        return supervision.supervision_open(**fields)

    return make


def visible_to(user):
    return set(supervision.supervision_scope(user).values_list("pk", flat=True))


# Opening by hand -----------------------------------------------------------------------------------

def test_the_command_centre_puts_an_issue_on_supervision_and_the_timeline_shows_it(supervised, district_leader):
    due = timezone.now() + timedelta(days=5)
    item = supervised(supervisor=district_leader, due=due)
    assert (item.state, item.source, item.supervisor, item.due) == (SupervisionState.OPEN, SupervisionSource.MANUAL,
                                                                    district_leader, due)
    event = item.issue.events.get(action=Action.SUPERVISE)
    assert event.data["supervision"] == item.pk and event.data["step"] == "open"
    assert event.note == "三日内清运完毕并报告。" and event.actor.role == Role.COMMAND_CENTRE


def test_a_district_leader_may_open_an_item(file_issue, district_leader):
    item = supervision.supervision_open(issue=file_issue(), actor=district_leader, instruction="尽快处理")
    assert item.created_by == district_leader and item.supervisor is None


@pytest.mark.parametrize("who", ["resident", "grid_officer", "community_staff", "street_staff", "department_staff",
                                 "inspector", "grid_admin"])
def test_nobody_else_may_open_an_item(request, file_issue, who):
    with pytest.raises(services.PermissionRefused):
        supervision.supervision_open(issue=file_issue(), actor=request.getfixturevalue(who), instruction="督办")
    assert not SupervisionItem.objects.exists()


def test_one_open_item_per_issue(supervised, district_leader):
    item = supervised()
    with pytest.raises(services.Conflict):
        supervision.supervision_open(issue=item.issue, actor=district_leader, instruction="再次督办")
    assert SupervisionItem.objects.filter(issue=item.issue).count() == 1


def test_a_closed_issue_cannot_be_put_on_supervision(file_issue, advance, command_centre):
    issue = advance(file_issue(), Status.CLOSED)
    with pytest.raises(services.Conflict):
        supervision.supervision_open(issue=issue, actor=command_centre, instruction="督办")


@pytest.mark.parametrize("fields, field", [
    ({"instruction": "  "}, "instruction"),
    ({"due": "past"}, "due"),
    ({"supervisor": "grid_officer"}, "supervisor"),
])
def test_bad_input_is_refused_with_the_field(request, file_issue, command_centre, fields, field):
    params = {"issue": file_issue(), "actor": command_centre, "instruction": "督办"}
    params.update(fields)
    if params.get("due") == "past":
        params["due"] = timezone.now() - timedelta(hours=1)
    if isinstance(params.get("supervisor"), str):
        params["supervisor"] = request.getfixturevalue(params["supervisor"])
    with pytest.raises(services.InvalidInput) as refused:
        supervision.supervision_open(**params)
    assert refused.value.field == field


# Who sees which items ------------------------------------------------------------------------------

def test_the_role_and_area_matrix(supervised, file_issue, to_district, command_centre, urban, housing, outsiders,
                                  resident, grid_officer, community_staff, street_staff, department_staff,
                                  district_leader, inspector, grid_admin):
    local = supervised()
    # From the district to the urban management bureau, with housing assisting (the rule opens an item).
    issue = services.issue_dispatch(issue=to_district(file_issue()), actor=command_centre, department=urban,
                                    assisting=[housing])
    departmental = SupervisionItem.objects.get(issue=issue)
    both = {local.pk, departmental.pk}
    for everyone in (command_centre, district_leader, inspector, grid_admin):
        assert visible_to(everyone) >= both
    # Street, community and grid staff of the place see both (the departmental issue lies there too).
    for local_staff in (street_staff, community_staff, grid_officer):
        assert visible_to(local_staff) >= both, local_staff
    for place in ("street", "community", "grid"):
        assert not visible_to(outsiders[place]) & both, place
    # A department sees what it was dispatched and what it assists, not the grid's own work.
    assert visible_to(department_staff) & both == {departmental.pk}
    assert visible_to(outsiders["department"]) & both == {departmental.pk}
    other_department = _staff("health_staff", Role.DEPARTMENT_STAFF, department=Department.objects.get(code="health"))
    assert not visible_to(other_department) & both
    assert visible_to(resident) == set()


def test_the_detail_is_404_outside_the_scope(supervised, outsiders):
    from django.http import Http404

    item = supervised()
    with pytest.raises(Http404):
        supervision.supervision_detail_for(outsiders["street"], pk=item.pk)


# Instructions and progress reports -----------------------------------------------------------------

def test_instructions_by_the_supervising_roles_and_the_items_supervisor(supervised, district_leader, command_centre,
                                                                      street_staff):
    item = supervised(supervisor=district_leader)
    due = timezone.now() + timedelta(days=2)
    supervision.instruction_add(item=item, actor=district_leader, text="周五前办结", due=due)
    supervision.instruction_add(item=item, actor=command_centre, text="每日报告进展")
    with pytest.raises(services.PermissionRefused):
        supervision.instruction_add(item=item, actor=street_staff, text="自己批示")
    item.refresh_from_db()
    assert item.due == due
    assert [i.text for i in item.instructions.all()] == ["周五前办结", "每日报告进展"]
    assert item.issue.events.filter(action=Action.SUPERVISE, data__step="instruction").count() == 2


def test_an_empty_instruction_is_bad_input(supervised, command_centre):
    with pytest.raises(services.InvalidInput):
        supervision.instruction_add(item=supervised(), actor=command_centre, text=" ")


@pytest.mark.parametrize("who, allowed", [
    ("community_staff", True),  # the owning tier
    ("grid_officer", True),  # the handler
    ("command_centre", True),
    ("street_staff", False),  # sees it, but does not hold it
    ("district_leader", False),  # not this item's supervisor
    ("department_staff", False),
    ("resident", False),
])
def test_who_may_report_progress(request, supervised, who, allowed):
    item = supervision.supervision_detail_for(request.getfixturevalue("command_centre"), pk=supervised().pk)
    actor = request.getfixturevalue(who)
    if allowed:
        report = supervision.progress_report_add(item=item, actor=actor, text="已安排清运车辆")
        assert report.author == actor
    else:
        with pytest.raises(services.PermissionRefused):
            supervision.progress_report_add(item=item, actor=actor, text="已安排清运车辆")


def test_the_supervisor_and_the_departments_report(file_issue, to_district, command_centre, district_leader, urban,
                                                  housing, department_staff, outsiders):
    issue = services.issue_dispatch(issue=to_district(file_issue()), actor=command_centre, department=urban,
                                    assisting=[housing])
    item = SupervisionItem.objects.get(issue=issue)
    item = supervision.supervision_detail_for(command_centre, pk=item.pk)
    supervision.progress_report_add(item=item, actor=department_staff, text="城管已到场")  # the handler
    supervision.progress_report_add(item=item, actor=outsiders["department"], text="住建已到场")  # assisting
    assert ProgressReport.objects.filter(item=item).count() == 2
    led = supervision.supervision_open(issue=file_issue(), actor=command_centre, instruction="督办",
                                       supervisor=district_leader)
    supervision.progress_report_add(item=led, actor=district_leader, text="已实地查看")


# Closing with the issue -----------------------------------------------------------------------------

def test_closing_the_issue_closes_the_item_and_a_reopen_does_not_reopen_it(supervised, advance, grid_officer,
                                                                           community_staff, resident, command_centre):
    item = supervised(status=Status.RESPONDED)
    issue = services.issue_resolve(issue=item.issue, actor=grid_officer, result="已清运")
    issue = services.issue_close(issue=issue, actor=community_staff)
    item.refresh_from_db()
    assert item.state == SupervisionState.CLOSED and item.closed_at == issue.last_event.at
    with pytest.raises(services.Conflict):
        supervision.progress_report_add(item=item, actor=command_centre, text="迟到的报告")
    services.issue_rate(issue=issue, actor=resident, rating=Rating.DISSATISFIED)
    item.refresh_from_db()
    assert item.state == SupervisionState.CLOSED
    assert not SupervisionItem.objects.filter(issue=issue, state=SupervisionState.OPEN).exists()


def test_a_failed_close_keeps_the_item_open(supervised, community_staff):
    item = supervised()  # dispatched: cannot be closed yet
    with pytest.raises(services.Conflict):
        services.issue_close(issue=item.issue, actor=community_staff)
    item.refresh_from_db()
    assert item.state == SupervisionState.OPEN


# The rules ------------------------------------------------------------------------------------------

def test_an_issue_reopened_twice_goes_on_the_list(file_issue, advance, resident, grid_officer, community_staff):
    issue = advance(file_issue(), Status.CLOSED)
    issue = services.issue_rate(issue=issue, actor=resident, rating=Rating.DISSATISFIED)
    assert issue.reopen_count == 1 and not SupervisionItem.objects.filter(issue=issue).exists()
    issue = services.issue_respond(issue=issue, actor=grid_officer)
    issue = services.issue_resolve(issue=issue, actor=grid_officer, result="再次清运")
    issue = services.issue_close(issue=issue, actor=community_staff)
    issue = services.issue_rate(issue=issue, actor=resident, rating=Rating.DISSATISFIED)
    item = SupervisionItem.objects.get(issue=issue)
    assert issue.reopen_count == 2
    assert (item.source, item.state, item.supervisor, item.created_by) == (SupervisionSource.REOPENED,
                                                                           SupervisionState.OPEN, None, None)
    assert item.instruction and item.due > timezone.now()
    assert issue.events.filter(action=Action.SUPERVISE, actor=None).count() == 1


def test_a_dispatch_to_several_departments_goes_on_the_list(file_issue, to_district, command_centre, urban, housing):
    issue = services.issue_dispatch(issue=to_district(file_issue()), actor=command_centre, department=urban,
                                    assisting=[housing])
    item = SupervisionItem.objects.get(issue=issue)
    assert item.source == SupervisionSource.MULTI_DEPARTMENT and item.supervisor is None


def test_a_dispatch_to_one_department_does_not(file_issue, to_district, command_centre, urban):
    issue = services.issue_dispatch(issue=to_district(file_issue()), actor=command_centre, department=urban)
    assert not SupervisionItem.objects.filter(issue=issue).exists()


def test_a_rule_leaves_an_issue_already_supervised_alone(file_issue, to_district, command_centre, urban, housing):
    issue = to_district(file_issue())
    manual = supervision.supervision_open(issue=issue, actor=command_centre, instruction="区指挥中心督办")
    services.issue_dispatch(issue=issue, actor=command_centre, department=urban, assisting=[housing])
    assert list(SupervisionItem.objects.filter(issue=issue)) == [manual]


def test_the_sweep_puts_long_overdue_issues_on_the_list_once(settings, file_issue, advance):
    settings.SUPERVISION_OVERDUE_DAYS = 3
    issue = advance(file_issue(), Status.ACCEPTED)
    fresh = advance(file_issue(), Status.ACCEPTED)
    with time_machine.travel(issue.resolution_due + timedelta(days=3, hours=1), tick=False):
        fresh.resolution_due = timezone.now() - timedelta(days=2)  # overdue, but not long enough
        fresh.save(update_fields=["resolution_due"])
        opened = supervision.supervision_sweep()
        assert issue.pk in {item.issue_id for item in opened}
        assert fresh.pk not in {item.issue_id for item in opened}
        item = SupervisionItem.objects.get(issue=issue)
        assert item.source == SupervisionSource.OVERDUE and item.due > timezone.now()
        assert supervision.supervision_sweep() == []  # idempotent
    assert SupervisionItem.objects.filter(issue=issue).count() == 1


def test_the_sweep_reads_the_response_clock_too(settings, file_issue):
    settings.SUPERVISION_OVERDUE_DAYS = 3
    waiting = file_issue()  # submitted: the owning tier must accept it by response_due
    with time_machine.travel(waiting.response_due + timedelta(days=2), tick=False):
        assert waiting.pk not in {item.issue_id for item in supervision.supervision_sweep()}
    with time_machine.travel(waiting.response_due + timedelta(days=3, minutes=1), tick=False):
        assert waiting.pk in {item.issue_id for item in supervision.supervision_sweep(now=timezone.now())}


def test_the_sweep_skips_closed_and_supervised_issues(settings, file_issue, advance, command_centre):
    settings.SUPERVISION_OVERDUE_DAYS = 3
    closed = advance(file_issue(), Status.CLOSED)
    manual = supervision.supervision_open(issue=advance(file_issue(), Status.ACCEPTED), actor=command_centre,
                                          instruction="督办")
    with time_machine.travel(manual.issue.resolution_due + timedelta(days=10), tick=False):
        swept = {item.issue_id for item in supervision.supervision_sweep()}
    assert closed.pk not in swept and manual.issue_id not in swept
    assert SupervisionItem.objects.filter(issue=manual.issue).count() == 1


def test_the_sweep_query_matches_is_overdue(file_issue, advance):
    issue = advance(file_issue(), Status.DISPATCHED)
    later = issue.response_due + timedelta(days=4)
    with time_machine.travel(later, tick=False):
        issue.refresh_from_db()
        assert issue.is_overdue
        assert supervision.overdue_for_supervision_q() & Q(pk=issue.pk)
        assert issue.__class__.objects.filter(supervision.overdue_for_supervision_q(), pk=issue.pk).exists()


# Dispatch meetings -----------------------------------------------------------------------------------

def test_meeting_decisions_become_instructions(supervised, district_leader, command_centre, street_staff,
                                               department_staff):
    first, second = supervised(), supervised()
    due = timezone.now() + timedelta(days=3)
    meeting = supervision.meeting_record(
        actor=command_centre, held_on=date(2026, 11, 20), title="第12次听哨调度会", place="区指挥中心",
        chair=district_leader, attendees=[street_staff, department_staff], other_attendees="市民代表 王大爷",
        notes="研究东市场垃圾问题", decisions=[(first, "城管牵头三日内清运", due), (second, "社区每日巡查", None)])
    assert set(meeting.attendees.all()) == {street_staff, department_staff}
    instructions = Instruction.objects.filter(decision__meeting=meeting).order_by("id")
    assert [(i.item_id, i.text, i.by) for i in instructions] == [
        (first.pk, "城管牵头三日内清运", district_leader), (second.pk, "社区每日巡查", district_leader)]
    first.refresh_from_db()
    assert first.due == due
    assert first.issue.events.filter(action=Action.SUPERVISE, data__meeting=meeting.pk).exists()


def test_a_meeting_is_for_the_supervising_roles(supervised, street_staff):
    with pytest.raises(services.PermissionRefused):
        supervision.meeting_record(actor=street_staff, held_on=date(2026, 11, 20), title="会")


@pytest.mark.parametrize("problem", ["title", "twice", "empty decision", "resident attends", "closed item"])
def test_bad_meetings_are_refused_whole(supervised, command_centre, resident, community_staff, grid_officer,
                                        problem):
    item = supervised()
    params = dict(actor=command_centre, held_on=date(2026, 11, 20), title="听哨调度会", decisions=[(item, "办", None)])
    if problem == "title":
        params["title"] = ""
    elif problem == "twice":
        params["decisions"] = [(item, "办", None), (item, "再办", None)]
    elif problem == "empty decision":
        params["decisions"] = [(item, " ", None)]
    elif problem == "resident attends":
        params["attendees"] = [resident]
    else:
        services.issue_respond(issue=item.issue, actor=grid_officer)
        services.issue_resolve(issue=item.issue, actor=grid_officer, result="好了")
        services.issue_close(issue=item.issue, actor=community_staff)
    with pytest.raises(services.InvalidInput):
        supervision.meeting_record(**params)
    assert not Instruction.objects.exists()


def test_meetings_are_scoped(supervised, command_centre, street_staff, outsiders):
    item = supervised()
    meeting = supervision.meeting_record(actor=command_centre, held_on=date(2026, 11, 20), title="听哨",
                                         decisions=[(item, "办", None)])
    lonely = supervision.meeting_record(actor=command_centre, held_on=date(2026, 11, 21), title="另一会",
                                        attendees=[outsiders["street"]])
    assert set(supervision.meeting_scope(command_centre)) >= {meeting, lonely}
    assert set(supervision.meeting_scope(street_staff)) == {meeting}
    assert set(supervision.meeting_scope(outsiders["street"])) == {lonely}
    detail = supervision.meeting_detail_for(outsiders["street"], pk=lonely.pk)
    assert list(detail.decisions.all()) == []
