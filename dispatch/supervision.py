"""The supervision list (督办清单): the one place for its rules, its writers and its reads.

- Who: the district command centre and district leaders put issues on the list, instruct and record
  the "听哨" dispatch meetings; an item's supervisor may instruct it too. The holders of a supervised
  issue (its owning tier, its handler, an assisting department), its supervisor and the command
  centre post progress reports.
- Writers (keyword-only, one transaction each): ``supervision_open``, ``instruction_add``,
  ``progress_report_add``, ``meeting_record``; the rules put issues on the list by themselves
  (``supervision_sweep`` for long-overdue issues, the ``event_recorded`` receivers for issues reopened
  twice or dispatched to several departments) and close an item with its issue.
- Reads scoped by role and area: ``supervision_scope`` / ``supervision_list_for`` /
  ``supervision_detail_for`` and the meetings' ``meeting_*`` selectors; a list page is a fixed number
  of queries whatever its size.

Errors are the issues app's: ``InvalidInput`` (400), ``PermissionRefused`` (403), ``Conflict`` (409).
"""
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from grids.models import Role, User
from issues import rules
from issues import selectors as issue_selectors
from issues.lifecycle import OPEN_STATUSES, Action
from issues.models import RESPONSE_CLOCK_STATUSES, Issue, IssueAssist
from issues.services import Conflict, InvalidInput, PermissionRefused, issue_record_supervision

from . import calendar
from .models import (
    DispatchMeeting,
    Instruction,
    MeetingDecision,
    ProgressReport,
    SupervisionItem,
    SupervisionSource,
    SupervisionState,
)

logger = logging.getLogger(__name__)

# Who puts issues on the list, instructs and holds dispatch meetings.
SUPERVISING_ROLES = frozenset({Role.COMMAND_CENTRE, Role.LEADER})
# Who may sit in a district dispatch meeting with an account (grid officers are too many to list).
MEETING_ROLES = frozenset({Role.COMMAND_CENTRE, Role.LEADER, Role.INSPECTOR, Role.DEPARTMENT_STAFF,
                           Role.STREET_STAFF, Role.COMMUNITY_STAFF})
# Lists name the places; their boundaries stay in the database.
BOUNDARIES = ("issue__grid__boundary", "issue__community__boundary", "issue__street__boundary")
LIST_RELATED = ("issue__grid", "issue__community", "issue__street", "issue__category__parent", "supervisor")


# Who may do what ----------------------------------------------------------------------------------

def may_supervise(user) -> bool:
    """Put issues on the list, instruct any item and record dispatch meetings."""
    return user.is_authenticated and user.role in SUPERVISING_ROLES


def may_instruct(user, item: SupervisionItem) -> bool:
    return may_supervise(user) or (user.is_authenticated and item.supervisor_id == user.pk)


def may_report(user, item: SupervisionItem) -> bool:
    """The holders of the issue, the item's supervisor and the command centre post progress reports.
    Reads ``item.issue.assists`` (prefetch it)."""
    if not user.is_authenticated:
        return False
    if user.role == Role.COMMAND_CENTRE or item.supervisor_id == user.pk:
        return True
    issue = item.issue
    return rules.is_owner(user, issue) or rules.is_handler(user, issue) or rules.is_assistant(user, issue)


def supervisor_candidates() -> QuerySet[User]:
    return User.objects.filter(role__in=SUPERVISING_ROLES, is_active=True).order_by("role", "full_name", "username")


def attendee_candidates() -> QuerySet[User]:
    return (User.objects.filter(role__in=MEETING_ROLES, is_active=True)
            .select_related("street", "community", "department").order_by("role", "full_name", "username"))


# Writers ------------------------------------------------------------------------------------------

@transaction.atomic
def supervision_open(*, issue: Issue, actor: User, instruction: str, supervisor: User | None = None,
                     due=None) -> SupervisionItem:
    """The command centre or a district leader puts an open issue on the supervision list with an
    instruction, a supervisor (None: the command centre) and a deadline; the step is recorded on the
    issue's timeline in the same transaction. Conflict if the issue is closed or already supervised."""
    if not may_supervise(actor):
        raise PermissionRefused(_("Only the district command centre or a district leader puts issues on supervision."))
    if not instruction.strip():
        raise InvalidInput(_("Write the instruction."), field="instruction")
    if supervisor is not None and (supervisor.role not in SUPERVISING_ROLES or not supervisor.is_active):
        raise InvalidInput(_("The supervisor must be the command centre or a district leader."), field="supervisor")
    now = timezone.now()
    if due is not None and due <= now:
        raise InvalidInput(_("The deadline must be in the future."), field="due")
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    if issue.status not in OPEN_STATUSES:
        raise Conflict(_("Only an open issue can be put on supervision."))
    item = _item_create(issue, source=SupervisionSource.MANUAL, instruction=instruction.strip(), supervisor=supervisor,
                        due=due, created_by=actor, now=now)
    if item is None:
        raise Conflict(_("This issue is already on the supervision list."))
    _timeline(issue, item, actor, note=item.instruction, step="open")
    return item


@transaction.atomic
def instruction_add(*, item: SupervisionItem, actor: User, text: str, due=None,
                    decision: MeetingDecision | None = None) -> Instruction:
    """An instruction (批示) on an open item, by a supervising role or the item's supervisor. A ``due``
    becomes the item's deadline. Recorded on the issue's timeline."""
    item = _item_locked(item)
    if not may_instruct(actor, item):
        raise PermissionRefused(_("Only the command centre, a district leader or the item's supervisor instructs."))
    return _instruct(item, actor, text=text, due=due, decision=decision)


@transaction.atomic
def progress_report_add(*, item: SupervisionItem, actor: User, text: str) -> ProgressReport:
    """A holder of the supervised issue reports progress (进展情况) on an open item."""
    if not text.strip():
        raise InvalidInput(_("Describe the progress."), field="text")
    item = _item_locked(item)
    if not may_report(actor, item):
        raise PermissionRefused(_("Only those holding the issue, its supervisor or the command centre report "
                                  "progress."))
    if item.state != SupervisionState.OPEN:
        raise Conflict(_("This supervision item is closed."))
    return ProgressReport.objects.create(item=item, author=actor, text=text.strip())


@dataclass(frozen=True)
class Decision:
    item: SupervisionItem
    text: str
    due: object = None


@transaction.atomic
def meeting_record(*, actor: User, held_on, title: str, place: str = "", chair: User | None = None,
                   attendees: Iterable[User] = (), other_attendees: str = "", notes: str = "",
                   decisions: Sequence[tuple] = ()) -> DispatchMeeting:
    """Record a "听哨" dispatch meeting. ``decisions`` are (item, text, due) – one per open item; each
    becomes an instruction on its item (linked to the decision) and, with a due, the item's deadline."""
    if not may_supervise(actor):
        raise PermissionRefused(_("Only the district command centre or a district leader records dispatch meetings."))
    if held_on is None:
        raise InvalidInput(_("Give the date of the meeting."), field="held_on")
    if not title.strip():
        raise InvalidInput(_("Give the meeting a title."), field="title")
    if chair is not None and (chair.role not in SUPERVISING_ROLES or not chair.is_active):
        raise InvalidInput(_("The chair must be the command centre or a district leader."), field="chair")
    attendees = list(dict.fromkeys(attendees))
    strangers = [str(person) for person in attendees if person.role not in MEETING_ROLES or not person.is_active]
    if strangers:
        raise InvalidInput(_("Not district, street, community or department staff: %(names)s.")
                           % {"names": "、".join(strangers)}, field="attendees")
    decisions = [Decision(*decision) if not isinstance(decision, Decision) else decision for decision in decisions]
    seen = set()
    for decision in decisions:
        if decision.item.pk in seen:
            raise InvalidInput(_("One decision per item."), field="decisions")
        seen.add(decision.item.pk)
        if not decision.text.strip():
            raise InvalidInput(_("Write the decision on each item discussed."), field="decisions")
    meeting = DispatchMeeting.objects.create(
        held_on=held_on, title=title.strip(), place=place.strip(), chair=chair, other_attendees=other_attendees.strip(),
        notes=notes.strip(), recorded_by=actor)
    meeting.attendees.set(attendees)
    for decision in decisions:
        item = _item_locked(decision.item)
        if item.state != SupervisionState.OPEN:
            raise InvalidInput(_("The item of %(number)s is closed.") % {"number": item.issue.number},
                               field="decisions")
        row = MeetingDecision.objects.create(meeting=meeting, item=item, text=decision.text.strip(), due=decision.due)
        _instruct(item, chair or actor, text=decision.text, due=decision.due, decision=row)
    return meeting


def _item_locked(item: SupervisionItem) -> SupervisionItem:
    locked = SupervisionItem.objects.select_for_update().get(pk=item.pk)
    # The caller's item carries what the checks read (the issue with its assists): keep it.
    if "issue" in item._state.fields_cache:
        locked.issue = item.issue
    return locked


def _instruct(item: SupervisionItem, actor: User, *, text: str, due, decision) -> Instruction:
    if not text.strip():
        raise InvalidInput(_("Write the instruction."), field="text")
    if item.state != SupervisionState.OPEN:
        raise Conflict(_("This supervision item is closed."))
    if due is not None and due <= timezone.now():
        raise InvalidInput(_("The deadline must be in the future."), field="due")
    instruction = Instruction.objects.create(item=item, text=text.strip(), by=actor, decision=decision)
    if due is not None:
        item.due = due
        item.save(update_fields=["due"])
    issue = Issue.objects.get(pk=item.issue_id)
    _timeline(issue, item, actor, note=instruction.text, step="instruction",
              extra={"meeting": decision.meeting_id} if decision else None)
    return instruction


def _item_create(issue: Issue, *, source, instruction, supervisor, due, created_by, now) -> SupervisionItem | None:
    """A new open item, or None when the issue has one already (the partial unique constraint decides
    races: the loser's savepoint rolls back, its transaction goes on)."""
    if SupervisionItem.objects.filter(issue=issue, state=SupervisionState.OPEN).exists():
        return None
    try:
        with transaction.atomic():
            return SupervisionItem.objects.create(issue=issue, source=source, instruction=instruction,
                                                  supervisor=supervisor, due=due, created_by=created_by, created_at=now)
    except IntegrityError:
        return None


def _timeline(issue: Issue, item: SupervisionItem, actor: User | None, *, note: str, step: str, extra=None):
    data = {"supervision": item.pk, "step": step, "source": item.source,
            "due": item.due.isoformat() if item.due else None, **(extra or {})}
    issue_record_supervision(issue=issue, actor=actor, note=note, data=data)


# The rules put issues on the list by themselves --------------------------------------------------

AUTO_INSTRUCTIONS = {
    SupervisionSource.OVERDUE: gettext_noop("Overdue for more than %(days)s days: the holders report progress and "
                                            "resolve it without further delay."),
    SupervisionSource.REOPENED: gettext_noop("Reopened %(count)s times because the resident was not satisfied: find "
                                             "the cause and solve it for good."),
    SupervisionSource.MULTI_DEPARTMENT: gettext_noop("Several departments are involved: the lead department "
                                                     "co-ordinates and every department reports its part on time."),
}


def _auto_instruction(source, **params) -> str:
    # Marked for translation here, translated when the item is made (the district's language).
    return _(AUTO_INSTRUCTIONS[source]) % params


def auto_due(now=None):
    """The deadline of an item the rules open: SUPERVISION_DUE_WORKING_DAYS working days on the
    district's calendar (holidays and make-up days included)."""
    now = now or timezone.now()
    return calendar.add_working_days(now, settings.SUPERVISION_DUE_WORKING_DAYS)


def _auto_open(issue: Issue, source, instruction: str, now=None) -> SupervisionItem | None:
    """Put an open issue (locked by the caller) on the list by rule, supervised by the command centre."""
    now = now or timezone.now()
    if issue.status not in OPEN_STATUSES:
        return None
    item = _item_create(issue, source=source, instruction=instruction, supervisor=None, due=auto_due(now),
                        created_by=None, now=now)
    if item is not None:
        _timeline(issue, item, None, note=item.instruction, step="open")
    return item


def overdue_for_supervision_q(now=None) -> Q:
    """``issues.selectors.overdue_q`` moved back by SUPERVISION_OVERDUE_DAYS: overdue by more than that."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SUPERVISION_OVERDUE_DAYS)
    return (Q(status__in=RESPONSE_CLOCK_STATUSES, response_due__lt=cutoff)
            | Q(status__in=OPEN_STATUSES, resolution_due__lt=cutoff))


def supervision_sweep(now=None) -> list[SupervisionItem]:
    """The periodic rule: every open issue overdue by more than SUPERVISION_OVERDUE_DAYS days goes on
    the list (source OVERDUE) unless it is on it already. Idempotent; one transaction per issue, so
    one failure does not undo the rest."""
    now = now or timezone.now()
    supervised = SupervisionItem.objects.filter(issue=OuterRef("pk"), state=SupervisionState.OPEN)
    candidates = list(Issue.objects.filter(overdue_for_supervision_q(now)).exclude(Exists(supervised))
                      .order_by("pk").values_list("pk", flat=True))
    opened = []
    for pk in candidates:
        with transaction.atomic():
            issue = Issue.objects.select_for_update().filter(overdue_for_supervision_q(now), pk=pk).first()
            if issue is None:  # it moved on since the candidates were read
                continue
            text = _auto_instruction(SupervisionSource.OVERDUE, days=settings.SUPERVISION_OVERDUE_DAYS)
            item = _auto_open(issue, SupervisionSource.OVERDUE, text, now=now)
            if item is not None:
                opened.append(item)
    if opened:
        logger.info("supervision sweep: %d overdue issues put on the supervision list", len(opened))
    return opened


# Receivers of issues.signals.event_recorded (inside the event's transaction) -------------------

CLOSING_ACTIONS = frozenset({Action.CLOSE, Action.REJECT, Action.WITHDRAW})


def event_recorded_supervise(sender, issue, event, **kwargs):
    """Close the item with its issue; open one by rule on a second reopening or a dispatch to several
    departments. A reopening never reopens a closed item: the rule may open a new one."""
    action = event.action
    if action in CLOSING_ACTIONS:
        SupervisionItem.objects.filter(issue=issue, state=SupervisionState.OPEN).update(
            state=SupervisionState.CLOSED, closed_at=event.at)
    elif action == Action.REOPEN and issue.reopen_count >= settings.SUPERVISION_REOPENED_TIMES:
        _auto_open(issue, SupervisionSource.REOPENED,
                   _auto_instruction(SupervisionSource.REOPENED, count=issue.reopen_count))
    elif action == Action.DISPATCH and (event.data or {}).get("assisting"):
        _auto_open(issue, SupervisionSource.MULTI_DEPARTMENT, _auto_instruction(SupervisionSource.MULTI_DEPARTMENT))


# Reads --------------------------------------------------------------------------------------------

def supervision_scope(user) -> QuerySet[SupervisionItem]:
    """The items this account may see: the district roles all; street, community and grid staff the
    items of issues in their place (or handed to them); department staff those of issues dispatched
    to their department or that it assists; residents none."""
    visible = issue_selectors.staff_visibility_q(user, "issue__")
    items = SupervisionItem.objects.all()
    return items.none() if visible is None else items.filter(visible)


@dataclass(frozen=True)
class SupervisionFilters:
    state: str = SupervisionState.OPEN  # "" for both
    source: str = ""
    overdue: bool | None = None  # the item's own deadline passed while it is open
    q: str = ""  # tracking number or words of the title


def item_overdue_q(now=None) -> Q:
    return Q(state=SupervisionState.OPEN, due__lt=now or timezone.now())


def _count(model) -> Coalesce:
    rows = model.objects.filter(item=OuterRef("pk")).order_by().values("item").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def supervision_list_for(user, *, filters: SupervisionFilters | None = None) -> QuerySet[SupervisionItem]:
    """A page of items is one query for the rows (plus one for the count), whatever its size."""
    filters = filters or SupervisionFilters()
    items = (supervision_scope(user).select_related(*LIST_RELATED).defer(*BOUNDARIES)
             .annotate(report_count=_count(ProgressReport), instruction_count=_count(Instruction)))
    if filters.state:
        items = items.filter(state=filters.state)
    if filters.source:
        items = items.filter(source=filters.source)
    if filters.overdue is not None:
        items = items.filter(item_overdue_q()) if filters.overdue else items.exclude(item_overdue_q())
    if filters.q:
        words = filters.q.strip()
        items = items.filter(Q(issue__number__iexact=words) | Q(issue__title__icontains=words))
    return items.order_by("-created_at", "-id")


def supervision_detail_for(user, *, pk) -> SupervisionItem:
    """One item with its instructions, progress reports and decisions (and the issue's assists, which
    ``may_report`` reads); Http404 if it is not the user's to see."""
    try:
        return (
            supervision_scope(user).select_related(*LIST_RELATED, "created_by", "issue__handler",
                                                   "issue__handler_department").defer(*BOUNDARIES)
            .prefetch_related(
                Prefetch("issue__assists", queryset=IssueAssist.objects.select_related("department")),
                Prefetch("instructions", queryset=Instruction.objects.select_related("by", "decision__meeting")),
                Prefetch("reports", queryset=ProgressReport.objects.select_related("author")),
                Prefetch("decisions", queryset=MeetingDecision.objects.select_related("meeting")),
            ).get(pk=pk)
        )
    except (SupervisionItem.DoesNotExist, ValueError, TypeError):
        raise Http404("No such supervision item in your area.") from None


def open_item_of(issue: Issue) -> SupervisionItem | None:
    return SupervisionItem.objects.filter(issue=issue, state=SupervisionState.OPEN).first()


def items_for_meeting() -> QuerySet[SupervisionItem]:
    """The open items a dispatch meeting may decide on (the district sees them all)."""
    return (SupervisionItem.objects.filter(state=SupervisionState.OPEN).select_related("issue")
            .only("id", "due", "source", "issue__number", "issue__title").order_by("created_at", "id"))


def meeting_scope(user) -> QuerySet[DispatchMeeting]:
    """The district roles see every meeting; other staff those they sat in and those that decided on
    an item they may see; residents none."""
    meetings = DispatchMeeting.objects.all()
    if not rules.is_staff_member(user):
        return meetings.none()
    if user.role in rules.DISTRICT_WIDE:
        return meetings
    decided = MeetingDecision.objects.filter(meeting=OuterRef("pk"), item__in=supervision_scope(user))
    sat_in = DispatchMeeting.attendees.through.objects.filter(dispatchmeeting=OuterRef("pk"), user=user)
    return meetings.filter(Exists(decided) | Exists(sat_in))


def meeting_list_for(user) -> QuerySet[DispatchMeeting]:
    decisions = (MeetingDecision.objects.filter(meeting=OuterRef("pk")).order_by().values("meeting")
                 .annotate(n=Count("pk")).values("n"))
    return (meeting_scope(user).select_related("chair")
            .annotate(decision_count=Coalesce(Subquery(decisions, output_field=IntegerField()), 0))
            .order_by("-held_on", "-id"))


def meeting_detail_for(user, *, pk) -> DispatchMeeting:
    """One meeting with its attendees and the decisions on items this user may see."""
    decisions = MeetingDecision.objects.filter(item__in=supervision_scope(user)).select_related("item__issue")
    try:
        return (meeting_scope(user).select_related("chair", "recorded_by")
                .prefetch_related(Prefetch("attendees", queryset=User.objects.order_by("role", "full_name")),
                                  Prefetch("decisions", queryset=decisions)).get(pk=pk))
    except (DispatchMeeting.DoesNotExist, ValueError, TypeError):
        raise Http404("No such meeting.") from None
