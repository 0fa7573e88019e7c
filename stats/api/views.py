"""The dashboard figures' API under /api/v1/stats/: thin views that validate the query, ask ``stats.kpis``
and answer JSON. Staff only, each in their scope (``kpis.Scope.for_user``); errors are
``{"detail": "…", "field": "…"}`` with 400 for a bad parameter, 403 for who may see no figures, 404
for a parent area or an ``area`` that is unknown or outside the user's scope. Every call is a fixed number of
queries.

summary, trend and breakdown take ``area=<level>:<code>`` (``street:230203002``, ``community:…``,
``grid:…``): the figures of that area instead of the user's whole one, if it lies inside it
(``kpis.Scope.narrowed_to``; one query more). Department staff cannot narrow (400)."""
import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import kpis

ERROR = inline_serializer("StatsError", {"detail": serializers.CharField(),
                                         "field": serializers.CharField(allow_null=True)})
ERRORS = {400: OpenApiResponse(ERROR, description="a bad parameter"),
          403: OpenApiResponse(ERROR, description="not staff: no figures")}
AREA_ERRORS = {**ERRORS, 404: OpenApiResponse(ERROR, description="no such area, or not in the user's scope")}
MAX_DAYS = 3660
# No figure exists before the system, and date arithmetic (a period's previous period) must stay in range.
MIN_YEAR, MAX_YEAR = 2000, 2100


class HasFigures(permissions.BasePermission):
    message = gettext_lazy("Dashboard figures are for staff.")

    def has_permission(self, request, view):
        return kpis.Scope.for_user(request.user) is not None


# Query parameters ---------------------------------------------------------------------------------

class PeriodQuery(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="first local day (YYYY-MM-DD)")
    end = serializers.DateField(required=False, help_text="last local day, included (default: today)")
    tier = serializers.ChoiceField(kpis.TIERS, default="all",
                                   help_text="all: each issue once; a tier: that tier's own figures")


class AreaQuery(PeriodQuery):
    area = serializers.RegexField(
        r"^(street|community|grid):[0-9]{1,24}$", required=False, default="",
        error_messages={"invalid": gettext_lazy("Name the area as street:<code>, community:<code> or grid:<code>.")},
        help_text="narrow the figures to a street, community or grid inside the user's scope, as <level>:<code> "
                  "(e.g. street:230203002); default: the user's whole scope")


class TrendQuery(AreaQuery):
    interval = serializers.ChoiceField(kpis.INTERVALS, default="day")


class BreakdownQuery(AreaQuery):
    by = serializers.ChoiceField(kpis.DIMENSIONS)


class MapQuery(PeriodQuery):
    level = serializers.ChoiceField(kpis.MAP_LEVELS, default="street")
    parent = serializers.CharField(required=False, default="",
                                   help_text="the street's code (level=community) or community's code (level=grid)")
    measure = serializers.ChoiceField(kpis.MAP_MEASURES, default="per_thousand")


class RankingQuery(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", required=False,
                                   help_text=f"YYYY-MM, years {MIN_YEAR}–{MAX_YEAR} (default: last month)")
    level = serializers.ChoiceField(kpis.RANKING_LEVELS, default="street")

    def validate_month(self, value):
        if not MIN_YEAR <= int(value[:4]) <= MAX_YEAR:
            raise serializers.ValidationError(
                _("Give a month of the years %(min)s to %(max)s.") % {"min": MIN_YEAR, "max": MAX_YEAR})
        return value


def _valid(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    if not query.is_valid():
        name, messages = next(iter(query.errors.items()))
        raise ValidationError({"detail": f"{name}: {messages[0]}", "field": name})
    return query.validated_data


def _period(params: dict, *, default_days: int | None = None) -> kpis.Period:
    today = timezone.localdate()
    end = params.get("end") or today
    if "start" in params:
        start = params["start"]
    elif default_days:
        start = end - datetime.timedelta(days=default_days - 1)
    else:
        start = end.replace(month=1, day=1)
    for name, day in (("start", start), ("end", end)):
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValidationError({"detail": _("Give a date of the years %(min)s to %(max)s.")
                                   % {"min": MIN_YEAR, "max": MAX_YEAR}, "field": name})
    if start > end:
        raise ValidationError({"detail": _("The period must not end before it starts."), "field": "end"})
    if (end - start).days >= MAX_DAYS:
        raise ValidationError({"detail": _("The period may span at most %(days)s days.") % {"days": MAX_DAYS},
                               "field": "start"})
    return kpis.Period(start, end)


def _period_out(period: kpis.Period) -> dict:
    return {"start": period.start, "end": period.end}


# Shapes -------------------------------------------------------------------------------------------

FIGURE_FIELDS = {
    **{name: serializers.IntegerField() for name in (
        "received", "accepted", "dispatched", "responded", "responded_on_time", "resolved", "closed", "solved",
        "closed_on_time", "rated", "satisfied", "basically_satisfied", "dissatisfied", "unrated", "reopened",
        "escalated", "overdue_marks")},
    **{name: serializers.FloatField(allow_null=True) for name in (
        "response_rate", "resolution_rate", "on_time_resolution_rate", "satisfaction_rate", "reopen_rate",
        "median_response_minutes", "median_resolution_hours", "mean_response_minutes", "mean_resolution_hours")},
}
Figures = inline_serializer("StatsFigures", FIGURE_FIELDS)
PeriodShape = inline_serializer("StatsPeriod", {"start": serializers.DateField(), "end": serializers.DateField()})
ScopeShape = inline_serializer("StatsScope", {"level": serializers.CharField(), "id": serializers.IntegerField(allow_null=True)})
SummaryShape = inline_serializer("StatsSummary", {
    "period": PeriodShape, "scope": ScopeShape, "area": serializers.CharField(), "tier": serializers.CharField(),
    "figures": Figures,
    "headline": serializers.CharField(),
    "current": inline_serializer("StatsCurrent", {name: serializers.IntegerField() for name in (
        "open", "overdue", "supervised", "accountability_candidates")}),
})
TrendShape = inline_serializer("StatsTrend", {
    "period": PeriodShape, "interval": serializers.CharField(), "area": serializers.CharField(),
    "tier": serializers.CharField(),
    "points": inline_serializer("StatsTrendPoint", {"start": serializers.DateField(), **FIGURE_FIELDS}, many=True),
})
BreakdownShape = inline_serializer("StatsBreakdown", {
    "period": PeriodShape, "by": serializers.CharField(), "area": serializers.CharField(),
    "tier": serializers.CharField(),
    "rows": inline_serializer("StatsBreakdownRow", {"code": serializers.CharField(), "name": serializers.CharField(),
                                                    **FIGURE_FIELDS}, many=True),
})
MapShape = inline_serializer("StatsMap", {
    "period": PeriodShape, "level": serializers.CharField(), "parent": serializers.CharField(),
    "measure": serializers.CharField(),
    "areas": inline_serializer("StatsMapArea", {"code": serializers.CharField(), "name": serializers.CharField(),
                                                "value": serializers.FloatField(allow_null=True),
                                                "households": serializers.IntegerField(
                                                    required=False, help_text="registered households (visit "
                                                    "measures: households_visited, visit_coverage)")},
                               many=True),
})
RankingShape = inline_serializer("StatsRanking", {
    "month": serializers.CharField(), "level": serializers.CharField(),
    "weights": serializers.DictField(child=serializers.FloatField()),
    "rows": inline_serializer("StatsRankingRow", {"rank": serializers.IntegerField(), "code": serializers.CharField(),
                                                  "name": serializers.CharField(),
                                                  "score": serializers.FloatField(allow_null=True), **FIGURE_FIELDS},
                              many=True),
})


class StatsView(APIView):
    permission_classes = [permissions.IsAuthenticated, HasFigures]

    def scope(self, params: dict | None = None) -> kpis.Scope:
        """The user's scope, narrowed to ``params["area"]`` if given: 400 for a department's, 404 for an area
        that is unknown or outside the scope."""
        scope = kpis.Scope.for_user(self.request.user)
        area = (params or {}).get("area")
        if not area:
            return scope
        level, code = area.split(":", 1)
        try:
            return scope.narrowed_to(level, code)
        except kpis.AreaNotApplicable as error:
            raise ValidationError({"detail": str(error), "field": "area"}) from error
        except kpis.AreaNotFound as error:
            raise NotFound({"detail": str(error), "field": "area"}) from error


@extend_schema(tags=["stats"], parameters=[AreaQuery], responses={200: SummaryShape, **AREA_ERRORS})
class SummaryView(StatsView):
    """Headline figures of a period (default: this year to today) and the counts of now, for the user's
    scope or the ``area`` (``street:<code>``, ``community:<code>``, ``grid:<code>``) inside it; ``scope``
    in the answer is the one the figures are of."""

    def get(self, request):
        params = _valid(AreaQuery, request)
        period, tier = _period(params), params["tier"]
        scope = self.scope(params)
        numbers = kpis.period_figures(period, scope, tier=tier)
        return Response({"period": _period_out(period), "scope": {"level": scope.level, "id": scope.id},
                         "area": params["area"], "tier": tier, "figures": numbers,
                         "headline": kpis.headline(numbers), "current": kpis.current_counts(scope, tier=tier)})


TREND_DEFAULT_DAYS = {"day": 30, "week": 7 * 12, "month": 365}
TREND_MAX_POINTS = {"day": 92, "week": 106, "month": 120}


@extend_schema(tags=["stats"], parameters=[TrendQuery], responses={200: TrendShape, **AREA_ERRORS})
class TrendView(StatsView):
    """The figures per day, ISO week or month (default: the last 30 days, 12 weeks or 12 months), for the
    user's scope or the ``area`` (``street:<code>``, ``community:<code>``, ``grid:<code>``) inside it."""

    def get(self, request):
        params = _valid(TrendQuery, request)
        interval = params["interval"]
        period = _period(params, default_days=TREND_DEFAULT_DAYS[interval])
        points = {"day": period.days, "week": period.days / 7 + 1,
                  "month": (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1}
        if points[interval] > TREND_MAX_POINTS[interval]:
            raise ValidationError({"detail": _("Too many points: at most %(n)s per trend.")
                                   % {"n": TREND_MAX_POINTS[interval]}, "field": "start"})
        rows = kpis.trend(period, self.scope(params), interval=interval, tier=params["tier"])
        return Response({"period": _period_out(period), "interval": interval, "area": params["area"],
                         "tier": params["tier"], "points": rows})


@extend_schema(tags=["stats"], parameters=[BreakdownQuery], responses={200: BreakdownShape, **AREA_ERRORS})
class BreakdownView(StatsView):
    """The figures of a period (default: the last 30 days) per street, community, grid, department,
    category (top or sub) or channel within the user's scope, or within the ``area`` (``street:<code>``,
    ``community:<code>``, ``grid:<code>``) inside it (an area's breakdown by a level not below it: its own
    row or none)."""

    def get(self, request):
        params = _valid(BreakdownQuery, request)
        period = _period(params, default_days=30)
        rows = kpis.breakdown(period, self.scope(params), by=params["by"], tier=params["tier"])
        return Response({"period": _period_out(period), "by": params["by"], "area": params["area"],
                         "tier": params["tier"], "rows": rows})


@extend_schema(tags=["stats"], parameters=[MapQuery],
               responses={200: MapShape, 404: OpenApiResponse(ERROR, description="no such parent area in scope"),
                          **ERRORS})
class MapView(StatsView):
    """One value per area for colouring the map (geometry: /api/v1/grids/geojson/ and the area details);
    default: streets, issues per 1,000 residents over the last 30 days."""

    def get(self, request):
        params = _valid(MapQuery, request)
        period, level, parent = _period(params, default_days=30), params["level"], params["parent"]
        if parent and level == "street":
            raise ValidationError({"detail": _("Streets have no parent area to choose."), "field": "parent"})
        areas = kpis.map_values(period, self.scope(), level=level, parent=parent, measure=params["measure"],
                                tier=params["tier"])
        if parent and not areas:
            raise NotFound({"detail": _("No such area in your scope: %(code)s.") % {"code": parent},
                            "field": "parent"})
        return Response({"period": _period_out(period), "level": level, "parent": parent,
                         "measure": params["measure"], "areas": areas})


@extend_schema(tags=["stats"], parameters=[RankingQuery], responses={200: RankingShape, **ERRORS})
class RankingView(StatsView):
    """The monthly evaluation (每月一评): each unit's figures and weighted score (weights: the setting
    EVALUATION_WEIGHTS), ranked; units outside the user's scope are left out."""

    def get(self, request):
        params = _valid(RankingQuery, request)
        if "month" in params:
            month = datetime.date(int(params["month"][:4]), int(params["month"][5:7]), 1)
        else:
            month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        rows = kpis.ranking(month, level=params["level"], scope=self.scope())
        for row in rows:
            row.pop("id"), row.pop("street_id")
        return Response({"month": f"{month:%Y-%m}", "level": params["level"], "weights": kpis.evaluation_weights(),
                         "rows": rows})
