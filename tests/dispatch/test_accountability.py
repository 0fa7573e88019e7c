"""The accountability list (问效清单): candidates created from the timeline's facts, once each; the
inspectors' decisions; records by hand; the responsibility trace."""
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from dispatch import accountability
from dispatch.models import AccountabilityRecord, Outcome, RecordKind, RecordState
from grids.models import Department, Role, User
from issues import services, signals
from issues.lifecycle import Action, Status
from issues.models import Issue, IssueEvent, Rating, Tier

pytestmark = pytest.mark.django_db


def staff_of(department):
    found = User.objects.filter(role=Role.DEPARTMENT_STAFF, department=department).first()
    return found or User.objects.create_user(username=f"staff-{department.code}", role=Role.DEPARTMENT_STAFF,
                                             department=department, full_name=f"{department.short_name}值班员")


@pytest.fixture
def helper_department(db):
    return Department.objects.exclude(code="urban-management").order_by("code").first()


@pytest.fixture
def at_district(file_issue, community_staff, street_staff, command_centre):
    """at_district() → an issue whistled up community → street → district and accepted by the command centre."""

    def make():
        issue = services.issue_accept(issue=file_issue(), actor=community_staff)
        issue = services.issue_escalate(issue=issue, actor=community_staff, reason="涉及供热管网，社区协调不了")
        issue = services.issue_accept(issue=issue, actor=street_staff)
        issue = services.issue_escalate(issue=issue, actor=street_staff, reason="需要区级部门处置")
        return services.issue_accept(issue=issue, actor=command_centre)

    return make


@pytest.fixture
def to_department(at_district, command_centre, department_staff, helper_department):
    """to_department() → a district issue dispatched to 城管 as lead with one assisting department."""

    def make():
        return services.issue_dispatch(issue=at_district(), actor=command_centre,
                                       department=department_staff.department, assisting=[helper_department])

    return make


def records(issue, **filters):
    return list(AccountabilityRecord.objects.filter(issue=issue, **filters))


# Candidates from the timeline ---------------------------------------------------------------------

def test_no_report_for_duty_in_time_is_against_the_handler(file_issue, advance, grid_officer):
    issue = advance(file_issue(), Status.DISPATCHED)
    issue = services.issue_mark_overdue(issue=issue, deadline="response", due=issue.response_due)
    [record] = records(issue)
    assert record.kind == RecordKind.NO_RESPONSE and record.automatic and record.state == RecordState.CANDIDATE
    assert record.person == grid_officer
    assert (record.tier, record.community_id, record.street_id) == (Tier.COMMUNITY, issue.community_id, None)
    assert record.event == issue.last_event and record.dedupe_key == f"event:{issue.last_event.pk}:no_response"
    assert "接哨不报到" in record.facts


def test_an_assisting_department_that_does_not_report_is_named(to_department, helper_department, department_staff):
    issue = to_department()
    issue = services.issue_mark_overdue(issue=issue, deadline="response", due=issue.response_due,
                                        department=helper_department)
    [record] = records(issue)
    assert (record.kind, record.department, record.person, record.tier) == (
        RecordKind.NO_RESPONSE, helper_department, None, "")
    # The lead department's own miss names the lead.
    issue = services.issue_mark_overdue(issue=issue, deadline="response", due=issue.response_due)
    assert records(issue, department=department_staff.department)[0].kind == RecordKind.NO_RESPONSE


def test_a_whistle_not_accepted_in_time_is_inaction_of_the_owning_unit(file_issue):
    issue = file_issue()
    issue = services.issue_mark_overdue(issue=issue, deadline="acceptance", due=issue.response_due)
    [record] = records(issue)
    assert (record.kind, record.tier, record.community_id, record.person) == (
        RecordKind.INACTION, Tier.COMMUNITY, issue.community_id, None)


def test_resolution_overdue_is_slow_action_of_the_department_and_the_command_centre(to_department, department_staff):
    issue = to_department()
    issue = services.issue_mark_overdue(issue=issue, deadline="resolution", due=issue.resolution_due)
    [record] = records(issue)
    assert (record.kind, record.department, record.tier, record.community, record.street) == (
        RecordKind.SLOW, department_staff.department, Tier.DISTRICT, None, None)
    assert record.unit_names == [department_staff.department.name, str(Tier.DISTRICT.label)]


def test_an_unjustified_send_back_is_a_false_whistle_of_the_lower_tier(file_issue, community_staff, street_staff):
    issue = services.issue_accept(issue=file_issue(), actor=community_staff)
    issue = services.issue_escalate(issue=issue, actor=community_staff, reason="想让街道来办")
    issue = services.issue_send_back(issue=issue, actor=street_staff, reason="社区可以自行解决", unjustified=True)
    [record] = records(issue)
    assert (record.kind, record.tier, record.community_id, record.street_id) == (
        RecordKind.FALSE_WHISTLE, Tier.COMMUNITY, issue.community_id, None)
    assert "社区可以自行解决" in record.facts

    other = services.issue_accept(issue=file_issue(), actor=community_staff)
    other = services.issue_escalate(issue=other, actor=community_staff, reason="需要街道协调")
    services.issue_send_back(issue=other, actor=street_staff, reason="已协调好，社区继续办", unjustified=False)
    assert records(other) == []


def test_repeated_dissatisfaction_is_against_the_handler_and_the_unit(file_issue, advance, resident, grid_officer,
                                                                        community_staff):
    issue = advance(file_issue(), Status.CLOSED)
    issue = services.issue_rate(issue=issue, actor=resident, rating=Rating.DISSATISFIED)
    assert records(issue) == []  # once is a reopen, not yet a pattern
    issue = services.issue_respond(issue=issue, actor=grid_officer)
    issue = services.issue_resolve(issue=issue, actor=grid_officer, result="再次清运")
    issue = services.issue_close(issue=issue, actor=community_staff)
    issue = services.issue_rate(issue=issue, actor=resident, rating=Rating.DISSATISFIED)
    [record] = records(issue)
    assert (record.kind, record.person, record.tier, record.community_id) == (
        RecordKind.DISSATISFIED, grid_officer, Tier.COMMUNITY, issue.community_id)


def test_fast_and_satisfied_is_proposed_for_commendation(file_issue, advance, resident, grid_officer):
    issue = advance(file_issue(), Status.CLOSED)
    services.issue_rate(issue=issue, actor=resident, rating=Rating.SATISFIED)
    [record] = records(issue)
    assert (record.kind, record.person, record.tier, record.state) == (
        RecordKind.COMMENDATION, grid_officer, Tier.COMMUNITY, RecordState.CANDIDATE)


def test_late_or_merely_basically_satisfied_is_not_commended(file_issue, advance, resident, grid_officer):
    late = advance(file_issue(), Status.DISPATCHED)
    Issue.objects.filter(pk=late.pk).update(response_due=timezone.now() - timedelta(minutes=5))
    late = services.issue_respond(issue=late, actor=grid_officer)
    assert late.last_event.data == {"on_time": False}
    late = advance_from_responded(late, grid_officer)
    services.issue_rate(issue=late, actor=resident, rating=Rating.SATISFIED)
    assert records(late) == []

    basic = advance(file_issue(), Status.CLOSED)
    services.issue_rate(issue=basic, actor=resident, rating=Rating.BASICALLY_SATISFIED)
    assert records(basic) == []


def advance_from_responded(issue, grid_officer):
    community_staff = User.objects.get(username="community_staff")
    issue = services.issue_resolve(issue=issue, actor=grid_officer, result="已清运")
    return services.issue_close(issue=issue, actor=community_staff)


def test_the_same_event_twice_records_once(file_issue, advance):
    issue = advance(file_issue(), Status.DISPATCHED)
    issue = services.issue_mark_overdue(issue=issue, deadline="response", due=issue.response_due)
    event = issue.last_event
    with transaction.atomic():
        signals.event_recorded.send(sender=Issue, issue=issue, event=event)
        signals.event_recorded.send(sender=Issue, issue=issue, event=event)
    assert AccountabilityRecord.objects.filter(issue=issue).count() == 1


def test_a_record_rolls_back_with_its_event(file_issue, advance):
    issue = advance(file_issue(), Status.DISPATCHED)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.issue_mark_overdue(issue=issue, deadline="response", due=issue.response_due)
        raise RuntimeError("the sweep failed after marking")
    assert not AccountabilityRecord.objects.filter(issue=issue).exists()
    assert not IssueEvent.objects.filter(issue=issue, action=Action.OVERDUE).exists()


def test_other_events_record_nothing(file_issue, advance):
    issue = advance(file_issue(), Status.CLOSED)
    assert records(issue) == []


# Decisions ----------------------------------------------------------------------------------------

@pytest.fixture
def slow_record(file_issue, advance):
    issue = advance(file_issue(), Status.DISPATCHED)
    services.issue_mark_overdue(issue=issue, deadline="resolution", due=issue.resolution_due)
    return AccountabilityRecord.objects.get(issue=issue)


@pytest.fixture
def commendation(file_issue, advance, resident):
    issue = advance(file_issue(), Status.CLOSED)
    services.issue_rate(issue=issue, actor=resident, rating=Rating.SATISFIED)
    return AccountabilityRecord.objects.get(issue=issue)


def test_an_inspector_confirms_with_an_outcome_once(slow_record, inspector):
    record = accountability.record_confirm(record=slow_record, actor=inspector, outcome=Outcome.TALK, note="已约谈")
    record.refresh_from_db()
    assert (record.state, record.outcome, record.decision_note, record.decided_by) == (
        RecordState.CONFIRMED, Outcome.TALK, "已约谈", inspector)
    assert record.decided_at is not None
    with pytest.raises(services.Conflict):
        accountability.record_confirm(record=record, actor=inspector, outcome=Outcome.CRITICISM)
    with pytest.raises(services.Conflict):
        accountability.record_dismiss(record=record, actor=inspector, reason="改判")


def test_outcomes_must_fit_the_kind(slow_record, commendation, inspector):
    with pytest.raises(services.InvalidInput):
        accountability.record_confirm(record=slow_record, actor=inspector, outcome=Outcome.COMMENDATION)
    with pytest.raises(services.InvalidInput):
        accountability.record_confirm(record=commendation, actor=inspector, outcome=Outcome.TALK)
    with pytest.raises(services.InvalidInput):
        accountability.record_confirm(record=slow_record, actor=inspector, outcome="fine")
    record = accountability.record_confirm(record=commendation, actor=inspector, outcome=Outcome.COMMENDATION)
    assert record.state == RecordState.CONFIRMED
    assert AccountabilityRecord.objects.get(pk=slow_record.pk).state == RecordState.CANDIDATE


def test_an_inspector_dismisses_with_a_reason(slow_record, inspector):
    with pytest.raises(services.InvalidInput):
        accountability.record_dismiss(record=slow_record, actor=inspector, reason="  ")
    record = accountability.record_dismiss(record=slow_record, actor=inspector, reason="暴雪停工，延误有正当理由")
    assert (record.state, record.outcome) == (RecordState.DISMISSED, "")
    assert record.decision_note == "暴雪停工，延误有正当理由"


@pytest.mark.parametrize("username", ["command_centre", "leader", "admin", "street_staff", "community_staff",
                                      "grid_officer", "department_staff", "resident"])
def test_only_inspectors_decide(slow_record, username):
    someone = User.objects.get(username=username)
    with pytest.raises(services.PermissionRefused):
        accountability.record_confirm(record=slow_record, actor=someone, outcome=Outcome.TALK)
    with pytest.raises(services.PermissionRefused):
        accountability.record_dismiss(record=slow_record, actor=someone, reason="不追究")
    assert AccountabilityRecord.objects.get(pk=slow_record.pk).state == RecordState.CANDIDATE


# By hand ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["command_centre", "leader", "inspector"])
def test_the_district_records_inaction_by_hand(file_issue, community_staff, username):
    issue = services.issue_reject(issue=file_issue(), actor=community_staff, reason="out_of_scope", note="不归我们管")
    actor = User.objects.get(username=username)
    record = accountability.record_manual(issue=issue, actor=actor, kind=RecordKind.INACTION, tier=Tier.COMMUNITY,
                                          person=community_staff, facts="违规拒绝受理居民诉求")
    assert (record.automatic, record.created_by, record.state, record.dedupe_key) == (False, actor,
                                                                                      RecordState.CANDIDATE, None)
    assert (record.community_id, record.person) == (issue.community_id, community_staff)


@pytest.mark.parametrize("username", ["street_staff", "community_staff", "department_staff", "admin", "resident"])
def test_others_do_not_record_by_hand(file_issue, username):
    with pytest.raises(services.PermissionRefused):
        accountability.record_manual(issue=file_issue(), actor=User.objects.get(username=username),
                                     kind=RecordKind.INACTION, tier=Tier.COMMUNITY, facts="不作为")


def test_a_record_by_hand_needs_facts_and_someone_to_answer(file_issue, command_centre, resident):
    issue = file_issue()
    cases = [dict(kind="lazy", tier=Tier.STREET, facts="x"),
             dict(kind=RecordKind.INACTION, tier=Tier.STREET, facts=" "),
             dict(kind=RecordKind.INACTION, facts="无人可问"), dict(kind=RecordKind.INACTION, tier="city", facts="x"),
             dict(kind=RecordKind.INACTION, person=resident, facts="x")]
    fields = []
    for case in cases:
        with pytest.raises(services.InvalidInput) as refused:
            accountability.record_manual(issue=issue, actor=command_centre, **case)
        fields.append(refused.value.field)
    assert fields == ["kind", "facts", "unit", "tier", "person"]
    assert not AccountabilityRecord.objects.filter(issue=issue).exists()


# The responsibility trace -------------------------------------------------------------------------

def test_the_trace_follows_the_whistle_up_to_a_department(to_department, department_staff, helper_department):
    issue = to_department()
    due = issue.response_due
    issue = services.issue_mark_overdue(issue=issue, deadline="response", due=due)
    trace = accountability.responsibility_trace(issue, moment=due)
    assert [(h.tier, h.department, h.assisting) for h in trace] == [
        (Tier.COMMUNITY, "", []), (Tier.STREET, "", []), (Tier.DISTRICT, "", []),
        (Tier.DISTRICT, department_staff.department.name, [helper_department.name])]
    assert trace[0].unit == issue.community.name and trace[1].unit == issue.street.name
    assert [h.end is None for h in trace] == [False, False, False, True]
    assert all(earlier.end == later.start for earlier, later in zip(trace, trace[1:]))
    assert [h.at_deadline for h in trace] == [False, False, False, True]

    record = AccountabilityRecord.objects.get(issue=issue)
    assert accountability.record_moment(record) == due


def test_the_trace_ends_at_closing_and_resumes_on_reopening(file_issue, advance, resident, grid_officer):
    issue = advance(file_issue(), Status.CLOSED)
    issue = services.issue_rate(issue=issue, actor=resident, rating=Rating.DISSATISFIED)
    trace = accountability.responsibility_trace(issue)
    assert [(h.tier, h.person) for h in trace] == [(Tier.COMMUNITY, ""), (Tier.COMMUNITY, str(grid_officer)),
                                                   (Tier.COMMUNITY, str(grid_officer))]
    closed = IssueEvent.objects.get(issue=issue, action=Action.CLOSE).at
    reopened = IssueEvent.objects.get(issue=issue, action=Action.REOPEN).at
    assert (trace[1].end, trace[2].start, trace[2].end) == (closed, reopened, None)
