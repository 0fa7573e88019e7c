"""Point → grid: which grid contains (lat, lng).

Each process answers from an in-memory STRtree over the grid boundaries. The index remembers the
BoundaryRevision it was built from; at most every ``GRID_INDEX_CHECK_SECONDS`` a lookup compares
that with the database and rebuilds when another process changed a boundary. The process that
saved a boundary drops its index at once (``index_expire``, on commit).

A point on an edge or vertex shared by several grids belongs to the one with the smallest code,
so the same point always gets the same single grid.
"""
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy
import shapely
from django.conf import settings
from django.utils.translation import gettext as _
from shapely.strtree import STRtree

from .boundaries import to_shape
from .models import BoundaryRevision, Grid


@dataclass(frozen=True)
class GridLocation:
    grid_id: int
    grid_code: str
    grid_name: str
    community_code: str
    community_name: str
    street_code: str
    street_name: str


class OutsideDistrict(LookupError):
    """The point lies in no grid of the district."""

    def __init__(self, lat, lng):
        super().__init__(_("The point (%(lat)s, %(lng)s) is outside the district.") % {"lat": lat, "lng": lng})


class GridIndex:
    """An STRtree over grid polygons, answering with the item of the lowest-coded covering grid."""

    def __init__(self, cells: Sequence[tuple[str, object, object]]):
        """cells: (code, shapely polygon, item) for each grid; the item is what ``locate`` returns."""
        ordered = sorted(cells, key=lambda cell: cell[0])
        self.items = [item for _code, _geometry, item in ordered]
        self.geometries = numpy.array([geometry for _code, geometry, _item in ordered], dtype=object)
        shapely.prepare(self.geometries)
        self.tree = STRtree(self.geometries)

    def __len__(self):
        return len(self.items)

    def locate(self, lat: float, lng: float):
        """The item of the grid covering the point (boundary included), or None outside all grids."""
        hits = self.tree.query(shapely.Point(lng, lat), predicate="covered_by")
        if len(hits) == 0:
            return None
        # Cells are ordered by code, so the smallest index is the smallest code.
        return self.items[hits.min()]


def parse_coordinates(lat, lng) -> tuple[float, float]:
    """Latitude and longitude as floats; ValueError with a message if they are missing or malformed."""
    values = []
    for name, raw, limit in (("lat", lat, 90.0), ("lng", lng, 180.0)):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise ValueError(_("The coordinate %(name)s is missing.") % {"name": name})
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError(_("The coordinate %(name)s is not a number: %(value)r.") % {"name": name, "value": raw})
        if not math.isfinite(value) or not -limit <= value <= limit:
            raise ValueError(
                _("The coordinate %(name)s must lie between -%(limit)s and %(limit)s.") % {"name": name, "limit": limit}
            )
        values.append(value)
    return values[0], values[1]


class _ProcessIndex:
    """The index of this process and the revision it was built from."""

    def __init__(self):
        self.lock = threading.Lock()
        self.index: GridIndex | None = None
        self.revision: tuple | None = None
        self.checked_at = -math.inf

    def get(self) -> GridIndex:
        now = time.monotonic()
        if self.index is not None and now - self.checked_at < settings.GRID_INDEX_CHECK_SECONDS:
            return self.index
        with self.lock:
            revision = BoundaryRevision.current()
            if self.index is None or revision != self.revision:
                self.index = _build_index()
                self.revision = revision
            self.checked_at = now
            return self.index

    def expire(self):
        self.checked_at = -math.inf


def _build_index() -> GridIndex:
    rows = Grid.objects.values_list(
        "id", "code", "name", "boundary", "community__code", "community__name", "community__street__code",
        "community__street__name",
    )
    cells = [
        (code, to_shape(boundary), GridLocation(pk, code, name, c_code, c_name, s_code, s_name))
        for pk, code, name, boundary, c_code, c_name, s_code, s_name in rows.iterator(chunk_size=2000)
    ]
    return GridIndex(cells)


_process_index = _ProcessIndex()


def index_expire(**_kwargs) -> None:
    """Make the next lookup in this process check the boundary revision."""
    _process_index.expire()


def grid_locate(*, lat: float, lng: float) -> GridLocation:
    """The grid (with its community and street) containing the point; OutsideDistrict if none does."""
    location = _process_index.get().locate(lat, lng)
    if location is None:
        raise OutsideDistrict(lat, lng)
    return location
