"""The local base map (``MAP_PROVIDER=local``): 256-pixel PNG tiles the site draws itself from the grid boundaries.

Tiles follow the XYZ scheme of OpenStreetMap (web mercator, ``/tiles/<z>/<x>/<y>.png``) and are drawn from the
stored WGS-84 boundaries, so the pages need no coordinate conversion and no network at all: the demo, the tests
and a phone that cached its grid's tiles have a base map. What is drawn: a light background, the district with a
pale tint per street, grid lines (from zoom 13), community lines (from zoom 11) and street lines, heavier up the
hierarchy. Community and street lines are the outlines of their grids' union, so a grid's ``BoundaryRevision``
is the one revision of everything a tile shows.

Fast enough to draw on demand: each process keeps the boundaries in an STRtree (rebuilt when the revision moves,
like ``grids.locate``); a tile asks the tree for what touches it and draws only that, clipped. Drawn tiles are
kept in the cache per revision; tiles outside the district are one blank PNG made once.
"""
import hashlib
import io
import logging
import math
from dataclasses import dataclass
from functools import cache as memoize

import numpy
import shapely
from django.conf import settings
from django.core.cache import cache
from PIL import Image, ImageDraw

from jianhua.snapshots import ProcessSnapshot

from .boundaries import to_shape
from .models import BoundaryRevision, Grid

logger = logging.getLogger(__name__)

TILE_PX = 256
MAX_ZOOM = 19
# Lines are drawn at twice the size and the tile shrunk: Pillow draws without anti-aliasing.
SUPERSAMPLE = 2
# A new look must not be served from the cache of the old one: part of the cache key and the ETag.
STYLE_VERSION = 1
# Drawn tiles are kept per revision (a new boundary never meets an old tile), so only memory limits the time.
SERVER_CACHE_SECONDS = 30 * 24 * 3600
# Browsers may show a tile this long before asking again (with the ETag: a 304 while the boundaries stand). The
# URL does not name the revision, so this is how long a redrawn boundary may show its old line underneath.
BROWSER_CACHE_SECONDS = 3600
GRID_LINES_FROM_ZOOM = 13
COMMUNITY_LINES_FROM_ZOOM = 11

OUTSIDE = (233, 235, 238)
STREET_TINTS = [(251, 248, 238), (240, 248, 242), (246, 243, 251), (252, 243, 238), (239, 245, 251),
                (247, 250, 236)]
GRID_LINE = ((196, 200, 207), 1.0)  # colour, width in tile pixels
COMMUNITY_LINE = ((150, 157, 168), 1.5)
STREET_LINE = ((104, 112, 125), 2.5)


class TileNotFound(LookupError):
    """z/x/y names no tile of this map (zoom 0–19, x and y within 0 … 2^z − 1)."""


@dataclass(frozen=True)
class TileSource:
    """What the tiles are drawn from, for one boundary revision."""

    token: str                      # names the revision in cache keys and ETags
    bounds: tuple                   # (min lng, min lat, max lng, max lat) of the district, or None without grids
    grids: numpy.ndarray            # grid polygons
    grid_tints: list                # the street tint of each grid
    grid_tree: shapely.STRtree
    community_lines: numpy.ndarray  # the outline of each community's grids
    community_tree: shapely.STRtree
    street_lines: numpy.ndarray     # the outline of each street's grids
    street_tree: shapely.STRtree


def _union_outlines(groups: dict) -> numpy.ndarray:
    # Neighbouring grids share their edges exactly (the admin refuses overlaps), so the union leaves no slivers.
    unions = [shapely.union_all(numpy.array(members, dtype=object)) for members in groups.values()]
    return numpy.array([shapely.boundary(union) for union in unions], dtype=object)


def _source_load() -> TileSource:
    revision = BoundaryRevision.current()
    rows = Grid.objects.order_by("code").values_list("boundary", "community__code", "community__street__code")
    grids, communities, streets, tints, street_numbers = [], {}, {}, [], {}
    for boundary, community_code, street_code in rows.iterator(chunk_size=2000):
        polygon = to_shape(boundary)
        grids.append(polygon)
        communities.setdefault(community_code, []).append(polygon)
        streets.setdefault(street_code, []).append(polygon)
        number = street_numbers.setdefault(street_code, len(street_numbers))
        tints.append(STREET_TINTS[number % len(STREET_TINTS)])
    grid_array = numpy.array(grids, dtype=object)
    community_lines, street_lines = _union_outlines(communities), _union_outlines(streets)
    bounds = None
    if grids:
        box = shapely.bounds(grid_array)
        bounds = (box[:, 0].min(), box[:, 1].min(), box[:, 2].max(), box[:, 3].max())
    return TileSource(
        token=hashlib.sha1(repr(revision).encode()).hexdigest()[:16], bounds=bounds,
        grids=grid_array, grid_tints=tints, grid_tree=shapely.STRtree(grid_array),
        community_lines=community_lines, community_tree=shapely.STRtree(community_lines),
        street_lines=street_lines, street_tree=shapely.STRtree(street_lines),
    )


_process_source = ProcessSnapshot(load=_source_load, revision=BoundaryRevision.current,
                                  check_seconds=lambda: settings.GRID_INDEX_CHECK_SECONDS)


def source_expire(**_kwargs) -> None:
    """Make the next tile in this process check the boundary revision (connected to ``boundaries_changed``)."""
    _process_source.expire()


def tile_source() -> TileSource:
    return _process_source.get()


def tile_check(z: int, x: int, y: int) -> None:
    """TileNotFound unless z/x/y is a tile of this map."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise TileNotFound(z, x, y)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west lng, south lat, east lng, north lat) of a tile, in degrees."""
    n = 2 ** z

    def lat(row):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def _projector(z: int, x: int, y: int):
    """lng/lat coordinates (an N×2 array) → pixels of the supersampled tile."""
    scale = 2 ** z * TILE_PX * SUPERSAMPLE

    def project(coords: numpy.ndarray) -> list[tuple[float, float]]:
        lng, lat = coords[:, 0], numpy.radians(coords[:, 1])
        px = (lng + 180) / 360 * scale - x * TILE_PX * SUPERSAMPLE
        py = (1 - numpy.arcsinh(numpy.tan(lat)) / math.pi) / 2 * scale - y * TILE_PX * SUPERSAMPLE
        return list(zip(px.tolist(), py.tolist(), strict=True))

    return project


def _parts(geometry) -> list:
    """The simple pieces (polygons, line strings) of a possibly multi-part geometry."""
    if geometry.is_empty:
        return []
    if hasattr(geometry, "geoms"):
        return [piece for part in geometry.geoms for piece in _parts(part)]
    return [geometry]


@memoize
def _palette() -> Image.Image:
    """The tiles' one palette: the backgrounds, the lines and the blends their anti-aliased edges make. The same
    colour is the same entry in every tile, so neighbouring tiles meet without a seam."""
    backgrounds = [OUTSIDE, *STREET_TINTS]
    lines = [colour for colour, _width in (GRID_LINE, COMMUNITY_LINE, STREET_LINE)]
    colours = [*backgrounds, *lines]
    for background in backgrounds:
        for line in lines:
            for eighth in range(1, 8):
                colours.append(tuple(round(b + (c - b) * eighth / 8) for b, c in zip(background, line, strict=True)))
    colours = list(dict.fromkeys(colours))[:256]  # no padding: a shorter PLTE chunk in every tile
    palette = Image.new("P", (1, 1))
    palette.putpalette([channel for colour in colours for channel in colour])
    return palette


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # A palette PNG of a few kilobytes (an RGB one is twice the size); mapping onto the fixed palette and zlib's
    # default level take under 2 ms where a quantizer of its own per tile took 6 and showed seams between tiles.
    image.quantize(palette=_palette(), dither=Image.Dither.NONE).save(out, format="PNG", compress_level=6)
    return out.getvalue()


@memoize
def blank_tile() -> bytes:
    """The tile of every place outside the district: the plain background."""
    out = io.BytesIO()
    Image.new("RGB", (TILE_PX, TILE_PX), OUTSIDE).quantize(colors=1).save(out, format="PNG", optimize=True)
    return out.getvalue()


def tile_draw(source: TileSource, z: int, x: int, y: int) -> bytes | None:
    """The PNG of tile z/x/y, or None when nothing of the district touches it (the blank tile)."""
    tile_check(z, x, y)
    west, south, east, north = tile_bounds(z, x, y)
    area = shapely.box(west, south, east, north)
    grid_hits = source.grid_tree.query(area, predicate="intersects")
    if not len(grid_hits):
        return None
    # Clip a few pixels beyond the tile: the clip's own edges then fall outside the picture.
    margin_lng, margin_lat = (east - west) * 0.02, (north - south) * 0.02
    clip = (west - margin_lng, south - margin_lat, east + margin_lng, north + margin_lat)
    project = _projector(z, x, y)
    size = TILE_PX * SUPERSAMPLE
    image = Image.new("RGB", (size, size), OUTSIDE)
    draw = ImageDraw.Draw(image)

    grid_hits.sort()
    clipped = shapely.clip_by_rect(source.grids[grid_hits], *clip)
    for number, geometry in zip(grid_hits, clipped, strict=True):
        for polygon in _parts(geometry):
            if polygon.geom_type == "Polygon":
                draw.polygon(project(numpy.asarray(polygon.exterior.coords)), fill=source.grid_tints[number])
    layers = [(source.street_tree, source.street_lines, STREET_LINE)]
    if z >= COMMUNITY_LINES_FROM_ZOOM:
        layers.insert(0, (source.community_tree, source.community_lines, COMMUNITY_LINE))
    if z >= GRID_LINES_FROM_ZOOM:
        rings = numpy.array([shapely.boundary(polygon) for polygon in clipped], dtype=object)
        layers.insert(0, (None, rings, GRID_LINE))
    for tree, lines, (colour, width) in layers:
        if tree is not None:
            lines = shapely.clip_by_rect(lines[tree.query(area, predicate="intersects")], *clip)
        for line in (piece for geometry in lines for piece in _parts(geometry)):
            if line.geom_type in ("LineString", "LinearRing"):
                draw.line(project(numpy.asarray(line.coords)), fill=colour, width=max(1, round(width * SUPERSAMPLE)),
                          joint="curve")
    return _encode(image.reduce(SUPERSAMPLE))


def tile_png(source: TileSource, z: int, x: int, y: int) -> bytes:
    """The PNG of tile z/x/y for this revision: from the cache, else drawn and kept. TileNotFound for a bad z/x/y."""
    tile_check(z, x, y)
    west, south, east, north = tile_bounds(z, x, y)
    bounds = source.bounds
    if bounds is None or east < bounds[0] or west > bounds[2] or north < bounds[1] or south > bounds[3]:
        return blank_tile()  # most of the world: no cache entry, no drawing
    key = f"grids:tile:{STYLE_VERSION}:{source.token}:{z}/{x}/{y}"
    try:
        png = cache.get(key)
    except Exception as error:  # noqa: BLE001 - the cache (Redis) is down: draw the tile, no 500
        logger.warning("Map tile drawn without the cache: %s: %s", type(error).__name__, error)
        return tile_draw(source, z, x, y) or blank_tile()
    if png is None:
        png = tile_draw(source, z, x, y) or blank_tile()
        try:
            cache.set(key, png, timeout=SERVER_CACHE_SECONDS)
        except Exception as error:  # noqa: BLE001
            logger.warning("Map tile not kept in the cache: %s: %s", type(error).__name__, error)
    return png
