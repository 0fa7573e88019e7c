"""The accountability list (问效清单): the one place for its rules.

- **Candidates from the timeline.** ``record_from_event`` listens to ``issues.signals.event_recorded``
  inside the transaction that writes the event, so a record commits or rolls back with its fact:

  ====================================  ===============  ==============================================
  event                                 kind             against
  ====================================  ===============  ==============================================
  overdue, deadline "response"          NO_RESPONSE      the holder: an assisting department named in
                                                         the event, the lead department, or the person
                                                         (with the owning tier's unit); nobody yet →
                                                         the owning unit (接哨不报到)
  overdue, deadline "acceptance"        INACTION         the owning tier's unit (不作为)
  overdue, deadline "resolution"        SLOW             the handler (person or department) and the
                                                         owning unit (慢作为)
  send_back with ``unjustified``        FALSE_WHISTLE    the lower tier's unit (乱吹哨)
  reopen, reopened ≥ N times            DISSATISFIED     the handler and the owning unit
  rate 满意, on time all along          COMMENDATION     the handler and the owning unit (通报表扬)
  ====================================  ===============  ==============================================

  N is ``ACCOUNTABILITY_DISSATISFIED_REOPENS`` (2). Each fact has a ``dedupe_key``
  (``event:<pk>:<kind>``): the same event seen twice records nothing new. A rejection is 不作为
  only when someone says so: ``record_manual``.
- **Decisions.** Only discipline inspectors confirm (``record_confirm``, with an outcome that fits the
  kind) or dismiss (``record_dismiss``, with a reason); a decided record stays decided.
- **Reads.** ``record_scope`` / ``record_list_for`` / ``record_detail_for`` scope by role and area;
  ``responsibility_trace`` says who held the issue when.

Errors are the issues app's: ``InvalidInput`` (400), ``PermissionRefused`` (403), ``Conflict`` (409).
"""
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Community, Department, Role, Street, User
from issues import rules as issue_rules
from issues import selectors as issue_selectors
from issues.lifecycle import Action
from issues.models import Issue, IssueEvent, Rating, Tier
from issues.services import Conflict, InvalidInput, PermissionRefused

from .models import AccountabilityRecord, Outcome, RecordKind, RecordState

# Who may put a record on the list by hand, and who decides (纪检监察: the discipline inspectors).
RECORDING_ROLES = frozenset({Role.COMMAND_CENTRE, Role.LEADER, Role.INSPECTOR})
DECIDING_ROLES = frozenset({Role.INSPECTOR})
FAILURE_OUTCOMES = frozenset({Outcome.TALK, Outcome.CRITICISM, Outcome.ACCOUNTABILITY})

RECORD_RELATED = ("issue", "community", "street", "department", "person", "decided_by", "created_by")
ISSUE_BOUNDARIES = ("issue__grid__boundary", "issue__community__boundary", "issue__street__boundary")


# Who may do what ---------------------------------------------------------------------------------

def may_see_list(user) -> bool:
    return issue_rules.is_staff_member(user)


def may_record(user) -> bool:
    return user.is_authenticated and user.role in RECORDING_ROLES


def may_decide(user) -> bool:
    return user.is_authenticated and user.role in DECIDING_ROLES


def refusal_to_record() -> str:
    return _("Only the command centre, district leaders and discipline inspectors record accountability by hand.")


def refusal_to_decide() -> str:
    return _("Only discipline inspectors decide on accountability records.")


def outcomes_for(kind: str) -> list[str]:
    """The outcomes a record of this kind may be confirmed with."""
    return [Outcome.COMMENDATION] if kind == RecordKind.COMMENDATION else [o for o in Outcome if o in FAILURE_OUTCOMES]


# Candidates from the timeline --------------------------------------------------------------------

@dataclass(frozen=True)
class Party:
    """Who answers for a fact: a tier's unit, a department, a person – any of them."""

    tier: str = ""
    community_id: int | None = None
    street_id: int | None = None
    department_id: int | None = None
    person_id: int | None = None

    def fields(self) -> dict:
        return {"tier": self.tier, "community_id": self.community_id, "street_id": self.street_id,
                "department_id": self.department_id, "person_id": self.person_id}


def _unit_of(issue: Issue, tier: str) -> Party:
    """The unit of a tier for this issue: its community, its street, or the command centre."""
    if tier == Tier.COMMUNITY:
        return Party(tier=tier, community_id=issue.community_id)
    if tier == Tier.STREET:
        return Party(tier=tier, street_id=issue.street_id)
    return Party(tier=Tier.DISTRICT)


def _handler_and_owner(issue: Issue) -> Party:
    """The handler (person or department) together with the owning tier's unit."""
    unit = _unit_of(issue, issue.owner_tier)
    return Party(tier=unit.tier, community_id=unit.community_id, street_id=unit.street_id,
                 department_id=issue.handler_department_id, person_id=issue.handler_id)


def _department_id(code: str | None) -> int | None:
    if not code:
        return None
    return Department.objects.filter(code=code).values_list("pk", flat=True).first()


def _moment(value) -> str:
    """An ISO moment from an event's data, as the district reads it."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(moment) else str(value)


def _tier_label(tier: str) -> str:
    return str(dict(Tier.choices).get(tier, tier))


def _from_overdue(issue: Issue, event: IssueEvent) -> list[tuple[str, Party, str]]:
    data = event.data or {}
    deadline, due = data.get("deadline"), _moment(data.get("due"))
    tier = data.get("tier") or issue.owner_tier
    if deadline == "acceptance":
        return [(RecordKind.INACTION, _unit_of(issue, tier),
                 _("The %(tier)s did not accept the issue by its deadline %(due)s (不作为).")
                 % {"tier": _tier_label(tier), "due": due})]
    if deadline == "resolution":
        return [(RecordKind.SLOW, _handler_and_owner(issue),
                 _("The issue was not resolved by its resolution deadline %(due)s (慢作为).") % {"due": due})]
    if deadline == "response":
        assisting = _department_id(data.get("department"))
        if assisting is not None:
            party = Party(department_id=assisting)
            facts = _("The assisting department did not report for duty by %(due)s (接哨不报到).") % {"due": due}
        elif issue.handler_department_id:
            party = Party(department_id=issue.handler_department_id)
            facts = _("The department did not report for duty by %(due)s (接哨不报到).") % {"due": due}
        elif issue.handler_id:
            party = _handler_and_owner(issue)
            facts = _("The handler did not report for duty by %(due)s (接哨不报到).") % {"due": due}
        else:
            party = _unit_of(issue, tier)
            facts = _("The %(tier)s did not take the whistle by %(due)s (接哨不报到).") % {
                "tier": _tier_label(tier), "due": due}
        return [(RecordKind.NO_RESPONSE, party, facts)]
    return []


def _from_send_back(issue: Issue, event: IssueEvent) -> list[tuple[str, Party, str]]:
    data = event.data or {}
    if not data.get("unjustified"):
        return []
    lower = data.get("to_tier") or issue.owner_tier
    facts = _("The %(upper)s sent the issue back to the %(lower)s: the whistle upward was unjustified (乱吹哨).") % {
        "upper": _tier_label(data.get("from_tier", "")), "lower": _tier_label(lower)}
    if event.note:
        facts = f"{facts}\n{_('Reason: %(reason)s') % {'reason': event.note}}"
    return [(RecordKind.FALSE_WHISTLE, _unit_of(issue, lower), facts)]


def _from_reopen(issue: Issue, event: IssueEvent) -> list[tuple[str, Party, str]]:
    if issue.reopen_count < getattr(settings, "ACCOUNTABILITY_DISSATISFIED_REOPENS", 2):
        return []
    facts = _("The resident rated the issue 不满意 %(count)s times; it is reopened again.") % {
        "count": issue.reopen_count}
    return [(RecordKind.DISSATISFIED, _handler_and_owner(issue), facts)]


def _from_rate(issue: Issue, event: IssueEvent) -> list[tuple[str, Party, str]]:
    if (event.data or {}).get("rating") != Rating.SATISFIED or not _fast_all_along(issue):
        return []
    return [(RecordKind.COMMENDATION, _handler_and_owner(issue),
             _("Reported for duty on time, resolved by the deadline and rated 满意: proposed for commendation "
               "(通报表扬)."))]


def _fast_all_along(issue: Issue) -> bool:
    """Resolved within the resolution deadline, every report for duty on time, never overdue, never
    reopened: fast the first time round."""
    if issue.reopen_count or issue.resolved_at is None or issue.resolution_due is None:
        return False
    if issue.resolved_at > issue.resolution_due:
        return False
    steps = list(IssueEvent.objects.filter(issue=issue, action__in=[
        Action.RESPOND, Action.ASSIST_RESPOND, Action.OVERDUE]).values_list("action", "data"))
    if not any(action == Action.RESPOND for action, _data in steps):
        return False
    return all(action != Action.OVERDUE and (data or {}).get("on_time", True) for action, data in steps)


FACT_RULES = {
    Action.OVERDUE: _from_overdue,
    Action.SEND_BACK: _from_send_back,
    Action.REOPEN: _from_reopen,
    Action.RATE: _from_rate,
}


def record_from_event(sender=None, *, issue: Issue, event: IssueEvent, **kwargs) -> list[AccountabilityRecord]:
    """The receiver of ``issues.signals.event_recorded``: the candidates this event is a fact for (see
    the table above), created once each – in the event's own transaction."""
    rule = FACT_RULES.get(event.action)
    if rule is None:
        return []
    records = []
    for kind, party, facts in rule(issue, event):
        record, _created = AccountabilityRecord.objects.get_or_create(
            dedupe_key=f"event:{event.pk}:{kind}",
            defaults={"issue": issue, "event": event, "kind": kind, "automatic": True, "facts": facts,
                      "created_at": event.at, **party.fields()},
        )
        records.append(record)
    return records


# By hand ------------------------------------------------------------------------------------------

@transaction.atomic
def record_manual(
    *, issue: Issue, actor: User, kind: str, facts: str, tier: str = "", department: Department | None = None,
    person: User | None = None,
) -> AccountabilityRecord:
    """The command centre, a leader or an inspector puts a record on the list by hand – a rejection or
    inaction against the rules (不作为), a whistle found frivolous (乱吹哨), a unit to commend – with the
    facts and whom it is against: the issue's community, street or the command centre (``tier``), a
    department, a person, or several of them. It starts as a candidate for the inspectors."""
    if not may_record(actor):
        raise PermissionRefused(refusal_to_record())
    if kind not in RecordKind.values:
        raise InvalidInput(_("Choose the kind of record."), field="kind")
    if not facts.strip():
        raise InvalidInput(_("Describe the facts."), field="facts")
    if tier and tier not in Tier.values:
        raise InvalidInput(_("Unknown tier: %(tier)s.") % {"tier": tier}, field="tier")
    if not (tier or department or person):
        raise InvalidInput(_("Name whom the record is against: a unit, a department or a person."), field="unit")
    if person is not None and not issue_rules.is_staff_member(person):
        raise InvalidInput(_("Records are against staff, not residents."), field="person")
    unit = _unit_of(issue, tier) if tier else Party()
    return AccountabilityRecord.objects.create(
        issue=issue, kind=kind, automatic=False, facts=facts.strip(), created_by=actor,
        **{**unit.fields(), "department_id": department.pk if department else None,
           "person_id": person.pk if person else None},
    )


# The inspectors' decision -------------------------------------------------------------------------

def _begin_decision(record: AccountabilityRecord, actor: User) -> AccountabilityRecord:
    if not may_decide(actor):
        raise PermissionRefused(refusal_to_decide())
    record = AccountabilityRecord.objects.select_for_update().get(pk=record.pk)
    if record.is_decided:
        raise Conflict(_("This record has already been decided: %(state)s.") % {"state": record.get_state_display()})
    return record


@transaction.atomic
def record_confirm(*, record: AccountabilityRecord, actor: User, outcome: str, note: str = "") -> AccountabilityRecord:
    """An inspector confirms a candidate: a failure with a talk, circulated criticism or accountability;
    a commendation with a circulated commendation."""
    if outcome not in outcomes_for(record.kind):
        if record.kind == RecordKind.COMMENDATION:
            message = _("A commendation is confirmed as a circulated commendation.")
        else:
            message = _("Choose a reminder talk, circulated criticism or accountability.")
        raise InvalidInput(message, field="outcome")
    record = _begin_decision(record, actor)
    if outcome not in outcomes_for(record.kind):  # the kind cannot change, but check what is locked
        raise InvalidInput(_("This outcome does not fit the record."), field="outcome")
    return _decide(record, actor, RecordState.CONFIRMED, outcome=outcome, note=note)


@transaction.atomic
def record_dismiss(*, record: AccountabilityRecord, actor: User, reason: str) -> AccountabilityRecord:
    """An inspector dismisses a candidate, saying why (a justified delay, a wrong finding, …)."""
    if not reason.strip():
        raise InvalidInput(_("Say why the record is dismissed."), field="reason")
    record = _begin_decision(record, actor)
    return _decide(record, actor, RecordState.DISMISSED, outcome="", note=reason)


def _decide(record, actor, state, *, outcome, note) -> AccountabilityRecord:
    record.state, record.outcome, record.decision_note = state, outcome, note.strip()
    record.decided_by, record.decided_at = actor, timezone.now()
    record.save(update_fields=["state", "outcome", "decision_note", "decided_by", "decided_at"])
    return record


# Reads, scoped by role and area -------------------------------------------------------------------

def record_scope(user) -> QuerySet[AccountabilityRecord]:
    """The records this account may see: the district roles all; street, community and grid staff those
    of issues in their area; department staff those naming their department or of issues dispatched to
    it; anyone on staff the records naming them; residents nothing."""
    records = AccountabilityRecord.objects.all()
    if not may_see_list(user):
        return records.none()
    if user.role in issue_rules.DISTRICT_WIDE:
        return records
    visible = issue_selectors.staff_visibility_q(user, "issue__", handed_to_them=False)
    named = Q(person=user)
    if user.role == Role.DEPARTMENT_STAFF:
        named |= Q(department_id=user.department_id)
    return records.filter(named if visible is None else visible | named)


@dataclass(frozen=True)
class RecordFilters:
    state: str = ""
    kind: str = ""
    unit: str = ""  # "district", "street:<code>", "community:<code>" or "department:<code>"
    issue: str = ""  # a tracking number


def _unit_q(unit: str) -> Q | None:
    if unit == Tier.DISTRICT:
        return Q(tier=Tier.DISTRICT)
    level, _sep, code = unit.partition(":")
    if not code:
        return None
    return {"street": Q(tier=Tier.STREET, street__code=code), "community": Q(tier=Tier.COMMUNITY, community__code=code),
            "department": Q(department__code=code)}.get(level)


def _filtered(user, filters: RecordFilters, *, with_state: bool) -> QuerySet[AccountabilityRecord]:
    records = record_scope(user)
    if with_state and filters.state:
        records = records.filter(state=filters.state)
    if filters.kind:
        records = records.filter(kind=filters.kind)
    if filters.unit:
        unit = _unit_q(filters.unit)
        records = records.filter(unit) if unit is not None else records.none()
    if filters.issue:
        records = records.filter(issue__number=filters.issue.strip())
    return records


def record_list_for(user, *, filters: RecordFilters | None = None) -> QuerySet[AccountabilityRecord]:
    """A page of records is one query for the rows (and one for the count), whatever its size."""
    records = _filtered(user, filters or RecordFilters(), with_state=True)
    return records.select_related(*RECORD_RELATED).defer(
        "community__boundary", "street__boundary").order_by("-created_at", "-id")


def record_state_counts(user, *, filters: RecordFilters | None = None) -> dict[str, int]:
    """How many records in each state match the other filters: one query."""
    counts = {state: 0 for state in RecordState.values}
    rows = _filtered(user, filters or RecordFilters(), with_state=False).order_by().values("state").annotate(
        n=Count("id"))
    for row in rows:
        counts[row["state"]] = row["n"]
    return counts


def record_detail_for(user, *, pk) -> AccountabilityRecord:
    """One record with its issue and event loaded; Http404 if it does not exist or is not the user's."""
    try:
        return (record_scope(user).select_related(*RECORD_RELATED, "event", "issue__community", "issue__street",
                                                  "issue__grid")
                .defer("community__boundary", "street__boundary", *ISSUE_BOUNDARIES).get(pk=pk))
    except (AccountabilityRecord.DoesNotExist, ValueError, TypeError):
        raise Http404("No such accountability record in your area.") from None


def unit_choices() -> list[tuple[str, str]]:
    """Every unit a record can be against, for the list's filter: the command centre, the streets, the
    communities (under their street) and the departments."""
    choices = [(Tier.DISTRICT.value, _("District command centre"))]
    choices += [(f"street:{code}", name) for code, name in Street.objects.order_by("code").values_list("code", "name")]
    choices += [(f"community:{code}", f"{street} · {name}") for code, name, street in
                Community.objects.order_by("street__code", "code").values_list("code", "name", "street__name")]
    choices += [(f"department:{code}", name) for code, name in
                Department.objects.order_by("code").values_list("code", "name")]
    return choices


def people_of(issue: Issue) -> QuerySet[User]:
    """The staff who acted on or held the issue: whom a record by hand may name."""
    handlers = [data.get("handler") for data in issue.events.filter(action=Action.DISPATCH).values_list(
        "data", flat=True) if data and data.get("handler")]
    actors = IssueEvent.objects.filter(issue=issue, actor__isnull=False).values("actor_id")
    return (User.objects.filter(Q(pk__in=actors) | Q(username__in=handlers) | Q(pk=issue.handler_id or 0))
            .exclude(role__in=[Role.RESIDENT, Role.INTAKE_CLIENT]).order_by("role", "username"))


# The responsibility trace -------------------------------------------------------------------------

@dataclass
class Holding:
    """One interval in which the same tier, handler and assisting departments held the issue."""

    start: datetime
    end: datetime | None  # None: still held
    tier: str
    unit: str  # the owning tier's unit, by name
    person: str = ""  # the handler, when a person
    department: str = ""  # the lead department
    assisting: list[str] = field(default_factory=list)
    started_by: str = ""  # the action that began it
    at_deadline: bool = False  # the deadline of the record's fact passed in this interval

    @property
    def tier_label(self) -> str:
        return _tier_label(self.tier)


_HAND_OVER = {Action.ESCALATE, Action.AUTO_ESCALATE, Action.SEND_BACK}
_ENDS = {Action.CLOSE, Action.REJECT, Action.WITHDRAW}


def responsibility_trace(issue: Issue, *, moment: datetime | None = None) -> list[Holding]:
    """Who held the issue at each moment, from its events, oldest first: submit and accept (the owning
    tier), dispatch (a handler and the assisting departments), escalate / auto_escalate (the tier
    above), send_back (the tier below), close / reject / withdraw (nobody), reopen (the same handler
    again). ``moment`` marks the interval it falls in (when a deadline passed). Three queries: the
    events, the people and the departments they name."""
    events = list(IssueEvent.objects.filter(issue=issue).order_by("at", "id").only("action", "at", "data"))
    raw, held, before_close = [], None, None  # held: (tier, handler, department, assisting)
    for event in events:
        data, action = event.data or {}, event.action
        if action == Action.SUBMIT:
            now_held = (data.get("owner_tier") or issue.owner_tier, None, None, ())
        elif held is None and action != Action.REOPEN:
            continue  # an issue that ended: nobody holds it
        elif action == Action.ACCEPT:
            now_held = (data.get("tier") or held[0], held[1], held[2], held[3])
        elif action == Action.DISPATCH:
            now_held = (held[0], data.get("handler"), data.get("department"), tuple(data.get("assisting") or ()))
        elif action in _HAND_OVER:
            now_held = (data.get("to_tier") or held[0], None, None, ())
        elif action in _ENDS:
            before_close, now_held = held, None
        elif action == Action.REOPEN:
            now_held = before_close
        else:
            continue
        if now_held == held:
            continue
        if raw and held is not None:  # the interval still open ends here
            raw[-1][1] = event.at
        if now_held is not None:
            raw.append([event.at, None, now_held, action])
        held = now_held
    usernames = {h[1] for _s, _e, h, _a in raw if h[1]}
    codes = {code for _s, _e, h, _a in raw for code in ((h[2],) if h[2] else ()) + h[3]}
    people = {u.username: str(u) for u in User.objects.filter(username__in=usernames)} if usernames else {}
    departments = dict(Department.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    trace = []
    for start, end, (tier, username, code, assisting), action in raw:
        trace.append(Holding(
            start=start, end=end, tier=tier, unit=issue.unit_name(tier),
            person=people.get(username, username or ""), department=departments.get(code, code or ""),
            assisting=[departments.get(c, c) for c in assisting], started_by=str(Action(action).label),
            at_deadline=moment is not None and start <= moment and (end is None or moment < end),
        ))
    return trace


def record_moment(record: AccountabilityRecord) -> datetime | None:
    """When the record's deadline passed (from its overdue event), to find who held the issue then."""
    if record.event_id is None:
        return None
    due = (record.event.data or {}).get("due")
    try:
        return datetime.fromisoformat(due) if due else None
    except (TypeError, ValueError):
        return None
