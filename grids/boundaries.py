"""Boundary geometry: GeoJSON in and out, areas in square metres, distances in metres, and the rules a boundary must keep.

Boundaries are stored as GeoJSON (longitude, latitude in WGS 84) so that the same code runs on
SQLite and PostgreSQL; shapely does the geometry in memory.
"""
import math
from collections.abc import Iterable

import numpy
import shapely
import shapely.prepared
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from django.utils.translation import gettext as _

EARTH_RADIUS_M = 6_371_008.8
# Slivers smaller than this (square metres) are rounding, not a drawing mistake.
AREA_TOLERANCE_M2 = 1.0
POLYGONAL = {"Polygon", "MultiPolygon"}


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The great-circle distance between two WGS-84 points (haversine), in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


class BoundaryError(ValueError):
    """A boundary that cannot be used; the message says why, in the user's language."""


def to_shape(geojson) -> BaseGeometry:
    """The shapely geometry of a GeoJSON geometry (a dict); BoundaryError if it is not one."""
    if not isinstance(geojson, dict) or "type" not in geojson:
        raise BoundaryError(_("The boundary is not a GeoJSON geometry."))
    try:
        geometry = shape(geojson)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise BoundaryError(_("The boundary is not a readable GeoJSON geometry: %(reason)s") % {"reason": exc}) from exc
    return geometry


def to_geojson(geometry: BaseGeometry, precision: int | None = None) -> dict:
    """GeoJSON of a shapely geometry, with lists (not tuples) so it compares equal after JSON."""
    if precision is not None:
        geometry = shapely.transform(geometry, lambda coords: coords.round(precision))
    return _listify(mapping(geometry))


def _listify(value):
    if isinstance(value, (tuple, list)):
        return [_listify(item) for item in value]
    if isinstance(value, dict):
        return {key: _listify(item) for key, item in value.items()}
    return value


def area_m2(geometry: BaseGeometry) -> float:
    """Area in square metres, on the sinusoidal (equal-area) projection of the sphere."""

    def project(coords):
        lng, lat = numpy.radians(coords[:, 0]), numpy.radians(coords[:, 1])
        return numpy.column_stack((EARTH_RADIUS_M * lng * numpy.cos(lat), EARTH_RADIUS_M * lat))

    return shapely.transform(geometry, project).area


def boundary_problems(
    geometry: BaseGeometry,
    *,
    parent: BaseGeometry | None = None,
    parent_name: str = "",
    siblings: Iterable[tuple[str, BaseGeometry]] = (),
) -> list[str]:
    """Every reason this boundary cannot be saved: empty, not a polygon, invalid, reaching
    outside its parent area, or overlapping a sibling. An empty list means it is fine."""
    if geometry.geom_type not in POLYGONAL:
        return [_("The boundary must be a polygon, not a %(type)s.") % {"type": geometry.geom_type}]
    if geometry.is_empty:
        return [_("The boundary is empty.")]
    if not geometry.is_valid:
        return [_("The boundary is not a valid polygon: %(reason)s.") % {"reason": explain_validity(geometry)}]
    problems = []
    if parent is not None and not parent.is_empty:
        outside = area_m2(geometry.difference(parent))
        if outside > AREA_TOLERANCE_M2:
            problems.append(
                _("The boundary reaches %(area)s m² outside %(parent)s.")
                % {"area": f"{outside:,.0f}", "parent": parent_name}
            )
    prepared = shapely.prepared.prep(geometry)
    for name, other in siblings:
        if other is None or not prepared.intersects(other):
            continue
        overlap = area_m2(geometry.intersection(other))
        if overlap > AREA_TOLERANCE_M2:
            problems.append(_("The boundary overlaps %(name)s by %(area)s m².") % {"name": name, "area": f"{overlap:,.0f}"})
    return problems
