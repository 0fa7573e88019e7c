"""Reads of areas, with their query counts decided here once."""
import re
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from .boundaries import to_shape
from .models import Community, Department, Grid, GridDuty, Street, User


def street_list() -> QuerySet[Street]:
    return Street.objects.select_related("district").annotate(community_count=Count("communities")).order_by("code")


def community_list() -> QuerySet[Community]:
    return Community.objects.select_related("street").annotate(grid_count=Count("grids")).order_by("code")


def grid_list() -> QuerySet[Grid]:
    return Grid.objects.select_related("community__street").annotate(
        officer_count=Count("staff", filter=Q(staff__is_active=True)),
        leader_name=_leader_name(),
    ).order_by("code")


def grid_poster_list(grids: QuerySet[Grid] | None = None) -> QuerySet[Grid]:
    """The grids to print posters of (all, or those of ``grids``), in code order, each with its
    community and street and ``leader_name`` (None without a leader): one query, whatever their
    number. No boundary is loaded."""
    grids = Grid.objects.all() if grids is None else grids
    return grids.select_related("community__street").defer(
        "boundary", "community__boundary", "community__street__boundary"
    ).annotate(leader_name=_leader_name()).order_by("code")


def _leader_name():
    return Subquery(
        User.objects.filter(grid=OuterRef("pk"), grid_duty=GridDuty.LEADER, is_active=True)
        .order_by("pk")
        .values("full_name")[:1]
    )


def department_list() -> QuerySet[Department]:
    return Department.objects.all()


def grids_geojson_rows():
    """(code, name, community name, street name, community code, street code, boundary) of every grid,
    ordered by code."""
    return Grid.objects.order_by("code").values_list(
        "code", "name", "community__name", "community__street__name", "community__code", "community__street__code",
        "boundary"
    )


@dataclass(frozen=True)
class GridPlace:
    """A grid found by its stable code, for a page that opens on it (a poster's QR link)."""

    code: str
    name: str
    community_name: str
    street_name: str
    boundary: dict  # GeoJSON
    lat: float  # a point inside the grid: where a whistle sent without a pin is filed
    lng: float


def grid_place(code: str) -> GridPlace | None:
    """The grid with this code and a point inside it, in one query; None for an unknown code. The
    code is the stable key, so the answer follows the grid through any boundary edit."""
    row = Grid.objects.filter(code=code).values_list(
        "code", "name", "community__name", "community__street__name", "boundary").first()
    if row is None:
        return None
    code, name, community_name, street_name, boundary = row
    point = to_shape(boundary).representative_point()
    return GridPlace(code=code, name=name, community_name=community_name, street_name=street_name,
                     boundary=boundary, lat=point.y, lng=point.x)


@dataclass(frozen=True)
class NamedPlace:
    name: str  # the grid, community or street the text names
    lat: float  # a point inside it
    lng: float


# "东市场社区第3网格", also written "东市场社区3网格" or "东市场第3网格".
_GRID_IN_WORDS = re.compile(r"([\u4e00-\u9fff]+?)(?:社区)?第?(\d+)网格")


def place_named_in(text: str) -> NamedPlace | None:
    """The most precise area of the district an address names – a grid, else a community, else a
    street – with a point inside it (we have no geocoder: an address is only as good as the area
    names it contains). None when it names none."""
    text = (text or "").strip()
    if not text:
        return None
    found = None
    match = _GRID_IN_WORDS.search(text)
    if match:
        community = match.group(1).removesuffix("社区")
        found = _named(Grid, [f"{community}社区第{int(match.group(2))}网格"], text=None)
    for model in (Grid, Community, Street):
        if found is not None:
            break
        found = _named(model, model.objects.values_list("name", flat=True), text=text)
    if found is None:
        return None
    point = to_shape(found.boundary).representative_point()
    return NamedPlace(name=found.name, lat=point.y, lng=point.x)


def _named(model, names, *, text: str | None):
    """The area whose name (or, for communities and streets, the name without 社区/街道) is in
    ``text`` – the longest such name; with ``text=None``, the area with the first of ``names``."""
    if text is None:
        return model.objects.filter(name__in=list(names)).first()
    candidates = []
    for name in names:
        short = name.removesuffix("社区").removesuffix("街道")
        if name in text or (model is not Grid and len(short) >= 2 and short in text):
            candidates.append(name)
    if not candidates:
        return None
    return model.objects.filter(name=max(candidates, key=len)).first()
