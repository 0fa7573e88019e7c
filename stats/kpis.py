"""The dashboard figures (KPIs): every definition once, here. README, "Dashboard figures (KPIs)", says the
same in words.

**Counts are flows, attributed to the local day (Asia/Shanghai) of the event that makes them**, under the
owning tier, department and place the issue had at that moment (``stats.aggregates`` keeps them):

- ``received``: issues filed (submit), on the filing day, under the tier routing gave it.
- ``accepted``: acceptances onto a problem list, on the acceptance day. Per tier (``tier=community|street|
  district``) every tier's acceptance counts – an issue whistled up from the community to the street
  counts once for each; over all tiers (``tier=all``) an issue counts once, on its first acceptance.
- ``dispatched``: response clocks started – dispatches, returns to the handler, reopenings.
- ``responded`` / ``responded_on_time``: reports for duty, and those made by the response deadline.
- ``resolved``: results reported by the handler (办结).
- ``closed``: crossings-off (销号). ``solved``: closes that stood – not followed by 不满意 and reopening
  (a reopening takes its close out of ``solved`` on the close's day). ``closed_on_time``: closes made by
  the resolution deadline of the tier that closed (no deadline counts as on time).
- ``rated``, ``satisfied``, ``basically_satisfied``, ``dissatisfied``: ratings, on the rating day.
  ``unrated``: closes still waiting for a rating (shown apart; never counted as satisfied).
- ``reopened``: reopenings after 不满意. ``escalated``: whistles upward (吹哨, by hand or by the timers),
  under the tier that whistled. ``overdue_marks``: deadlines the timers found passed.

**Rates divide two counts of the same period and scope**; a rate with nothing to divide by is ``None``
(shown as "—", never 0 % or 100 %):

- response rate = responded_on_time / dispatched
- resolution rate = solved / accepted
- on-time resolution rate = closed_on_time / closed
- satisfaction rate = (satisfied + basically_satisfied) / rated
- reopen rate = reopened / closed

**Times**: response time = report for duty − the start of its clock (the latest dispatch, return or
reopening); resolution time = close − filing. Medians come from histograms (``stats.models``
``RESPONSE_BUCKET_MINUTES``, ``RESOLUTION_BUCKET_HOURS``), interpolated linearly inside the median's
bucket: exact to that bucket's width; a median in the last, open bucket is its lower edge. Means are exact.

**Current counts** (``current_counts``) are read live from the issues: open now, overdue now (the
``issues.selectors.overdue_q`` definition), on the supervision list now, accountability candidates
awaiting the inspector.

**Scope** is the asking user's area (``Scope.for_user``): district roles everything, street / community
staff their street / community, grid officers their grid, department staff the facts under their
department (what was dispatched to it and happened while it held it).
A scope narrows to a street, community or grid inside it (``Scope.narrowed_to``): the dashboard's
drill-down, answered from the same fact tables as the user's own area of that level.
"""
import datetime
import math
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from field import selectors as field_selectors
from grids.models import Community, Department, Grid, Street
from issues import rules
from issues.lifecycle import OPEN_STATUSES
from issues.models import Category, Channel, Issue, Tier
from issues.selectors import overdue_q

from .models import (
    MEASURES,
    RESOLUTION_BUCKET_HOURS,
    RESOLUTION_BUCKETS,
    RESPONSE_BUCKET_MINUTES,
    RESPONSE_BUCKETS,
    CategoryDayFact,
    CategoryMonthFact,
    CommunityDayFact,
    DailyFact,
    GridDayFact,
    MonthlyFact,
)

TIERS = ("all", Tier.COMMUNITY.value, Tier.STREET.value, Tier.DISTRICT.value)
AREA_DIMENSIONS = ("street", "community", "grid", "department")
DIMENSIONS = AREA_DIMENSIONS + ("top_category", "category", "channel")
INTERVALS = ("day", "week", "month")
MAP_LEVELS = ("street", "community", "grid")
MAP_MEASURES = ("per_thousand", "received", "open", "overdue", "satisfaction", "response_rate", "resolution_rate",
                "on_time_resolution_rate", "households_visited", "visit_coverage")
# Measures of the grid officers' visits door to door (field app), not of issues.
VISIT_MEASURES = ("households_visited", "visit_coverage")
RANKING_LEVELS = ("street", "community", "department")
RATES = ("response_rate", "resolution_rate", "on_time_resolution_rate", "satisfaction_rate")


@dataclass(frozen=True)
class Period:
    """Local days ``start`` … ``end``, both included."""

    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Scope:
    """The area (or department) whose figures a user may see; ``id`` is None for the whole district."""

    level: str  # district, street, community, grid, department
    id: int | None = None

    @classmethod
    def for_user(cls, user) -> "Scope | None":
        """The user's scope, from their role and the area they serve; None for who may see no figures."""
        if not rules.is_staff_member(user):
            return None
        if user.role in rules.DISTRICT_WIDE:
            return cls("district")
        level = user.level  # street, community, grid or department (the district roles are above)
        area_id = getattr(user, f"{level}_id", None) if level else None
        return cls(level, area_id) if area_id else None

    def facts_q(self) -> Q:
        return Q() if self.level == "district" else Q(**{self.level: self.id})

    def issues_q(self, prefix: str = "") -> Q:
        if self.level == "district":
            return Q()
        field = "handler_department_id" if self.level == "department" else f"{self.level}_id"
        return Q(**{prefix + field: self.id})

    def narrowed_to(self, level: str, code: str) -> "Scope":
        """The scope of the street, community or grid with ``code``, if it lies inside this scope (one query):
        the district holds every area, a street its communities and grids, a community its grids, a grid only
        itself. AreaNotFound for an unknown code or an area outside the scope; AreaNotApplicable for a
        department's scope, whose figures are not an area's."""
        if self.level == "department":
            raise AreaNotApplicable(_("A department's figures cannot be narrowed to an area."))
        model, fields = AREA_PATHS[level]
        row = model.objects.filter(code=code).values_list(*fields.values()).first()
        if row is None:
            raise AreaNotFound(_("No such area: %(code)s.") % {"code": code})
        ids = dict(zip(fields, row))  # the area's id and those of the areas above it, by level
        if self.level != "district" and ids.get(self.level) != self.id:
            raise AreaNotFound(_("This area is not in your scope: %(code)s.") % {"code": code})
        return Scope(level, ids[level])


class AreaNotFound(LookupError):
    """No area of that code, or not one inside the asking scope (the message says which)."""


class AreaNotApplicable(ValueError):
    """The scope cannot be narrowed to an area (a department's)."""


# Per area level: its model, and where the ids of the area and of the areas above it are, by level.
AREA_PATHS = {
    "street": (Street, {"street": "pk"}),
    "community": (Community, {"community": "pk", "street": "street_id"}),
    "grid": (Grid, {"grid": "pk", "community": "community_id", "street": "community__street_id"}),
}


# From sums of counters to figures -----------------------------------------------------------------

def ratio(numerator: int, denominator: int) -> float | None:
    return None if not denominator else numerator / denominator


def histogram_median(counts: list[int], edges: tuple, unit: float) -> float | None:
    """The median of a histogram whose buckets end at ``edges`` (× unit; the last bucket is open),
    interpolated linearly within its bucket; None for an empty histogram."""
    total = sum(counts)
    if not total:
        return None
    half, seen = total / 2, 0
    for index, count in enumerate(counts):
        if count and seen + count >= half:
            lower = edges[index - 1] if index else 0
            if index == len(edges):
                return float(lower * unit)
            return (lower + (edges[index] - lower) * (half - seen) / count) * unit
        seen += count
    return None  # not reached


def figures(sums: dict, *, tier: str = "all") -> dict:
    """The KPIs of summed counters (one period, one scope, one tier or all of them)."""
    s = defaultdict(int, {k: v or 0 for k, v in sums.items()})
    accepted = s["accepted_first"] if tier == "all" else s["accepted"]
    response_minutes = histogram_median([s[b] for b in RESPONSE_BUCKETS], RESPONSE_BUCKET_MINUTES, 1)
    resolution_hours = histogram_median([s[b] for b in RESOLUTION_BUCKETS], RESOLUTION_BUCKET_HOURS, 1)
    return {
        "received": s["received"],
        "accepted": accepted,
        "dispatched": s["dispatched"],
        "responded": s["responded"],
        "responded_on_time": s["responded_on_time"],
        "resolved": s["resolved"],
        "closed": s["closed"],
        "solved": s["closed_solved"],
        "closed_on_time": s["closed_on_time"],
        "rated": s["rated"],
        "satisfied": s["satisfied"],
        "basically_satisfied": s["basically_satisfied"],
        "dissatisfied": s["dissatisfied"],
        "unrated": s["unrated"],
        "reopened": s["reopened"],
        "escalated": s["escalated"],
        "overdue_marks": s["overdue_marks"],
        "response_rate": ratio(s["responded_on_time"], s["dispatched"]),
        "resolution_rate": ratio(s["closed_solved"], accepted),
        "on_time_resolution_rate": ratio(s["closed_on_time"], s["closed"]),
        "satisfaction_rate": ratio(s["satisfied"] + s["basically_satisfied"], s["rated"]),
        "reopen_rate": ratio(s["reopened"], s["closed"]),
        "median_response_minutes": response_minutes,
        "median_resolution_hours": resolution_hours,
        "mean_response_minutes": None if not s["responded"] else s["response_seconds"] / s["responded"] / 60,
        "mean_resolution_hours": None if not s["closed"] else s["resolution_seconds"] / s["closed"] / 3600,
    }


# Reading the facts --------------------------------------------------------------------------------

SUMS = {m: Sum(m) for m in MEASURES}


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _split(period: Period):
    """The period as whole months (read from MonthlyFact) and the days around them (from DailyFact)."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
    last = _month_start(period.end + datetime.timedelta(days=1))  # the month after the last whole one
    if first >= last:
        return None, Q(day__range=(period.start, period.end))
    days = Q(day__gte=period.start, day__lt=first) | Q(day__gte=last, day__lte=period.end)
    return (first, last), days


CATEGORY_DIMENSIONS = ("top_category", "category", "channel")


def fact_tables(scope: Scope, by: str | None = None):
    """(the daily table, the monthly table or None) that hold what ``by`` and the scope need with the
    fewest rows: the roll-ups for the district, a street or a department; the full daily facts only where
    they are few (a community's or a grid's breakdown by category or channel)."""
    if by in CATEGORY_DIMENSIONS:
        if scope.level in ("district", "street", "department"):
            return CategoryDayFact, CategoryMonthFact
        return DailyFact, None
    if by == "grid" or scope.level == "grid":
        return GridDayFact, MonthlyFact
    return CommunityDayFact, MonthlyFact


def fact_sums(period: Period, scope: Scope, *, tier: str = "all", by: str | None = None) -> dict:
    """Summed counters per value of ``by`` (one of DIMENSIONS, or None for one total under the key None).

    Two queries, whatever the data: whole months from a monthly table and the days around them from a
    daily one (``fact_tables``), each growing with days and areas, not with the number of issues."""
    where = scope.facts_q()
    if tier != "all":
        where &= Q(tier=tier)
    daily_table, monthly_table = fact_tables(scope, by)
    months, days = _split(period)
    if monthly_table is None:
        months, days = None, Q(day__range=(period.start, period.end))
    tables = [daily_table.objects.filter(where, days)]
    if months:  # (without a monthly table, MonthlyFact may lack ``by``: a category or the channel)
        tables.append(monthly_table.objects.filter(where, month__gte=months[0], month__lt=months[1]))
    if by:
        parts = [qs.values(by).annotate(**SUMS).order_by() for qs in tables]
    else:  # one total row each
        parts = [[qs.aggregate(**SUMS)] for qs in tables]
    totals = defaultdict(lambda: defaultdict(int))
    for row in [row for part in parts for row in part]:
        key = row.get(by) if by else None
        for measure in MEASURES:
            totals[key][measure] += row[measure] or 0
    return totals


def period_figures(period: Period, scope: Scope, *, tier: str = "all") -> dict:
    return figures(fact_sums(period, scope, tier=tier)[None], tier=tier)


def current_counts(scope: Scope, *, tier: str = "all", now=None) -> dict:
    """Live counts (three queries): open and overdue issues, open supervision items, accountability
    candidates – in the scope, now."""
    from dispatch.models import AccountabilityRecord, RecordState, SupervisionItem, SupervisionState

    now = now or timezone.now()
    issues = Issue.objects.filter(scope.issues_q(), status__in=OPEN_STATUSES)
    if tier != "all":
        issues = issues.filter(owner_tier=tier)
    counts = issues.aggregate(open=Count("pk"), overdue=Count("pk", filter=overdue_q(now)))
    counts["supervised"] = SupervisionItem.objects.filter(scope.issues_q("issue__"),
                                                          state=SupervisionState.OPEN).count()
    records = AccountabilityRecord.objects.filter(state=RecordState.CANDIDATE)
    if scope.level == "department":
        records = records.filter(department_id=scope.id)
    elif scope.level == "street":
        records = records.filter(issue_street_id=scope.id)  # the issue's street, copied onto the record
    else:
        records = records.filter(scope.issues_q("issue__"))
    counts["accountability_candidates"] = records.count()
    return counts


def about(n: int) -> str:
    """A count in the seed's style: exact below 100, else rounded down with a plus (1,900+, 12,000+)."""
    if n < 100:
        return f"{n:,}"
    step = 100 if n < 10_000 else 1000
    rounded = n - n % step
    return f"{rounded:,}" if rounded == n else f"{rounded:,}+"


def headline(numbers: dict) -> str:
    """受理 1,900+ 件，已解决 1,700+ 件，满意率 99%: accepted, solved, and the satisfaction rate rounded down
    to a whole per cent ("—" when nothing was rated)."""
    rate = numbers["satisfaction_rate"]
    satisfaction = "—" if rate is None else f"{math.floor(rate * 100 + 1e-9)}%"
    return _("Accepted %(accepted)s, solved %(solved)s, satisfaction %(satisfaction)s") % {
        "accepted": about(numbers["accepted"]), "solved": about(numbers["solved"]), "satisfaction": satisfaction}


# Trends -------------------------------------------------------------------------------------------

def trend(period: Period, scope: Scope, *, interval: str, tier: str = "all") -> list[dict]:
    """The figures per day, ISO week (Monday to Sunday) or month of the period, every bucket listed
    (zeros included). Weeks and months are whole: the period is widened to their edges."""
    where = scope.facts_q() & (Q(tier=tier) if tier != "all" else Q())
    buckets = defaultdict(lambda: defaultdict(int))
    if interval == "month":
        start, end = _month_start(period.start), _next_month(period.end) - datetime.timedelta(days=1)
        rows = MonthlyFact.objects.filter(where, month__range=(start, end)).values("month").annotate(**SUMS)
        keys = []
        month = start
        while month <= end:
            keys.append(month)
            month = _next_month(month)
        for row in rows.order_by():
            for m in MEASURES:
                buckets[row["month"]][m] += row[m] or 0
    else:
        start, end = period.start, period.end
        if interval == "week":
            start = start - datetime.timedelta(days=start.weekday())
            end = end + datetime.timedelta(days=6 - end.weekday())
        daily_table, _monthly = fact_tables(scope)
        rows = daily_table.objects.filter(where, day__range=(start, end)).values("day").annotate(**SUMS).order_by()
        step = 7 if interval == "week" else 1
        keys = [start + datetime.timedelta(days=i) for i in range(0, (end - start).days + 1, step)]
        for row in rows:
            key = row["day"] - datetime.timedelta(days=row["day"].weekday()) if interval == "week" else row["day"]
            for m in MEASURES:
                buckets[key][m] += row[m] or 0
    return [{"start": key, **figures(buckets[key], tier=tier)} for key in keys]


# Breakdowns ---------------------------------------------------------------------------------------

def _labels(by: str, scope: Scope) -> list[tuple]:
    """(id or key, code, name, street id or None) of every unit of a dimension within the scope, in code order (one query;
    none for channels)."""
    if by == "channel":
        return [(value, value, str(label), None) for value, label in Channel.choices]
    if by in ("top_category", "category"):
        categories = Category.objects.filter(parent__isnull=by == "top_category").order_by("code")
        return [(*row, None) for row in categories.values_list("id", "code", "name")]
    if by == "department":
        departments = Department.objects.order_by("code")
        if scope.level == "department":
            departments = departments.filter(pk=scope.id)
        elif scope.level != "district":
            departments = departments.none()
        return [(*row, None) for row in departments.values_list("id", "code", "name")]
    model = {"street": Street, "community": Community, "grid": Grid}[by]
    areas = model.objects.order_by("code")
    if scope.level in ("street", "community", "grid"):
        path = {("street", "street"): "pk", ("community", "street"): "street_id",
                ("grid", "street"): "community__street_id", ("community", "community"): "pk",
                ("grid", "community"): "community_id", ("grid", "grid"): "pk"}.get((by, scope.level))
        areas = areas.filter(**{path: scope.id}) if path else areas.none()
    # (a department's figures by place: every place)
    street = {"street": "pk", "community": "street_id", "grid": "community__street_id"}[by]
    return list(areas.values_list("id", "code", "name", street))


def breakdown(period: Period, scope: Scope, *, by: str, tier: str = "all") -> list[dict]:
    """The figures of the period per unit of ``by`` within the scope, every unit listed (code order)."""
    sums = fact_sums(period, scope, tier=tier, by=by)
    return [{"code": code, "name": name, **figures(sums.get(key, {}), tier=tier)}
            for key, code, name, _street in _labels(by, scope)]


# The map ------------------------------------------------------------------------------------------

def map_values(period: Period, scope: Scope, *, level: str, parent: str = "", measure: str,
               tier: str = "all") -> list[dict]:
    """One value per area of ``level`` (inside ``parent``, a street's or community's code, if given) for
    colouring the map: per_thousand (issues received per 1,000 residents: received × 1000 / the grids'
    population, None where no population is recorded), received, open and overdue (now), or a rate; or of the
    visits door to door: households_visited and visit_coverage (``_visit_values``)."""
    model = {"street": Street, "community": Community, "grid": Grid}[level]
    population = {"street": "communities__grids__population", "community": "grids__population",
                  "grid": "population"}[level]
    areas = model.objects.order_by("code")
    if parent:
        parent_field = {"community": "street__code", "grid": "community__code"}[level]
        areas = areas.filter(**{parent_field: parent})
    if scope.level in ("street", "community", "grid"):
        path = {("street", "street"): "pk", ("community", "street"): "street_id",
                ("grid", "street"): "community__street_id", ("community", "community"): "pk",
                ("grid", "community"): "community_id", ("grid", "grid"): "pk"}.get((level, scope.level))
        areas = areas.filter(**{path: scope.id}) if path else areas.none()
    if measure in VISIT_MEASURES:
        return _visit_values(period, scope, areas, level=level, measure=measure)
    rows = list(areas.annotate(people=Sum(population)).values_list("id", "code", "name", "people")
                if level != "grid" else areas.values_list("id", "code", "name", population))
    if measure in ("open", "overdue"):
        issues = Issue.objects.filter(scope.issues_q(), status__in=OPEN_STATUSES)
        if tier != "all":
            issues = issues.filter(owner_tier=tier)
        if measure == "overdue":
            issues = issues.filter(overdue_q())
        live = dict(issues.values(f"{level}_id").annotate(n=Count("pk")).order_by().values_list(f"{level}_id", "n"))
        return [{"code": code, "name": name, "value": live.get(pk, 0)} for pk, code, name, _people in rows]
    sums = fact_sums(period, scope, tier=tier, by=level)
    result = []
    for pk, code, name, people in rows:
        numbers = figures(sums.get(pk, {}), tier=tier)
        if measure == "per_thousand":
            value = numbers["received"] * 1000 / people if people else None
        elif measure == "satisfaction":
            value = numbers["satisfaction_rate"]
        else:
            value = numbers[measure]
        result.append({"code": code, "name": name, "value": value, "population": people or 0})
    return result


def _visit_values(period: Period, scope: Scope, areas, *, level: str, measure: str) -> list[dict]:
    """Households visited door to door in the period (distinct doors, ``field.selectors``) per area, and the
    share of the area's registered households that is (visit_coverage). Visits are no department's: a
    department's scope has no such figures (None). Two queries."""
    households_path = {"street": "communities__grids__households", "community": "grids__households",
                       "grid": "households"}[level]
    rows = list(areas.annotate(registered=Sum(households_path)).values_list("id", "code", "name", "registered")
                if level != "grid" else areas.values_list("id", "code", "name", "households"))
    visited = ({} if scope.level == "department" else
               field_selectors.households_visited(period.start, period.end, level=level,
                                                  area_ids=[pk for pk, *_rest in rows]))
    result = []
    for pk, code, name, registered in rows:
        doors, registered = visited.get(pk, 0), registered or 0
        if scope.level == "department":
            value = None
        elif measure == "households_visited":
            value = doors
        else:
            value = min(doors / registered, 1.0) if registered else None
        result.append({"code": code, "name": name, "value": value, "households": registered})
    return result


# The monthly evaluation (每月一评) -------------------------------------------------------------------

def evaluation_weights() -> dict:
    return dict(getattr(settings, "EVALUATION_WEIGHTS", {}))


def score(numbers: dict, weights: dict) -> float | None:
    """The weighted mean of the unit's rates on a 0–100 scale: Σ wᵢ·rateᵢ / Σ wᵢ over the rates it has
    (a rate with nothing to divide by leaves the mean, it does not count as 0); None without any."""
    present = [(w, numbers[name]) for name, w in weights.items() if w and numbers.get(name) is not None]
    total = sum(w for w, _rate in present)
    return None if not total else round(100 * sum(w * r for w, r in present) / total, 2)


def ranking(month: datetime.date, *, level: str, scope: Scope) -> list[dict]:
    """Every street, community or department's figures for the month (all tiers; a department's: what
    happened while it held issues) and its weighted score; ranked by score (none last), then by issues
    accepted (more first), then by code. Rows outside the user's scope are left out; ranks stay those
    of the whole district. Two queries."""
    weights = evaluation_weights()
    everyone = Scope("district")
    month = _month_start(month)
    sums = fact_sums(Period(month, _next_month(month) - datetime.timedelta(days=1)), everyone, by=level)
    rows = []
    for key, code, name, street in _labels(level, everyone):
        numbers = figures(sums.get(key, {}))
        rows.append({"id": key, "street_id": street, "code": code, "name": name, **numbers,
                     "score": score(numbers, weights)})
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), -r["accepted"], r["code"]))
    for position, row in enumerate(rows, start=1):
        row["rank"] = position
    return [r for r in rows if _ranked_in_scope(r, level, scope)]


def _ranked_in_scope(row, level: str, scope: Scope) -> bool:
    if scope.level == "district":
        return True
    if scope.level == "department":
        return level == "department" and row["id"] == scope.id
    if level == scope.level:
        return row["id"] == scope.id
    return level == "community" and scope.level == "street" and row["street_id"] == scope.id
