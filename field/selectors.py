"""Reads of places, visits and patrols, with their query counts decided here once."""
import datetime
from datetime import timedelta

from django.conf import settings
from django.db.models import CharField, Count, F, Max, Min, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from grids.models import Building, BuildingUnit, Grid, Role, User

from . import rules
from .models import ConcernKind, PatrolGrid, Visit, VisitConcern


def _grids_q(user: User, prefix: str = "") -> Q | None:
    """The grids whose places this user works in: a grid officer's grid, a community staff member's
    community; None for anyone else."""
    if user.role == Role.GRID_OFFICER and user.grid_id:
        return Q(**{f"{prefix}id": user.grid_id})
    if user.role == Role.COMMUNITY_STAFF and user.community_id:
        return Q(**{f"{prefix}community_id": user.community_id})
    return None


def places_for(user: User) -> QuerySet[Building]:
    """The buildings of the user's grid (a community's staff: of its grids), each with ``grid_code`` and
    its units prefetched, in grid and building order: the offline cache of the visit page. Two queries;
    none for whom no grid is theirs."""
    grids = _grids_q(user, "grid__")
    if grids is None:
        return Building.objects.none()
    return (Building.objects.filter(grids).annotate(grid_code=F("grid__code"))
            .prefetch_related(Prefetch("units", BuildingUnit.objects.order_by("id"))).order_by("grid__code", "id"))


def visit_plan_for(user: User) -> QuerySet[BuildingUnit]:
    """The units of the user's grid(s), never visited first, then the longest ago; each with ``building``,
    ``last_visited`` (None: never) and ``households_visited`` (doors visited within the current cycle of
    FIELD_VISIT_CYCLE_DAYS) beside its ``households``. One query."""
    grids = _grids_q(user, "building__grid__")
    if grids is None:
        return BuildingUnit.objects.none()
    since = timezone.now() - timedelta(days=settings.FIELD_VISIT_CYCLE_DAYS)
    return (BuildingUnit.objects.filter(grids).select_related("building")
            .annotate(last_visited=Max("visits__visited_at"),
                      households_visited=Count("visits__room", distinct=True,
                                               filter=Q(visits__visited_at__gte=since)))
            .order_by(F("last_visited").asc(nulls_first=True), "building_id", "number"))


def visits_of(user: User) -> QuerySet[Visit]:
    """The visits the user recorded, latest first, with unit, building, concerns and their whistles'
    numbers: three queries a page."""
    return (Visit.objects.filter(officer=user).select_related("unit__building")
            .prefetch_related(Prefetch("concerns", VisitConcern.objects.select_related("category")
                                       .annotate(issue_number=F("issue__number")).order_by("id"))))


def suggestions_for(user: User) -> QuerySet[VisitConcern]:
    """Suggestions raised on visits in the user's community (or grid), latest first, with the visit, unit
    and building: for community staff to take up (开门办民生). One query a page."""
    grids = _grids_q(user, "visit__grid__")
    if grids is None:
        return VisitConcern.objects.none()
    return (VisitConcern.objects.filter(grids, kind=ConcernKind.SUGGESTION)
            .select_related("visit__unit__building", "category").order_by("-visit__visited_at", "-id"))


def grids_walked(user: User, day: datetime.date) -> list[dict] | None:
    """Every grid of the user's area (``field.rules.coverage_area``) on a local day: code, name,
    community, ``walked`` (a patrol track passed through it), the number of officers who walked it, the
    points and the first and last moment. None for who may see no area. Two queries."""
    area = rules.coverage_area(user)
    if area is None:
        return None
    level, area_id = area
    grids = Grid.objects.order_by("code")
    if level != "district":
        grids = grids.filter(**{{"grid": "pk", "community": "community_id",
                                 "street": "community__street_id"}[level]: area_id})
    rows = list(grids.values_list("id", "code", "name", "community__code", "community__name"))
    walked = {
        row["grid_id"]: row for row in PatrolGrid.objects.filter(day=day, grid_id__in=[r[0] for r in rows])
        .values("grid_id").annotate(officers=Count("track__officer", distinct=True), points=Sum("points"),
                                    first_at=Min("first_at"), last_at=Max("last_at")).order_by()
    }
    result = []
    for pk, code, name, community_code, community_name in rows:
        seen = walked.get(pk)
        result.append({"code": code, "name": name, "community": community_code, "community_name": community_name,
                       "walked": seen is not None, "officers": seen["officers"] if seen else 0,
                       "points": seen["points"] if seen else 0,
                       "first_at": seen["first_at"] if seen else None, "last_at": seen["last_at"] if seen else None})
    return result


def households_visited(start: datetime.date, end: datetime.date, *, level: str,
                       area_ids: list[int] | None = None) -> dict[int, int]:
    """Doors visited (distinct households: unit and door) on the local days start … end, per street,
    community or grid id (of ``area_ids`` if given). One query."""
    path = {"grid": "grid_id", "community": "grid__community_id", "street": "grid__community__street_id"}[level]
    tz = timezone.get_current_timezone()
    visits = Visit.objects.filter(
        visited_at__gte=datetime.datetime.combine(start, datetime.time.min, tz),
        visited_at__lt=datetime.datetime.combine(end + timedelta(days=1), datetime.time.min, tz))
    if area_ids is not None:
        visits = visits.filter(**{f"{path}__in": area_ids})
    household = Concat(Cast("unit_id", CharField()), Value(":"), "room", output_field=CharField())
    return dict(visits.values(path).annotate(n=Count(household, distinct=True)).order_by().values_list(path, "n"))
