"""The problem lists (问题清单): each tier's ledger of what it accepted – open, overdue, whistled up and
crossed off (销号) – read as the asking user may, and exported as CSV or .xlsx.

Entries are written by ``issues.services`` only (accept / send-back enter them, escalate / close leave
them). Here are the reads:

- ``lists_for(user)``: the lists a user may open (a community's, a street's, the district's);
- ``problem_list_unit(user, tier=…, code=…)``: one of them by tier and unit code (Http404 if not theirs);
- ``problem_list_for(user, tier=…, unit=…, filters=…)``: its entries, one query for any number of rows;
- ``problem_list_counts(…)``: open / overdue / whistled up / crossed off, one query;
- ``problem_list_csv`` / ``problem_list_xlsx``: the exporters, shared by the pages, the API and any
  report that wants "each tier's problem list".

Who may open which list: a community's staff and grid officers their community's list; a street's
staff their street's and each of its communities' lists; the district roles every list; department
staff the district's list, limited to the issues dispatched to their department (lead or assisting);
nobody else any list.
"""
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import Community, District, Role, Street
from jianhua import exports
from jianhua.exports import Column

from . import rules
from .models import EntryState, ProblemListEntry, Tier
from .selectors import overdue_q, staff_visibility_q

DISTRICT_CODE = "district"  # the unit code of the district's list in URLs and the API

ENTRY_RELATED = ("issue__category__parent", "issue__grid", "issue__community", "issue__street", "issue__handler",
                 "issue__handler_department")
# Rows name the places; their boundaries (kilobytes each) stay in the database.
ENTRY_BOUNDARIES = ("issue__grid__boundary", "issue__community__boundary", "issue__street__boundary")
AREA_BOUNDARY = ("boundary",)


# Which lists -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListUnit:
    """One problem list: the tier and the unit whose ledger it is (``area`` is None for the district)."""

    tier: str
    code: str
    name: str
    area: Community | Street | None = field(default=None, compare=False)
    street_name: str = ""  # a community's street, to tell lists apart

    @property
    def tier_label(self) -> str:
        return Tier(self.tier).label


def _streets_for(user) -> QuerySet[Street]:
    if user.role in rules.DISTRICT_WIDE:
        return Street.objects.all()
    if user.role == Role.STREET_STAFF:
        return Street.objects.filter(pk=user.street_id)
    return Street.objects.none()


def _communities_for(user) -> QuerySet[Community]:
    communities = Community.objects.select_related("street").defer("boundary", "street__boundary")
    if user.role in rules.DISTRICT_WIDE:
        return communities
    if user.role == Role.STREET_STAFF:
        return communities.filter(street_id=user.street_id)
    if user.role == Role.COMMUNITY_STAFF:
        return communities.filter(pk=user.community_id)
    if user.role == Role.GRID_OFFICER:
        return communities.filter(grids=user.grid_id)
    return communities.none()


def _opens_district_list(user) -> bool:
    return user.role in rules.DISTRICT_WIDE or user.role == Role.DEPARTMENT_STAFF


def _district_unit() -> ListUnit:
    district = District.objects.only("code", "name").first()
    return ListUnit(Tier.DISTRICT, DISTRICT_CODE, district.name if district else str(Tier.DISTRICT.label))


def _street_unit(street: Street) -> ListUnit:
    return ListUnit(Tier.STREET, street.code, street.name, street)


def _community_unit(community: Community) -> ListUnit:
    return ListUnit(Tier.COMMUNITY, community.code, community.name, community, community.street.name)


def lists_for(user) -> list[ListUnit]:
    """The problem lists this user may open: the district's first, then each street followed by its
    communities. Empty for residents and anyone without an area. At most three queries."""
    if not rules.is_staff_member(user):
        return []
    units = [_district_unit()] if _opens_district_list(user) else []
    communities = list(_communities_for(user).order_by("street__code", "code"))
    by_street: dict[int, list[ListUnit]] = {}
    for community in communities:
        by_street.setdefault(community.street_id, []).append(_community_unit(community))
    streets = list(_streets_for(user).defer(*AREA_BOUNDARY).order_by("code"))
    for street in streets:
        units.append(_street_unit(street))
        units.extend(by_street.pop(street.pk, []))
    for rest in by_street.values():  # a community or grid officer: their community without its street's list
        units.extend(rest)
    return units


def problem_list_unit(user, *, tier: str, code: str) -> ListUnit:
    """The list of ``tier`` and unit ``code`` ('district' for the district's), if this user may open it;
    Http404 otherwise (a list outside one's area does not exist for them). One query at most."""
    if not rules.is_staff_member(user):
        raise Http404("No such problem list.")
    if tier == Tier.DISTRICT and code == DISTRICT_CODE and _opens_district_list(user):
        return _district_unit()
    if tier == Tier.STREET:
        street = _streets_for(user).defer(*AREA_BOUNDARY).filter(code=code).first()
        if street is not None:
            return _street_unit(street)
    if tier == Tier.COMMUNITY:
        community = _communities_for(user).filter(code=code).first()
        if community is not None:
            return _community_unit(community)
    raise Http404("No such problem list in your area.")


def may_open(user, *, tier: str, unit: Community | Street | None) -> bool:
    """Whether this user may open the list of ``tier`` kept by ``unit`` (None: the district's)."""
    if not rules.is_staff_member(user):
        return False
    role = user.role
    expected = {Tier.DISTRICT: type(None), Tier.STREET: Street, Tier.COMMUNITY: Community}.get(tier)
    if expected is None or not isinstance(unit, expected):
        return False
    if role in rules.DISTRICT_WIDE:
        return True
    if tier == Tier.DISTRICT:
        return role == Role.DEPARTMENT_STAFF
    if tier == Tier.STREET:
        return role == Role.STREET_STAFF and unit.pk == user.street_id
    if role == Role.STREET_STAFF:
        return unit.street_id == user.street_id
    if role == Role.COMMUNITY_STAFF:
        return unit.pk == user.community_id
    if role == Role.GRID_OFFICER:
        return user.grid_id is not None and user.grid.community_id == unit.pk
    return False


# The entries -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProblemListFilters:
    state: str = ""  # an EntryState value
    overdue: bool | None = None  # True: open entries whose issue is overdue; False: all the others
    category: str = ""  # a code; a top category includes its sub-categories
    grid: str = ""  # a grid code
    accepted_from: date | None = None  # accepted on or after this day (Asia/Shanghai)
    accepted_to: date | None = None  # accepted on or before this day


def _on_issue(condition: Q) -> Q:
    """An Issue condition (overdue_q) as one on the entry's issue: the same definition, one join away."""
    children = [_on_issue(child) if isinstance(child, Q) else (f"issue__{child[0]}", child[1])
                for child in condition.children]
    return Q(*children, _connector=condition.connector, _negated=condition.negated)


def _overdue_entry_q(now=None) -> Q:
    return Q(state=EntryState.OPEN) & _on_issue(overdue_q(now))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def problem_list_for(user, *, tier: str, unit: Community | Street | ListUnit | None = None,
                     filters: ProblemListFilters | None = None) -> QuerySet[ProblemListEntry]:
    """The entries of one problem list, newest acceptance first, each with its issue, category, places,
    handler and department loaded: one query whatever the number of rows. Http404 if the user may not
    open the list. Department staff see only the entries of issues dispatched to their department."""
    if isinstance(unit, ListUnit):
        unit = unit.area
    if not may_open(user, tier=tier, unit=unit):
        raise Http404("No such problem list in your area.")
    filters = filters or ProblemListFilters()
    entries = ProblemListEntry.objects.filter(tier=tier)
    if tier == Tier.COMMUNITY:
        entries = entries.filter(community_id=unit.pk)
    elif tier == Tier.STREET:
        entries = entries.filter(street_id=unit.pk)
    if user.role == Role.DEPARTMENT_STAFF:  # the district's list, as far as it concerns their department
        concerns = staff_visibility_q(user, "issue__")
        entries = entries.none() if concerns is None else entries.filter(concerns)
    if filters.state:
        entries = entries.filter(state=filters.state)
    if filters.overdue is not None:
        entries = entries.filter(_overdue_entry_q()) if filters.overdue else entries.exclude(_overdue_entry_q())
    if filters.category:
        entries = entries.filter(Q(issue__category__code=filters.category)
                                 | Q(issue__category__parent__code=filters.category))
    if filters.grid:
        entries = entries.filter(issue__grid__code=filters.grid)
    if filters.accepted_from:
        entries = entries.filter(accepted_at__gte=_day_start(filters.accepted_from))
    if filters.accepted_to:
        entries = entries.filter(accepted_at__lt=_day_start(filters.accepted_to + timedelta(days=1)))
    return entries.select_related(*ENTRY_RELATED).defer(*ENTRY_BOUNDARIES).order_by("-accepted_at", "-id")


@dataclass(frozen=True)
class ProblemListCounts:
    open: int = 0
    overdue: int = 0
    escalated: int = 0
    crossed_off: int = 0

    @property
    def total(self) -> int:
        return self.open + self.escalated + self.crossed_off


def problem_list_counts(user, *, tier: str, unit=None, filters: ProblemListFilters | None = None) -> ProblemListCounts:
    """The header of a list: its entries per state, and the open ones that are overdue, under the same
    filters except the state and overdue ones. One query."""
    filters = replace(filters or ProblemListFilters(), state="", overdue=None)
    entries = problem_list_for(user, tier=tier, unit=unit, filters=filters).order_by()
    counts = entries.aggregate(
        open=Count("pk", filter=Q(state=EntryState.OPEN)),
        overdue=Count("pk", filter=_overdue_entry_q()),
        escalated=Count("pk", filter=Q(state=EntryState.ESCALATED)),
        crossed_off=Count("pk", filter=Q(state=EntryState.CROSSED_OFF)),
    )
    return ProblemListCounts(**counts)


def entry_overdue(entry: ProblemListEntry) -> bool:
    """Overdue on this list: the entry is open and its issue is overdue (``Issue.is_overdue``)."""
    return entry.state == EntryState.OPEN and entry.issue.is_overdue


def entry_deadline(entry: ProblemListEntry):
    """The resolution deadline this tier works to: shown while the tier still owns the issue (a whistled-up
    entry's issue runs on the upper tier's clock)."""
    return entry.issue.resolution_due if entry.tier == entry.issue.owner_tier else None


def entry_crossed_off_at(entry: ProblemListEntry):
    return entry.left_at if entry.state == EntryState.CROSSED_OFF else None


def entry_handler(entry: ProblemListEntry) -> str:
    issue = entry.issue
    if issue.handler_id:
        return str(issue.handler)
    if issue.handler_department_id:
        return issue.handler_department.name
    return ""


def problem_list_rows(entries: Iterable[ProblemListEntry]) -> Iterator[ProblemListEntry]:
    """The entries with what every view of a list shows worked out once: ``overdue``, ``deadline``,
    ``crossed_off_at`` and ``handler_name``."""
    for entry in entries:
        entry.overdue = entry_overdue(entry)
        entry.deadline = entry_deadline(entry)
        entry.crossed_off_at = entry_crossed_off_at(entry)
        entry.handler_name = entry_handler(entry)
        yield entry


# Exports -----------------------------------------------------------------------------------------

COLUMNS = (
    Column(gettext_lazy("tracking number"), lambda e: e.issue.number, 18),
    Column(gettext_lazy("title"), lambda e: e.issue.title, 32),
    Column(gettext_lazy("category"), lambda e: str(e.issue.category), 20),
    Column(gettext_lazy("grid"), lambda e: e.issue.grid.name, 20),
    Column(gettext_lazy("community"), lambda e: e.issue.community.name, 14),
    Column(gettext_lazy("street"), lambda e: e.issue.street.name, 12),
    Column(gettext_lazy("priority"), lambda e: e.issue.get_priority_display(), 8),
    Column(gettext_lazy("status"), lambda e: e.issue.get_status_display(), 10),
    Column(gettext_lazy("state on the list"), lambda e: e.get_state_display(), 14),
    Column(gettext_lazy("accepted at"), lambda e: e.accepted_at, 17, True),
    Column(gettext_lazy("resolution deadline"), entry_deadline, 17, True),
    Column(gettext_lazy("Overdue"), lambda e: _("Yes") if entry_overdue(e) else _("No"), 6),
    Column(gettext_lazy("closed at"), entry_crossed_off_at, 17, True),
    Column(gettext_lazy("handler"), entry_handler, 16),
)


def problem_list_csv_chunks(entries: Iterable[ProblemListEntry]) -> Iterator[str]:
    """The CSV, a line at a time (for a streaming response), with the byte order mark Excel needs."""
    return exports.csv_chunks(COLUMNS, entries)


def problem_list_csv(entries: Iterable[ProblemListEntry], file) -> None:
    """Write the list as CSV to a text file (``file.write(str)``), row by row."""
    for chunk in problem_list_csv_chunks(entries):
        file.write(chunk)


def problem_list_xlsx(entries: Iterable[ProblemListEntry], file, *, title: str = "") -> None:
    """Write the list as an .xlsx workbook to a binary file (see ``jianhua.exports.write_xlsx``)."""
    exports.write_xlsx(COLUMNS, entries, file, title=title or _("Problem list"))


def export_filename(unit: ListUnit, extension: str, *, today: date | None = None) -> str:
    """问题清单-东市场社区-20261127.xlsx (the first words follow the active language)."""
    today = today or timezone.localdate()
    return f"{_('Problem list')}-{unit.name}-{today:%Y%m%d}.{extension}"


def ascii_filename(unit: ListUnit, extension: str, *, today: date | None = None) -> str:
    """The fallback name for clients that cannot read a UTF-8 file name: problem-list-<code>-<day>."""
    today = today or timezone.localdate()
    return f"problem-list-{unit.tier}-{unit.code}-{today:%Y%m%d}.{extension}"
