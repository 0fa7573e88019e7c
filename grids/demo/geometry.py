"""Synthetic but plausible boundaries for the demo district.

The real grid boundaries are not public. We draw an irregular district outline of the right area
around the right seat, scatter one seed per grid inside it, even them out with Lloyd relaxation and
take the Voronoi cells of the seeds. Ghost seeds on a ring just outside the outline bound the outer
cells, so no cell is ever clipped: neighbouring cells share their edges coordinate for coordinate,
and the grids tile the district with no gap and no overlap by construction. Streets and communities
are unions of whole grids, so they nest exactly too.

Everything is computed in metres on a local plane and turned into degrees at the end by one linear
map, which keeps shared vertices identical.
"""
import math
from dataclasses import dataclass

import numpy
import shapely
from shapely.geometry import MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry
from grids.boundaries import EARTH_RADIUS_M



@dataclass
class Tiling:
    cells: list[Polygon]  # in degrees (lng, lat), one per grid
    centroids: numpy.ndarray  # (n, 2) metres, for grouping cells into areas


def outline(area_m2: float, rng: numpy.random.Generator) -> Polygon:
    """An irregular, star-shaped district outline of the given area, centred on (0, 0) metres."""
    angles = numpy.linspace(0, 2 * math.pi, 96, endpoint=False)
    radius = numpy.ones_like(angles)
    for harmonic in range(2, 6):
        radius += rng.uniform(0.08, 0.22) / harmonic * numpy.cos(harmonic * angles + rng.uniform(0, 2 * math.pi))
    shape = Polygon(numpy.column_stack((radius * numpy.cos(angles), radius * numpy.sin(angles))))
    return shapely.affinity.scale(shape, math.sqrt(area_m2 / shape.area), math.sqrt(area_m2 / shape.area), origin=(0, 0))


def _seeds_inside(shape: Polygon, count: int, rng: numpy.random.Generator) -> numpy.ndarray:
    minx, miny, maxx, maxy = shape.bounds
    found = []
    shapely.prepare(shape)
    while sum(len(chunk) for chunk in found) < count:
        candidates = rng.uniform((minx, miny), (maxx, maxy), size=(count * 2, 2))
        found.append(candidates[shapely.contains_xy(shape, candidates[:, 0], candidates[:, 1])])
    return numpy.concatenate(found)[:count]


def _ghosts(shape: Polygon, spacing: float) -> numpy.ndarray:
    ring = shape.buffer(spacing * 0.5).exterior
    steps = max(int(ring.length / spacing), 12)
    return numpy.array([ring.interpolate(i / steps, normalized=True).coords[0] for i in range(steps)])


def _voronoi_cells(seeds: numpy.ndarray, ghosts: numpy.ndarray) -> list[Polygon]:
    """The Voronoi cells of the seeds (in seed order), bounded by the ghost seeds."""
    everything = numpy.concatenate((seeds, ghosts))
    regions = shapely.voronoi_polygons(MultiPoint(everything), ordered=True)
    return list(regions.geoms)[: len(seeds)]


def tiling(count: int, area_m2: float, centre_lat: float, centre_lng: float, seed: int = 20201, relax: int = 2) -> Tiling:
    """``count`` Voronoi cells tiling an irregular district of about ``area_m2`` around the centre."""
    rng = numpy.random.default_rng(seed)
    shape = outline(area_m2, rng)
    seeds = _seeds_inside(shape, count, rng)
    spacing = math.sqrt(area_m2 / count)
    ghosts = _ghosts(shape, spacing)
    for _round in range(relax):
        cells = _voronoi_cells(seeds, ghosts)
        clipped = shapely.intersection(numpy.array(cells, dtype=object), shape)
        seeds = shapely.get_coordinates(shapely.centroid(clipped))
    cells = _voronoi_cells(seeds, ghosts)
    centroids = shapely.get_coordinates(shapely.centroid(numpy.array(cells, dtype=object)))
    # The ghost ring makes the union slightly larger than the outline: scale it back to the area.
    union_area = sum(cell.area for cell in cells)
    factor = math.sqrt(area_m2 / union_area)
    metres_to_degrees = _to_degrees(centre_lat, centre_lng, factor)
    return Tiling(cells=[shapely.transform(cell, metres_to_degrees) for cell in cells], centroids=centroids)


def _to_degrees(centre_lat: float, centre_lng: float, factor: float):
    per_degree_lat = EARTH_RADIUS_M * math.pi / 180.0
    per_degree_lng = per_degree_lat * math.cos(math.radians(centre_lat))

    def transform(coords):
        return numpy.column_stack(
            (centre_lng + coords[:, 0] * factor / per_degree_lng, centre_lat + coords[:, 1] * factor / per_degree_lat)
        )

    return transform


def split_by_angle(indices: numpy.ndarray, points: numpy.ndarray, sizes: list[int]) -> list[numpy.ndarray]:
    """Split points into pie slices around their mean, with the given number of points in each."""
    centre = points[indices].mean(axis=0)
    offsets = points[indices] - centre
    order = indices[numpy.argsort(numpy.arctan2(offsets[:, 1], offsets[:, 0]))]
    return numpy.split(order, numpy.cumsum(sizes)[:-1])


def split_compact(indices: numpy.ndarray, points: numpy.ndarray, parts: int) -> list[numpy.ndarray]:
    """Split points into ``parts`` compact groups of near-equal size by recursive bisection."""
    if parts == 1:
        return [indices]
    left_parts = parts // 2
    span = points[indices].max(axis=0) - points[indices].min(axis=0)
    axis = 0 if span[0] >= span[1] else 1
    order = indices[numpy.argsort(points[indices, axis], kind="stable")]
    cut = round(len(order) * left_parts / parts)
    return split_compact(order[:cut], points, left_parts) + split_compact(order[cut:], points, parts - left_parts)


def union(cells: list[BaseGeometry]) -> BaseGeometry:
    return shapely.union_all(numpy.array(cells, dtype=object))
