"""The deadlines that fire: one sweep, run every minute by Celery beat (``dispatch.tasks``).

For every running clock – a whistle its tier has not taken (接哨), a handler or an assisting
department that has not reported for duty (报到), an issue not resolved (办结) – the sweep

- reminds whoever must act when 75 % of the time has passed: of the minutes for the response
  clocks (wall-clock, as their deadlines), of the working days for the resolution clock (a reminder
  never falls in the middle of a holiday with most of the working time still ahead);
- marks the issue overdue when the deadline has passed, on its timeline (an on-site check asked of a grid
  officer has a reminder and a late notice, to the officer and the tier that asked, but no mark). A response deadline that
  passes with nobody reporting for duty also whistles the issue one tier up (community → street →
  district); at the district, where there is no tier above, the overdue mark and the accountability
  list answer instead. The accountability and notification apps take it from the events.

Each of these is done at most once per deadline: a ``DeadlineAlert`` row, unique per issue (or
assisting department), kind and deadline, is written in the same transaction as what it stands
for. A sweep that runs twice does nothing twice; a sweep that did not run for hours – worker or
Redis down – finds every deadline that passed meanwhile, because it asks for "due before now",
never for "due in the last minute". A new deadline (re-dispatch, escalation, reopening) is a new
row and may fire again.
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from issues import services as issue_services
from issues.lifecycle import OPEN_STATUSES, Status
from issues.models import RESPONSE_CLOCK_STATUSES, CheckState, Issue, IssueAssist, SiteCheck

from .calendar import WorkingCalendar
from .models import AlertKind, DeadlineAlert

logger = logging.getLogger(__name__)

REMIND_AT = 0.75  # of the time between the start of a clock and its deadline
CHECK_KINDS = frozenset({AlertKind.CHECK_REMINDER, AlertKind.CHECK_OVERDUE})


@dataclass
class SweepReport:
    """What one sweep did, for the task's log and the tests."""

    reminded: list = field(default_factory=list)  # (issue number, kind)
    overdue: list = field(default_factory=list)  # (issue number, kind)
    escalated: list = field(default_factory=list)  # issue numbers

    def __bool__(self):
        return bool(self.reminded or self.overdue or self.escalated)


def deadline_sweep(now: datetime | None = None) -> SweepReport:
    """Fire every reminder and overdue mark that is due and has not fired yet."""
    now = now or timezone.now()
    report = SweepReport()
    for issue in _response_clocks():
        if issue.response_due <= now:
            _fire(issue, AlertKind.RESPONSE_OVERDUE, issue.response_due, now, report)
        elif _reminder_due(_response_started(issue), issue.response_due, now):
            _fire(issue, AlertKind.RESPONSE_REMINDER, issue.response_due, now, report)
    calendar = WorkingCalendar()  # one per sweep: the override rows are read once
    for issue in _resolution_clocks():
        if issue.resolution_due <= now:
            _fire(issue, AlertKind.RESOLUTION_OVERDUE, issue.resolution_due, now, report)
        elif _working_reminder_due(calendar, _resolution_started(issue), issue.resolution_due, now):
            _fire(issue, AlertKind.RESOLUTION_REMINDER, issue.resolution_due, now, report)
    for assist in _assist_clocks():
        if assist.response_due <= now:
            _fire(assist.issue, AlertKind.RESPONSE_OVERDUE, assist.response_due, now, report, assist=assist)
        elif _reminder_due(assist.dispatched_at, assist.response_due, now):
            _fire(assist.issue, AlertKind.RESPONSE_REMINDER, assist.response_due, now, report, assist=assist)
    for check in _check_clocks():
        if check.due_at <= now:
            _fire(check.issue, AlertKind.CHECK_OVERDUE, check.due_at, now, report)
        elif _reminder_due(check.asked_at, check.due_at, now):
            _fire(check.issue, AlertKind.CHECK_REMINDER, check.due_at, now, report)
    if report:
        logger.info("deadline sweep: %s", report)
    return report


# Which clocks run --------------------------------------------------------------------------------
# Open issues are few (hundreds in a district at any time, against years of closed ones); the
# filters use the status indexes and the 75 % point is computed here, the same way on every database.

def _response_clocks():
    return (Issue.objects.filter(status__in=RESPONSE_CLOCK_STATUSES, response_due__isnull=False)
            .only("id", "number", "title", "status", "owner_tier", "response_due", "created_at", "dispatched_at",
                  "escalated_at", "community_id", "street_id", "grid_id", "handler_id", "handler_department_id"))


def _resolution_clocks():
    return (Issue.objects.filter(status__in=OPEN_STATUSES, resolution_due__isnull=False)
            .prefetch_related("list_entries")
            .only("id", "number", "title", "status", "owner_tier", "resolution_due", "accepted_at", "community_id",
                  "street_id", "grid_id", "handler_id", "handler_department_id"))


def _assist_clocks():
    return (IssueAssist.objects.still_assisting()
            .filter(responded_at__isnull=True, response_due__isnull=False,
                    issue__status__in=(Status.DISPATCHED, Status.RESPONDED))
            .select_related("issue", "department"))


def _check_clocks():
    """The on-site checks asked and not answered: the officer is reminded, then the officer and the tier that
    asked are told it is late. No mark on the issue: the tier's own deadlines keep running meanwhile."""
    return SiteCheck.objects.filter(state=CheckState.ASKED).select_related("issue").only(
        "id", "due_at", "asked_at", "issue__id", "issue__number", "issue__title")


def _response_started(issue: Issue):
    if issue.status == Status.SUBMITTED:
        return issue.created_at
    if issue.status == Status.ESCALATED:
        return issue.escalated_at
    return issue.dispatched_at


def _resolution_started(issue: Issue):
    """When the owning tier accepted the issue onto its list (an escalated issue: the upper tier)."""
    entry = next((e for e in issue.list_entries.all() if e.tier == issue.owner_tier), None)
    return entry.accepted_at if entry is not None else issue.accepted_at


def _reminder_due(start, due, now) -> bool:
    """Response clocks run in wall-clock minutes (departments are on duty every day)."""
    return start is not None and start < due and start + (due - start) * REMIND_AT <= now


def _working_reminder_due(calendar: WorkingCalendar, start, due, now) -> bool:
    """Resolution clocks run in working days: the reminder comes when three quarters of those have passed."""
    return start is not None and start < due and calendar.share_of_working_time(start, due, REMIND_AT) <= now


# Firing once -------------------------------------------------------------------------------------

def _fire(issue: Issue, kind: str, due, now, report: SweepReport, *, assist: IssueAssist | None = None) -> None:
    """One alert in its own transaction: the row, and what it stands for, commit together."""
    try:
        with transaction.atomic():
            locked = Issue.objects.select_for_update().get(pk=issue.pk)
            if not _still_running(locked, kind, due, assist):
                return  # someone acted between the read and the lock: the clock stopped or moved
            try:
                with transaction.atomic():
                    DeadlineAlert.objects.create(issue=locked, assist=assist, kind=kind, due=due,
                                                 fired_at=now, late_by=now - due if now > due else None)
            except IntegrityError:
                return  # fired before: by an earlier sweep, or by a second worker just now
            _act(locked, kind, due, assist, report)
    except Exception:  # one issue's failure must not stop the sweep; the next sweep tries it again
        logger.exception("deadline sweep: %s %s failed", issue.number, kind)


def _still_running(issue: Issue, kind: str, due, assist: IssueAssist | None) -> bool:
    if assist is not None:
        fresh = IssueAssist.objects.still_assisting().filter(pk=assist.pk).values_list("responded_at",
                                                                                         "response_due").first()
        return (fresh is not None and fresh[0] is None and fresh[1] == due
                and issue.status in (Status.DISPATCHED, Status.RESPONDED))
    if kind in CHECK_KINDS:
        return SiteCheck.objects.filter(issue=issue, state=CheckState.ASKED, due_at=due).exists()
    if kind in (AlertKind.RESPONSE_REMINDER, AlertKind.RESPONSE_OVERDUE):
        return issue.status in RESPONSE_CLOCK_STATUSES and issue.response_due == due
    return issue.status in OPEN_STATUSES and issue.resolution_due == due


def _act(issue: Issue, kind: str, due, assist: IssueAssist | None, report: SweepReport) -> None:
    if kind in CHECK_KINDS:
        _remind_check(issue, kind, due)
        (report.overdue if kind == AlertKind.CHECK_OVERDUE else report.reminded).append((issue.number, kind))
        return
    if kind in (AlertKind.RESPONSE_REMINDER, AlertKind.RESOLUTION_REMINDER):
        _remind(issue, kind, due, assist)
        report.reminded.append((issue.number, kind))
        return
    if kind == AlertKind.RESOLUTION_OVERDUE:
        issue_services.issue_mark_overdue(issue=issue, deadline="resolution", due=due)
        report.overdue.append((issue.number, kind))
        return
    # The response deadline passed.
    if assist is not None:
        issue_services.issue_mark_overdue(issue=issue, deadline="response", due=due, department=assist.department)
    else:
        taking = issue.status in (Status.SUBMITTED, Status.ESCALATED)  # the tier itself had to take it
        issue = issue_services.issue_mark_overdue(issue=issue, deadline="acceptance" if taking else "response",
                                                  due=due)
        if issue.status in (Status.DISPATCHED, Status.ESCALATED):
            reason = _("Nobody reported for duty by %(due)s (接哨不报到): whistled up automatically.") % {
                "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")}
            if issue_services.issue_auto_escalate(issue=issue, reason=reason) is not None:
                report.escalated.append(issue.number)
    report.overdue.append((issue.number, kind))


def _remind(issue: Issue, kind: str, due, assist: IssueAssist | None) -> None:
    from notifications import recipients
    from notifications.services import notify

    if assist is not None:
        people = recipients.department_staff(assist.department_id)
    elif kind == AlertKind.RESPONSE_REMINDER and issue.status == Status.DISPATCHED:
        people = recipients.handler_staff(issue)
    elif kind == AlertKind.RESOLUTION_REMINDER and issue.status in (Status.DISPATCHED, Status.RESPONDED):
        people = recipients.handler_staff(issue) + recipients.owner_staff(issue)
    else:  # a whistle the owning tier has to take
        people = recipients.owner_staff(issue)
    what = _("report for duty") if kind == AlertKind.RESPONSE_REMINDER else _("resolve it")
    if kind == AlertKind.RESPONSE_REMINDER and issue.status in (Status.SUBMITTED, Status.ESCALATED):
        what = _("accept it")
    text = _("%(number)s “%(title)s”: three quarters of the time have passed; %(what)s by %(due)s.") % {
        "number": issue.number, "title": issue.title, "what": what,
        "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")}
    key = f"reminder:{kind}:{issue.pk}:{assist.pk if assist else 0}:{due.isoformat()}"
    notify(people, kind="reminder", text=text, issue=issue, link=reverse("issues:issue", args=[issue.number]),
           dedupe_key=key)


def _remind_check(issue: Issue, kind: str, due) -> None:
    from notifications.services import notify

    check = SiteCheck.objects.select_related("officer", "asked_by").get(issue=issue, state=CheckState.ASKED)
    when = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
    if kind == AlertKind.CHECK_REMINDER:
        people = [check.officer]
        text = _("%(number)s “%(title)s”: the on-site check asked of you is due by %(due)s.")
    else:
        people = [check.officer, check.asked_by]
        text = _("%(number)s “%(title)s”: the on-site check was due by %(due)s and has not been answered.")
    text = text % {"number": issue.number, "title": issue.title, "due": when}
    notify(people, kind="reminder", text=text, issue=issue, link=reverse("issues:issue", args=[issue.number]),
           dedupe_key=f"{kind}:{check.pk}:{due.isoformat()}")
