"""The deadlines that fire, with time moved: reminders at 75 %, overdue marks, automatic escalation
up the tiers, idempotent sweeps that catch up, across National Day and an adjusted working Sunday."""
from datetime import timedelta

import pytest
import time_machine

from dispatch import tasks, timers
from dispatch.models import AccountabilityRecord, AlertKind, DeadlineAlert, RecordKind
from grids.models import Department, Role, User
from issues import services
from issues.lifecycle import Action, Status
from issues.models import Issue, IssueEvent, Tier
from notifications.models import Notification

from .conftest import local
from .test_escalation import staff_of, to_district

pytestmark = pytest.mark.django_db


def sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        return timers.deadline_sweep()


def events(issue, action):
    return list(IssueEvent.objects.filter(issue=issue, action=action).order_by("at", "id"))


def reminders_for(user):
    return Notification.objects.filter(recipient=user, kind="reminder")


def dispatched_at(moment, file_issue, community_staff, grid_officer, **filing):
    with time_machine.travel(moment, tick=False):
        issue = services.issue_accept(issue=file_issue(**filing), actor=community_staff)
        return services.issue_dispatch(issue=issue, actor=community_staff, handler=grid_officer)


def test_no_report_for_duty_reminds_then_whistles_up_tier_by_tier(
        deadline_rules, file_issue, community_staff, grid_officer, street_staff, command_centre):
    issue = dispatched_at(local(2026, 10, 12, 9, 0), file_issue, community_staff, grid_officer)  # Mon, 120 min
    assert issue.response_due == local(2026, 10, 12, 11, 0)

    assert not sweep_at(local(2026, 10, 12, 10, 29))
    report = sweep_at(local(2026, 10, 12, 10, 31))  # 75 % of two hours: 10:30
    assert report.reminded == [(issue.number, AlertKind.RESPONSE_REMINDER)]
    assert reminders_for(grid_officer).count() == 1
    assert not sweep_at(local(2026, 10, 12, 10, 45))  # reminded once, not every minute

    report = sweep_at(local(2026, 10, 12, 11, 1))
    assert report.escalated == [issue.number]
    issue.refresh_from_db()
    assert (issue.status, issue.owner_tier, issue.handler_id) == (Status.ESCALATED, Tier.STREET, None)
    [overdue] = events(issue, Action.OVERDUE)
    assert overdue.actor is None and overdue.data["deadline"] == "response" and overdue.data["tier"] == "community"
    [hop] = events(issue, Action.AUTO_ESCALATE)
    assert (hop.data["from_tier"], hop.data["to_tier"]) == ("community", "street")
    assert hop.data["held_by"]["handler"] == grid_officer.username and "接哨不报到" in hop.note
    # A candidate for the accountability list, against the officer who held it and their community.
    [record] = AccountabilityRecord.objects.filter(issue=issue)
    assert (record.kind, record.person, record.community) == (RecordKind.NO_RESPONSE, grid_officer,
                                                              community_staff.community)
    # The street's own clock to take the whistle: two hours from the automatic escalation.
    assert issue.response_due == local(2026, 10, 12, 13, 1)

    # The street does not take it either: up to the district command centre.
    sweep_at(local(2026, 10, 12, 13, 2))
    issue.refresh_from_db()
    assert (issue.status, issue.owner_tier) == (Status.ESCALATED, Tier.DISTRICT)
    assert [e.data["deadline"] for e in events(issue, Action.OVERDUE)] == ["response", "acceptance"]
    assert AccountabilityRecord.objects.filter(issue=issue, kind=RecordKind.INACTION, street=street_staff.street,
                                               tier=Tier.STREET).count() == 1

    # At the district there is no tier above: a department that does not report is marked overdue.
    urban = Department.objects.get(code="urban-management")
    with time_machine.travel(local(2026, 10, 12, 13, 30), tick=False):
        issue = services.issue_accept(issue=issue, actor=command_centre)
        issue = services.issue_dispatch(issue=issue, actor=command_centre, department=urban)
    report = sweep_at(local(2026, 10, 12, 16, 0))
    issue.refresh_from_db()
    assert report.escalated == [] and (issue.status, issue.owner_tier) == (Status.DISPATCHED, Tier.DISTRICT)
    assert len(events(issue, Action.OVERDUE)) == 3
    # The late department can still report for duty; it is recorded as late.
    staff = User.objects.filter(role=Role.DEPARTMENT_STAFF, department=urban).first()
    with time_machine.travel(local(2026, 10, 12, 16, 5), tick=False):
        issue = services.issue_respond(issue=issue, actor=staff)
    assert events(issue, Action.RESPOND)[-1].data["on_time"] is False


def test_a_sweep_that_runs_twice_does_nothing_twice(deadline_rules, file_issue, community_staff, grid_officer):
    issue = dispatched_at(local(2026, 10, 12, 9, 0), file_issue, community_staff, grid_officer)
    first = sweep_at(local(2026, 10, 12, 11, 1))
    second = sweep_at(local(2026, 10, 12, 11, 1))
    assert first.escalated == [issue.number] and not second
    assert DeadlineAlert.objects.filter(issue=issue, kind=AlertKind.RESPONSE_OVERDUE).count() == 1
    assert len(events(issue, Action.OVERDUE)) == 1 and len(events(issue, Action.AUTO_ESCALATE)) == 1
    assert AccountabilityRecord.objects.filter(issue=issue).count() == 1


def test_a_sweep_after_an_outage_catches_up_on_everything_that_fell_due(
        deadline_rules, file_issue, community_staff, grid_officer):
    early = dispatched_at(local(2026, 10, 12, 9, 0), file_issue, community_staff, grid_officer)
    later = dispatched_at(local(2026, 10, 12, 15, 0), file_issue, community_staff, grid_officer)
    # Nothing ran for two days (worker or Redis down): the first sweep afterwards does it all, once.
    report = sweep_at(local(2026, 10, 14, 9, 0))
    assert sorted(report.escalated) == sorted([early.number, later.number])
    late = DeadlineAlert.objects.get(issue=early, kind=AlertKind.RESPONSE_OVERDUE)
    assert late.late_by == timedelta(days=1, hours=22)
    # A reminder whose moment passed with the deadline is not sent after the fact.
    assert not DeadlineAlert.objects.filter(kind=AlertKind.RESPONSE_REMINDER).exists()


def test_reporting_for_duty_in_time_stops_the_clock(deadline_rules, file_issue, community_staff, grid_officer):
    issue = dispatched_at(local(2026, 10, 12, 9, 0), file_issue, community_staff, grid_officer)
    with time_machine.travel(local(2026, 10, 12, 10, 0), tick=False):
        services.issue_respond(issue=issue, actor=grid_officer)
    report = sweep_at(local(2026, 10, 12, 12, 0))
    assert not report.overdue and not events(issue, Action.OVERDUE)
    assert Issue.objects.get(pk=issue.pk).status == Status.RESPONDED


def test_a_whistle_nobody_accepts_is_overdue_for_its_tier(deadline_rules, file_issue, community_staff):
    with time_machine.travel(local(2026, 10, 12, 9, 0), tick=False):
        issue = file_issue()
    assert issue.response_due == local(2026, 10, 12, 11, 0)
    report = sweep_at(local(2026, 10, 12, 10, 31))
    assert report.reminded == [(issue.number, AlertKind.RESPONSE_REMINDER)]
    assert reminders_for(community_staff).count() == 1  # the community must accept it
    sweep_at(local(2026, 10, 12, 11, 1))
    [overdue] = events(issue, Action.OVERDUE)
    assert overdue.data["deadline"] == "acceptance"
    issue.refresh_from_db()
    assert issue.status == Status.SUBMITTED and issue.response_overdue
    # The timeline calls it what it is: nobody took the whistle (不作为), not a slow handler (慢作为).
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(community_staff)
    page = client.get(f"/issues/{issue.number}/").content.decode()
    assert "不作为" in page and "慢作为" not in page


def test_resolution_across_national_day(deadline_rules, file_issue, community_staff, grid_officer, street_staff,
                                        django_capture_on_commit_callbacks):
    # Accepted Tue Sep 29 10:00; five working days: Sep 30, (Oct 1–7 off), Oct 8, 9, Sat Oct 10 (worked), Mon Oct 12.
    with time_machine.travel(local(2026, 9, 29, 10, 0), tick=False):
        issue = services.issue_accept(issue=file_issue(), actor=community_staff)
        issue = services.issue_dispatch(issue=issue, actor=community_staff, handler=grid_officer)
        issue = services.issue_respond(issue=issue, actor=grid_officer)
    assert issue.resolution_due == local(2026, 10, 12, 10, 0)
    assert not sweep_at(local(2026, 10, 1, 12, 0))  # a holiday: nothing is due yet
    # 75 % of five working days is 3¾: three worked (Sep 30, Oct 8, Oct 9) and ¾ of the 24 hours up to the
    # fourth, Sat Oct 10 10:00. By the wall clock, 75 % of the 13 days was Oct 9 04:00, 2¾ days worked.
    assert not sweep_at(local(2026, 10, 9, 4, 1))
    assert not sweep_at(local(2026, 10, 10, 3, 59))
    report = sweep_at(local(2026, 10, 10, 4, 1))
    assert report.reminded == [(issue.number, AlertKind.RESOLUTION_REMINDER)]
    assert reminders_for(grid_officer).count() == 1 and reminders_for(community_staff).count() == 1
    assert not sweep_at(local(2026, 10, 12, 9, 59))
    with django_capture_on_commit_callbacks(execute=True):  # the notifications go out on commit
        report = sweep_at(local(2026, 10, 12, 10, 1))
    assert report.overdue == [(issue.number, AlertKind.RESOLUTION_OVERDUE)] and not report.escalated
    [overdue] = events(issue, Action.OVERDUE)
    assert overdue.data["deadline"] == "resolution"
    issue.refresh_from_db()
    assert issue.status == Status.RESPONDED and issue.resolution_overdue
    assert AccountabilityRecord.objects.filter(issue=issue, kind=RecordKind.SLOW, person=grid_officer).count() == 1
    # The owning community and the street above it are told (slow work, 慢作为).
    assert Notification.objects.filter(issue=issue, kind=Action.OVERDUE, recipient=street_staff).exists()


def test_resolution_due_on_an_adjusted_working_sunday(deadline_rules, heating, file_issue, community_staff):
    # Heating: one working day. Accepted Fri Sep 18 2026; Sat Sep 19 is off, Sun Sep 20 is worked (调休).
    with time_machine.travel(local(2026, 9, 18, 10, 0), tick=False):
        issue = services.issue_accept(issue=file_issue(category=heating, title="暖气不热"), actor=community_staff)
    assert issue.resolution_due == local(2026, 9, 20, 10, 0)
    assert not sweep_at(local(2026, 9, 19, 12, 0))  # Saturday: 26 of the 48 hours
    assert sweep_at(local(2026, 9, 20, 9, 59)).overdue == []  # the 75 % reminder, not yet overdue
    report = sweep_at(local(2026, 9, 20, 10, 1))  # overdue on the Sunday, not on Monday
    assert report.overdue == [(issue.number, AlertKind.RESOLUTION_OVERDUE)]


def assisted_at(moment, file_issue, community_staff, street_staff, command_centre):
    """At ``moment`` the district dispatches the urban management bureau with one assisting department, and
    the lead reports for duty: (issue, helper)."""
    urban = Department.objects.get(code="urban-management")
    helper = Department.objects.exclude(pk=urban.pk).order_by("code").first()
    with time_machine.travel(moment, tick=False):
        issue = to_district(file_issue(), community_staff, street_staff, command_centre)
        issue = services.issue_dispatch(issue=issue, actor=command_centre, department=urban, assisting=[helper])
        return services.issue_respond(issue=issue, actor=staff_of(urban)), helper


def test_an_assisting_department_that_does_not_report_is_marked_overdue(
        deadline_rules, file_issue, community_staff, street_staff, command_centre):
    issue, helper = assisted_at(local(2026, 10, 12, 9, 0), file_issue, community_staff, street_staff, command_centre)
    helper_staff = staff_of(helper)
    sweep_at(local(2026, 10, 12, 10, 31))
    assert reminders_for(helper_staff).count() == 1
    report = sweep_at(local(2026, 10, 12, 11, 1))
    assert not report.escalated
    [overdue] = events(issue, Action.OVERDUE)
    assert overdue.data == {**overdue.data, "deadline": "response", "department": helper.code}
    assert AccountabilityRecord.objects.get(issue=issue, kind=RecordKind.NO_RESPONSE).department == helper
    assert Issue.objects.get(pk=issue.pk).status == Status.RESPONDED


def test_a_released_assisting_department_has_no_clock_left(
        deadline_rules, file_issue, community_staff, street_staff, command_centre):
    issue, helper = assisted_at(local(2026, 10, 12, 9, 0), file_issue, community_staff, street_staff, command_centre)
    with time_machine.travel(local(2026, 10, 12, 10, 0), tick=False):
        services.issue_assist_release(issue=issue, actor=command_centre, department=helper, reason="不属于该局职责")
    report = sweep_at(local(2026, 10, 12, 11, 1))  # past the helper's deadline: nothing is due from it any more
    assert not report and not events(issue, Action.OVERDUE)
    assert not reminders_for(staff_of(helper)).exists()


def test_the_celery_task_runs_the_sweep(deadline_rules, file_issue, community_staff, grid_officer):
    issue = dispatched_at(local(2026, 10, 12, 9, 0), file_issue, community_staff, grid_officer)
    with time_machine.travel(local(2026, 10, 12, 11, 1), tick=False):
        result = tasks.sweep_deadlines.apply()  # here, in this process; beat sends it to a worker in production
    assert result.get() == {"reminded": 0, "overdue": 1, "escalated": 1}
    assert Issue.objects.get(pk=issue.pk).owner_tier == Tier.STREET


def test_an_on_site_check_not_answered_reminds_the_officer_then_tells_both_once(
        deadline_rules, file_issue, community_staff, grid_officer, settings):
    settings.FIELD_CHECK_HOURS = 4
    with time_machine.travel(local(2026, 10, 12, 9, 0), tick=False):
        issue = file_issue()
        check = services.issue_check_ask(issue=issue, actor=community_staff, kind="verify", officer=grid_officer)
    assert check.due_at == local(2026, 10, 12, 13, 0)
    check_alerts = {AlertKind.CHECK_REMINDER, AlertKind.CHECK_OVERDUE}

    report = sweep_at(local(2026, 10, 12, 11, 59))
    assert not check_alerts & {kind for _number, kind in report.reminded + report.overdue}
    officer_before, owner_before = reminders_for(grid_officer).count(), reminders_for(community_staff).count()
    report = sweep_at(local(2026, 10, 12, 12, 1))  # three quarters of the 4 hours
    assert (issue.number, AlertKind.CHECK_REMINDER) in report.reminded
    assert reminders_for(grid_officer).count() == officer_before + 1
    report = sweep_at(local(2026, 10, 12, 13, 1))
    assert (issue.number, AlertKind.CHECK_OVERDUE) in report.overdue
    assert reminders_for(grid_officer).count() == officer_before + 2
    assert reminders_for(community_staff).filter(text__contains="现场核").count() == 1
    assert reminders_for(community_staff).count() > owner_before
    again = sweep_at(local(2026, 10, 12, 13, 30))
    assert not check_alerts & {kind for _number, kind in again.reminded + again.overdue}
    # The check is late, not the issue: no mark of its own on the timeline, and the officer may still answer.
    assert [e.data.get("deadline") for e in events(issue, Action.OVERDUE)] == ["acceptance"]
    services.issue_check_report(check=check, actor=grid_officer, outcome="real")


def test_a_check_answered_in_time_has_no_late_notice(deadline_rules, file_issue, community_staff, grid_officer,
                                                      settings):
    settings.FIELD_CHECK_HOURS = 4
    with time_machine.travel(local(2026, 10, 12, 9, 0), tick=False):
        issue = file_issue()
        check = services.issue_check_ask(issue=issue, actor=community_staff, kind="verify", officer=grid_officer)
    with time_machine.travel(local(2026, 10, 12, 10, 0), tick=False):
        services.issue_check_report(check=check, actor=grid_officer, outcome="real")
    report = sweep_at(local(2026, 10, 12, 14, 0))
    assert not {AlertKind.CHECK_REMINDER, AlertKind.CHECK_OVERDUE} & {kind for _n, kind in report.reminded + report.overdue}
    assert not DeadlineAlert.objects.filter(issue=issue, kind__startswith="check").exists()
