"""The dashboard's pages: /dashboard/ (a shell the browser fills from /api/v1/stats/…) and the monthly
evaluation report /dashboard/evaluation/ (printable, or ``&format=xlsx``).

The dashboard page computes no figures: it checks who asks and where they drilled to (an area outside
their scope is a 404), works out the period's days, and hands the page its state and the API's URLs;
``static/stats/dashboard.js`` asks the API, so every number on the page is also in the API. A fixed
number of queries whatever the data (``tests/stats/test_dashboard.py`` counts them).

The evaluation report is rendered here from ``stats.exports.evaluation_report`` – the same
``kpis.ranking`` that /api/v1/stats/ranking/ answers.
"""
import datetime
import functools
from urllib.parse import urlencode
from dataclasses import asdict, dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import Community, Department, District, Grid, Street
from grids.views import base_map_config
from issues.lifecycle import OPEN_STATUSES
from jianhua.pages import refused

from . import exports, kpis

PERIODS = (
    ("this_month", gettext_lazy("This month")),
    ("last_month", gettext_lazy("Last month")),
    ("last_30", gettext_lazy("Last 30 days")),
    ("this_year", gettext_lazy("This year")),
    ("custom", gettext_lazy("Custom")),
)
DEFAULT_PERIOD = "this_year"
MAX_DAYS = 3660  # as the API allows
MEASURES = (
    ("per_thousand", gettext_lazy("Issues per 1,000 residents")),
    ("overdue", gettext_lazy("Overdue now")),
    ("satisfaction", gettext_lazy("Satisfaction rate")),
    ("received", gettext_lazy("Received")),
    ("open", gettext_lazy("Open now")),
    ("response_rate", gettext_lazy("Response rate")),
    ("resolution_rate", gettext_lazy("Resolution rate")),
    ("on_time_resolution_rate", gettext_lazy("On-time resolution rate")),
    ("households_visited", gettext_lazy("Households visited")),
    ("visit_coverage", gettext_lazy("Share of households visited")),
)
BREAKDOWNS = (
    ("top_category", gettext_lazy("By category")),
    ("channel", gettext_lazy("By channel")),
    ("street", gettext_lazy("By street")),
    ("community", gettext_lazy("By community")),
    ("department", gettext_lazy("By department")),
)
INTERVALS = (("day", gettext_lazy("By day")), ("week", gettext_lazy("By week")), ("month", gettext_lazy("By month")))
RANKING_LEVELS = (("street", gettext_lazy("Streets")), ("community", gettext_lazy("Communities")),
                  ("department", gettext_lazy("Departments")))
SCOPES = ("district", "department", "street", "community", "grid")
# Who sees which breakdown (a breakdown into one bar says nothing) and which ranking (kpis.ranking's rows).
BREAKDOWN_SCOPES = {"street": ("district", "department"), "community": ("district", "department", "street"),
                    "department": ("district",)}
RANKED_SCOPES = {"street": ("district", "street"), "community": ("district", "street", "community"),
                 "department": ("district", "department")}
# The KPI cards: (figure, label, kind); dashboard.js formats each kind.
KPI_CARDS = (
    ("received", gettext_lazy("Received"), "count"),
    ("accepted", gettext_lazy("Accepted"), "count"),
    ("resolved", gettext_lazy("Resolved"), "count"),
    ("closed", gettext_lazy("Closed"), "count"),
    ("response_rate", gettext_lazy("Response rate"), "rate"),
    ("resolution_rate", gettext_lazy("Resolution rate"), "rate"),
    ("on_time_resolution_rate", gettext_lazy("On-time resolution rate"), "rate"),
    ("satisfaction_rate", gettext_lazy("Satisfaction rate"), "rate"),
    ("reopen_rate", gettext_lazy("Reopen rate"), "rate"),
    ("median_response_minutes", gettext_lazy("Median response time"), "minutes"),
    ("median_resolution_hours", gettext_lazy("Median resolution time"), "hours"),
)
# The longest trend the API draws per interval (stats.api.views.TREND_MAX_POINTS), in days.
TREND_MAX_DAYS = {"day": 92, "week": 7 * 105}
AREA_CODE = r"^[0-9]{1,24}$"


# Who may look -------------------------------------------------------------------------------------

def figures_required(view):
    """Signed in (else the login page), and someone with figures to see (else 403): staff in their area."""

    @functools.wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        scope = kpis.Scope.for_user(request.user)
        if scope is None:
            return refused(request, _("The dashboard is for grid, community, street, department and district "
                                       "staff."))
        return view(request, scope, *args, **kwargs)

    return wrapped


# The period ---------------------------------------------------------------------------------------

def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def last_month(today: datetime.date) -> datetime.date:
    """The first day of the month before ``today``'s."""
    return _month_start(_month_start(today) - datetime.timedelta(days=1))


def period_for(choice: str, *, today: datetime.date, start=None, end=None) -> kpis.Period:
    """The local days a period choice covers (custom: start … end, checked by the form)."""
    if choice == "this_month":
        return kpis.Period(_month_start(today), today)
    if choice == "last_month":
        first = last_month(today)
        return kpis.Period(first, _month_start(today) - datetime.timedelta(days=1))
    if choice == "last_30":
        return kpis.Period(today - datetime.timedelta(days=29), today)
    if choice == "custom" and start and end:
        return kpis.Period(start, end)
    return kpis.Period(today.replace(month=1, day=1), today)


def trend_interval(period: kpis.Period) -> str:
    """The finest interval the API draws for the period: days up to ~3 months, then weeks, then months."""
    for interval in ("day", "week"):
        if period.days <= TREND_MAX_DAYS[interval]:
            return interval
    return "month"


class DashboardForm(forms.Form):
    """The dashboard's state, read from the query string (a shared link restores it). An invalid value
    falls back to its default and the page says so; drilling outside one's area is a 404 instead."""

    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PERIODS, required=False)
    start = forms.DateField(label=gettext_lazy("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    street = forms.RegexField(AREA_CODE, required=False, widget=forms.HiddenInput)
    community = forms.RegexField(AREA_CODE, required=False, widget=forms.HiddenInput)
    grid = forms.RegexField(AREA_CODE, required=False, widget=forms.HiddenInput)
    measure = forms.ChoiceField(choices=MEASURES, required=False, widget=forms.HiddenInput)
    interval = forms.ChoiceField(choices=INTERVALS, required=False, widget=forms.HiddenInput)
    by = forms.ChoiceField(choices=BREAKDOWNS, required=False, widget=forms.HiddenInput)
    ranking = forms.ChoiceField(choices=RANKING_LEVELS, required=False, widget=forms.HiddenInput)
    month = forms.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(_("A custom period needs its first and last day."))
            if start > end:
                raise forms.ValidationError(_("The period must not end before it starts."))
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError(_("The period may span at most %(days)s days.") % {"days": MAX_DAYS})
        return data

    def value(self, name, default=""):
        self.is_valid()
        value = getattr(self, "cleaned_data", {}).get(name)
        if name in ("start", "end", "period") and self.non_field_errors():
            return default
        return value if value not in (None, "") else default


# Where the user stands: their area, and the area they drilled down to ------------------------------

@dataclass(frozen=True)
class Place:
    level: str  # district, department, street, community, grid
    code: str
    name: str
    street: str = ""  # codes of the parents, where there are
    community: str = ""

    @property
    def street_code(self) -> str:
        """The street this place is in (or is)."""
        return self.code if self.level == "street" else self.street

    @property
    def community_code(self) -> str:
        return self.code if self.level == "community" else self.community


def _root_place(scope: kpis.Scope) -> Place:
    """The user's own area (one query)."""
    if scope.level == "district":
        district = District.objects.only("code", "name").first()
        return Place("district", "", district.name if district else _("The district"))
    if scope.level == "department":
        department = Department.objects.only("code", "name").get(pk=scope.id)
        return Place("department", department.code, department.name)
    return _place_of(scope.level, {"pk": scope.id})


def _place_of(level: str, lookup: dict) -> Place | None:
    if level == "street":
        street = Street.objects.only("code", "name").filter(**lookup).first()
        return street and Place("street", street.code, street.name)
    if level == "community":
        community = Community.objects.select_related("street").only("code", "name", "street__code").filter(
            **lookup).first()
        return community and Place("community", community.code, community.name, community.street.code)
    grid = Grid.objects.select_related("community__street").only(
        "code", "name", "community__code", "community__street__code").filter(**lookup).first()
    return grid and Place("grid", grid.code, grid.name, grid.community.street.code, grid.community.code)


def drilled_place(root: Place, *, street="", community="", grid="") -> Place:
    """The area the URL drilled down to (the deepest of grid, community, street given), checked to lie in
    the user's area and to agree with the parents given; the root when nothing was. Http404 otherwise
    (one query)."""
    level, code = next(((lvl, c) for lvl, c in (("grid", grid), ("community", community), ("street", street))
                        if c), (None, ""))
    if level is None:
        return root
    if (level, code) == (root.level, root.code):
        return root
    place = _place_of(level, {"code": code})
    if place is None:
        raise Http404(_("No such area: %(code)s.") % {"code": code})
    inside = {"district": True, "department": True, "street": place.street_code == root.code,
              "community": place.community_code == root.code, "grid": False}[root.level]
    agrees = (not street or street == place.street_code) and (not community or community == place.community_code)
    if not inside or not agrees:
        raise Http404(_("This area is not in your scope: %(code)s.") % {"code": code})
    return place


def areas_tree(scope: kpis.Scope, root: Place) -> list[dict]:
    """The communities the user may drill into, with their streets (one query): the map finds a grid's
    community by the names the grid layer carries."""
    communities = Community.objects.order_by("street__code", "code")
    if scope.level == "street":
        communities = communities.filter(street_id=scope.id)
    elif scope.level in ("community", "grid"):
        communities = communities.filter(code=root.community_code)
    return [{"code": code, "name": name, "street": street, "streetName": street_name}
            for code, name, street, street_name in communities.values_list("code", "name", "street__code",
                                                                            "street__name")]


def _crumbs(root: Place, place: Place, tree: list[dict]) -> list[dict]:
    """The path from the user's area down to ``place``, for the breadcrumbs."""
    streets = {c["street"]: c["streetName"] for c in tree}
    communities = {c["code"]: c["name"] for c in tree}
    order = ["district", "department", "street", "community", "grid"]
    path = [{"level": root.level, "code": root.code, "name": root.name}]
    below = (("street", place.street_code, streets), ("community", place.community_code, communities),
             ("grid", place.code if place.level == "grid" else "", {place.code: place.name}))
    for level, code, names in below:
        if code and order.index(level) > order.index(root.level):
            path.append({"level": level, "code": code, "name": names.get(code, code)})
    return path


# The dashboard ------------------------------------------------------------------------------------

@figures_required
def dashboard(request, scope):
    """The dashboard shell: headline, KPI cards, current counts, trend, breakdown, the drill-down map
    and the monthly ranking, filled by dashboard.js from /api/v1/stats/… – all but the map and the ranking
    of the place drilled to (the API's ``area``). At most 5 queries."""
    form = DashboardForm(request.GET)
    today = timezone.localdate()
    choice = form.value("period", DEFAULT_PERIOD)
    period = period_for(choice, today=today, start=form.value("start", None), end=form.value("end", None))
    root = _root_place(scope)
    place = drilled_place(root, street=form.value("street"), community=form.value("community"),
                          grid=form.value("grid"))
    tree = areas_tree(scope, root)
    interval = form.value("interval", trend_interval(period))
    if interval in TREND_MAX_DAYS and period.days > TREND_MAX_DAYS[interval]:
        interval = trend_interval(period)
    ranking_levels = [(v, label) for v, label in RANKING_LEVELS if scope.level in RANKED_SCOPES[v]]
    breakdowns = [(v, label) for v, label in BREAKDOWNS if scope.level in BREAKDOWN_SCOPES.get(v, SCOPES)]
    default_by = "top_category"
    state = {
        "period": choice, "start": period.start.isoformat(), "end": period.end.isoformat(),
        "street": place.street_code,
        "community": place.community_code,
        "grid": place.code if place.level == "grid" else "",
        "measure": form.value("measure", "per_thousand"),
        "interval": interval,
        "by": form.value("by", default_by) if form.value("by", default_by) in dict(breakdowns) else default_by,
        "ranking": form.value("ranking", ranking_levels[0][0] if ranking_levels else "street"),
        "month": form.value("month", f"{last_month(today):%Y-%m}"),
    }
    if state["ranking"] not in dict(ranking_levels) and ranking_levels:
        state["ranking"] = ranking_levels[0][0]
    config = {
        **base_map_config(),
        "state": state,
        "scope": {"level": scope.level, "id": scope.id},
        "root": asdict(root),
        "place": asdict(place),
        "crumbs": _crumbs(root, place, tree),
        "areas": tree,
        "urls": {
            "summary": reverse("stats-summary"), "trend": reverse("stats-trend"),
            "breakdown": reverse("stats-breakdown"), "map": reverse("stats-map"), "ranking": reverse("stats-ranking"),
            "evaluation": reverse("stats:evaluation"),
        },
        "maxDays": TREND_MAX_DAYS,
        "labels": {
            "measures": {k: str(v) for k, v in MEASURES},
            "levels": {"district": _("District"), "department": _("Department"), "street": _("Street"),
                       "community": _("Community"), "grid": _("Grid")},
            "messages": _messages(),
        },
    }
    # Whose figures the headline, cards, trend and breakdown show (dashboard.js's figuresName): the place
    # drilled to; a department's are always the department's.
    figures_name = root.name if scope.level == "department" else place.name
    return render(request, "stats/dashboard.html", {
        "form": form, "config": config, "root": root, "place": place, "figures_name": figures_name,
        "period": period, "choice": choice,
        "periods": PERIODS, "measures": MEASURES, "breakdowns": breakdowns, "intervals": INTERVALS,
        "ranking_levels": ranking_levels, "state": state, "kpi_cards": KPI_CARDS,
        "open_query": urlencode([("status", status) for status in sorted(OPEN_STATUSES)]),
    })


def _messages() -> dict:
    """The words dashboard.js writes (in the active language)."""
    return {
        "loading": _("Loading…"),
        "failed": _("The figures could not be loaded. Please try again."),
        "none": "—",
        "exact": _("Exactly: accepted %(accepted)s, solved %(solved)s; satisfaction %(satisfaction)s of "
                   "%(rated)s rated (%(unrated)s closed issues still unrated)."),
        "received": _("Received"), "accepted": _("Accepted"), "solved": _("Solved"), "resolved": _("Resolved"),
        "closed": _("Closed"), "rated": _("Rated"), "unrated": _("Unrated"),
        "satisfaction": _("Satisfaction rate"), "responseRate": _("Response rate"),
        "resolutionRate": _("Resolution rate"), "onTimeRate": _("On-time resolution rate"),
        "reopenRate": _("Reopen rate"), "score": _("Score"), "rank": _("Rank"), "name": _("Name"),
        "period": _("Period"), "population": _("Population"), "households": _("Households"),
        "open": _("Open now"), "overdue": _("Overdue now"),
        "minutes": _("%(n)s min"), "hours": _("%(n)s h"),
        "drillHint": _("Click an area on the map, or a name in the table, to look inside it."),
        "placeFigures": _("Figures of %(name)s"),
        "legendNoData": _("no figures"),
        "weights": _("Weights: %(weights)s"),
        "rankingEmpty": _("No units to rank."),
    }


# The monthly evaluation report (每月一评) -----------------------------------------------------------

class EvaluationForm(forms.Form):
    month = forms.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", required=False)
    level = forms.ChoiceField(choices=RANKING_LEVELS, required=False)
    format = forms.ChoiceField(choices=[("html", "html"), ("xlsx", "xlsx")], required=False)


@figures_required
def evaluation(request, scope):
    """The monthly evaluation of streets, communities or departments: a printable A4 page, or
    ``format=xlsx``. The same rows and scores as /api/v1/stats/ranking/."""
    form = EvaluationForm(request.GET)
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        return refused(request, f"{name}: {errors[0]}", status=400)
    data = form.cleaned_data
    today = timezone.localdate()
    month = last_month(today)
    if data["month"]:
        month = datetime.date(int(data["month"][:4]), int(data["month"][5:7]), 1)
    report = exports.evaluation_report(month=month, level=data["level"] or "street", scope=scope)
    if data["format"] == "xlsx":
        return exports.evaluation_download(report)
    return render(request, "stats/evaluation.html", {
        "report": report, "printed": timezone.localtime(), "levels": RANKING_LEVELS,
        "previous": f"{last_month(month):%Y-%m}",
        "next": f"{(month + datetime.timedelta(days=32)).replace(day=1):%Y-%m}",
    })
