"""Point → grid: which grid contains (lat, lng).

Each process answers from an in-memory spatial index of the grid boundaries (``GridIndex``). The index remembers the
BoundaryRevision it was built from; at most every ``GRID_INDEX_CHECK_SECONDS`` a lookup compares
that with the database and rebuilds when another process changed a boundary. The process that
saved a boundary drops its index at once (``index_expire``, on commit).

A point on an edge or vertex shared by several grids belongs to the one with the smallest code,
so the same point always gets the same single grid.
"""
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy
import shapely
from django.conf import settings
from django.utils.translation import gettext as _

from jianhua.snapshots import ProcessSnapshot

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
    community_id: int
    street_id: int


class OutsideDistrict(LookupError):
    """The point lies in no grid of the district."""

    def __init__(self, lat, lng):
        super().__init__(lat, lng)
        self.lat, self.lng = lat, lng

    def __str__(self):
        # Formatted when shown, not when raised: raising is on the lookup's hot path.
        return _("The point (%(lat)s, %(lng)s) is outside the district.") % {"lat": self.lat, "lng": self.lng}


class GridIndex:
    """Grid polygons bucketed on a regular lattice of their bounding boxes.

    A lookup computes the point's bucket arithmetically and tests only the few polygons whose
    bounding box reaches into it, in code order, so the first hit is the lowest-coded covering
    grid. (An STRtree answers the same question, but building a query Point alone costs more than
    this whole lookup.)
    """

    BUCKETS_PER_CELL = 4

    def __init__(self, cells: Sequence[tuple[str, object, object]]):
        """cells: (code, shapely polygon, item) for each grid; the item is what ``locate`` returns."""
        ordered = sorted(cells, key=lambda cell: cell[0])
        self.items = [item for _code, _geometry, item in ordered]
        self.geometries = [geometry for _code, geometry, _item in ordered]
        shapely.prepare(numpy.array(self.geometries, dtype=object))
        bounds = shapely.bounds(numpy.array(self.geometries, dtype=object)) if ordered else numpy.zeros((0, 4))
        self.minx, self.miny = (bounds[:, 0].min(), bounds[:, 1].min()) if ordered else (0.0, 0.0)
        maxx, maxy = (bounds[:, 2].max(), bounds[:, 3].max()) if ordered else (1.0, 1.0)
        side = max(1, int(math.sqrt(len(ordered) * self.BUCKETS_PER_CELL)))
        self.columns = self.rows = side
        self.width = (maxx - self.minx) / side or 1.0
        self.height = (maxy - self.miny) / side or 1.0
        buckets: list[list[int]] = [[] for _ in range(side * side)]
        for number, (x0, y0, x1, y1) in enumerate(bounds):
            for row in range(self._row(y0), self._row(y1) + 1):
                for column in range(self._column(x0), self._column(x1) + 1):
                    buckets[row * side + column].append(number)
        self.buckets = [tuple(bucket) for bucket in buckets]  # numbers ascend: code order

    def _column(self, x: float) -> int:
        return min(self.columns - 1, max(0, int((x - self.minx) / self.width)))

    def _row(self, y: float) -> int:
        return min(self.rows - 1, max(0, int((y - self.miny) / self.height)))

    def __len__(self):
        return len(self.items)

    def locate(self, lat: float, lng: float):
        """The item of the grid covering the point (boundary included), or None outside all grids."""
        if not self.items:
            return None
        column = (lng - self.minx) / self.width
        row = (lat - self.miny) / self.height
        # The slack keeps a point on the outermost edge inside despite rounding in the division.
        if not (-1e-9 <= column <= self.columns + 1e-9 and -1e-9 <= row <= self.rows + 1e-9):
            return None
        row, column = min(max(int(row), 0), self.rows - 1), min(max(int(column), 0), self.columns - 1)
        bucket = self.buckets[row * self.columns + column]
        for number in bucket:
            # intersects_xy includes the boundary: a point on an edge is covered by both neighbours.
            if shapely.intersects_xy(self.geometries[number], lng, lat):
                return self.items[number]
        return None


def parse_coordinates(lat, lng) -> tuple[float, float]:
    """Latitude and longitude as floats; ValueError with a message if they are missing or malformed."""
    values = []
    for name, raw, limit in (("lat", lat, 90.0), ("lng", lng, 180.0)):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise ValueError(_("The coordinate %(name)s is missing.") % {"name": name})
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError(
                _("The coordinate %(name)s is not a number: %(value)r.") % {"name": name, "value": raw}
            ) from None
        if not math.isfinite(value) or not -limit <= value <= limit:
            raise ValueError(
                _("The coordinate %(name)s must lie between -%(limit)s and %(limit)s.") % {"name": name, "limit": limit}
            )
        values.append(value)
    return values[0], values[1]


def _build_index() -> GridIndex:
    rows = Grid.objects.values_list(
        "id", "code", "name", "boundary", "community__code", "community__name", "community__street__code",
        "community__street__name", "community_id", "community__street_id",
    )
    cells = [
        (code, to_shape(boundary), GridLocation(pk, code, name, c_code, c_name, s_code, s_name, c_id, s_id))
        for pk, code, name, boundary, c_code, c_name, s_code, s_name, c_id, s_id in rows.iterator(chunk_size=2000)
    ]
    return GridIndex(cells)


_process_index = ProcessSnapshot(load=_build_index, revision=BoundaryRevision.current,
                                 check_seconds=lambda: settings.GRID_INDEX_CHECK_SECONDS)


def index_expire(**_kwargs) -> None:
    """Make the next lookup in this process check the boundary revision."""
    _process_index.expire()


def grid_locate(*, lat: float, lng: float) -> GridLocation:
    """The grid (with its community and street) containing the point; OutsideDistrict if none does."""
    location = _process_index.get().locate(lat, lng)
    if location is None:
        raise OutsideDistrict(lat, lng)
    return location
