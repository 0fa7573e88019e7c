"""The demo grids' buildings and units: six-storey walk-ups (Qiqihar's usual housing) of two to four
units, two doors a floor, scattered inside each grid until they hold about the grid's households.
Keyed by (grid, number) and (building, number), so a second run updates in place."""
import numpy
import shapely
from shapely.geometry import Polygon

from ..models import Building, BuildingUnit
from . import district as facts

DOORS_PER_FLOOR = 2
FLOORS = (5, 6, 6, 6, 7)


def demo_places_seed(grids: list[tuple[object, Polygon, str]], rng: numpy.random.Generator) -> tuple[int, int]:
    """grids: (saved Grid, its polygon in degrees, its community's short name). Returns (buildings, units)."""
    buildings, plans = [], []
    for grid, polygon, community_name in grids:
        units_wanted = []
        held = 0
        while held < max(grid.households, 12):
            floors = int(rng.choice(FLOORS))
            units = int(rng.integers(2, 5))
            units_wanted.append((floors, units))
            held += floors * units * DOORS_PER_FLOOR
        points = _points_inside(polygon, len(units_wanted), rng)
        for number, ((floors, units), (lng, lat)) in enumerate(zip(units_wanted, points), start=1):
            buildings.append(Building(
                grid=grid, number=f"{number}号楼", address=f"{community_name}小区{grid.code[-2:]}-{number}号楼",
                lat=float(lat), lng=float(lng), centre_household_name=_name(rng),
                centre_household_phone=f"13{rng.integers(0, 10)}{rng.integers(0, 10**8):08d}"))
            plans.append((grid.pk, f"{number}号楼", floors, units))
    Building.objects.bulk_create(buildings, batch_size=1000, update_conflicts=True, unique_fields=["grid", "number"],
                                 update_fields=["address", "lat", "lng", "centre_household_name",
                                                "centre_household_phone"])
    ids = {(grid_id, number): pk for pk, grid_id, number in Building.objects.filter(
        grid_id__in=[grid.pk for grid, _p, _c in grids]).values_list("pk", "grid_id", "number")}
    units = [
        BuildingUnit(building_id=ids[(grid_id, number)], number=f"{unit}单元", floors=floors,
                     households=floors * DOORS_PER_FLOOR,
                     # One unit in three has a centre household of its own (the building's answers for the rest).
                     centre_household_name=_name(rng) if unit % 3 == 0 else "")
        for grid_id, number, floors, count in plans for unit in range(1, count + 1)
    ]
    BuildingUnit.objects.bulk_create(units, batch_size=1000, update_conflicts=True,
                                     unique_fields=["building", "number"],
                                     update_fields=["floors", "households", "centre_household_name"])
    return len(buildings), len(units)


def _points_inside(polygon: Polygon, count: int, rng: numpy.random.Generator) -> numpy.ndarray:
    """``count`` points strictly inside the polygon (an edge is shared with the next grid)."""
    inner = polygon.buffer(-(polygon.bounds[2] - polygon.bounds[0]) * 0.05)
    shape = inner if not inner.is_empty else polygon
    minx, miny, maxx, maxy = shape.bounds
    shapely.prepare(shape)
    found = numpy.zeros((0, 2))
    while len(found) < count:
        candidates = rng.uniform((minx, miny), (maxx, maxy), size=(count * 3 + 8, 2))
        found = numpy.concatenate((found, candidates[shapely.contains_xy(shape, candidates[:, 0], candidates[:, 1])]))
    return found[:count]


def _name(rng: numpy.random.Generator) -> str:
    return str(rng.choice(list(facts.SURNAMES))) + "".join(rng.choice(list(facts.GIVEN), size=rng.integers(1, 3)))
