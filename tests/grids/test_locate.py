"""Point → grid: shared edges and vertices, the outside, bad coordinates, and index freshness."""
from collections import Counter

import pytest
from django.db.models import F
from django.utils import timezone
from shapely.geometry import Polygon

from grids.boundaries import to_geojson, to_shape
from grids.locate import GridIndex, OutsideDistrict, grid_locate, parse_coordinates
from grids.models import BoundaryRevision, Grid

pytestmark = pytest.mark.django_db


def shared_edges_and_vertices():
    """A shared edge (midpoint, two grids) and a vertex shared by three grids, from the demo tiling."""
    owners = {}
    vertex_owners = {}
    for code, boundary in Grid.objects.values_list("code", "boundary"):
        ring = to_shape(boundary).exterior.coords
        for a, b in zip(ring[:-1], ring[1:]):
            owners.setdefault(frozenset((a, b)), []).append(code)
        for vertex in ring[:-1]:
            vertex_owners.setdefault(vertex, set()).add(code)
    edge, edge_codes = next((tuple(e), codes) for e, codes in owners.items() if len(codes) == 2)
    vertex, vertex_codes = next((v, codes) for v, codes in vertex_owners.items() if len(codes) == 3)
    (x1, y1), (x2, y2) = edge
    return ((x1 + x2) / 2, (y1 + y2) / 2), sorted(edge_codes), vertex, sorted(vertex_codes)


def test_a_point_on_a_shared_edge_or_vertex_gets_one_grid_always_the_same():
    (mid_x, mid_y), edge_codes, (vx, vy), vertex_codes = shared_edges_and_vertices()
    on_edge = Counter(grid_locate(lat=mid_y, lng=mid_x).grid_code for _ in range(20))
    on_vertex = Counter(grid_locate(lat=vy, lng=vx).grid_code for _ in range(20))
    # The vertex is exactly representable, so all three grids cover it: the lowest code wins.
    assert on_vertex == {vertex_codes[0]: 20}
    assert len(on_edge) == 1 and next(iter(on_edge)) in edge_codes


def test_ties_on_an_edge_go_to_the_lowest_code_whatever_the_input_order():
    left = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    right = Polygon([(1, 0), (2, 0), (2, 1), (1, 1)])
    for cells in ([("B", right, "B"), ("A", left, "A")], [("A", left, "A"), ("B", right, "B")]):
        index = GridIndex(cells)
        assert index.locate(0.5, 1.0) == "A"  # on the shared edge
        assert index.locate(0.5, 1.5) == "B"
        assert index.locate(0.5, 0.5) == "A"
        assert index.locate(0.5, 2.5) is None


def test_a_point_outside_the_district_is_said_to_be_outside():
    with pytest.raises(OutsideDistrict, match="outside the district|不在"):
        grid_locate(lat=39.9, lng=116.4)  # Beijing
    with pytest.raises(OutsideDistrict):
        grid_locate(lat=47.35, lng=124.2)  # east of Jianhua


@pytest.mark.parametrize(
    "lat, lng",
    [(None, "123.95"), ("47.35", None), ("", "123.95"), ("north", "123.95"), ("47.35", "1e999"), ("91", "123.95"),
     ("47.35", "-181"), ("nan", "123.95")],
)
def test_malformed_coordinates_are_refused_with_a_message(lat, lng):
    with pytest.raises(ValueError) as refused:
        parse_coordinates(lat, lng)
    assert str(refused.value)


def test_the_process_that_saves_a_boundary_answers_from_it_at_once(settings, django_capture_on_commit_callbacks):
    settings.GRID_INDEX_CHECK_SECONDS = 3600  # never re-check on a timer: only the save may refresh it
    grid, neighbour, point = _a_grid_a_neighbour_and_a_point_between()
    assert grid_locate(lat=point[1], lng=point[0]).grid_code == neighbour.code
    with django_capture_on_commit_callbacks(execute=True):
        _give_point_to(grid, neighbour, point, save=True)
    assert grid_locate(lat=point[1], lng=point[0]).grid_code == grid.code


def test_a_boundary_changed_by_another_process_is_seen_at_the_next_check(settings):
    settings.GRID_INDEX_CHECK_SECONDS = 0
    grid, neighbour, point = _a_grid_a_neighbour_and_a_point_between()
    assert grid_locate(lat=point[1], lng=point[0]).grid_code == neighbour.code
    # Another process writes rows and the revision; this process gets no signal at all.
    _give_point_to(grid, neighbour, point, save=False)
    BoundaryRevision.objects.filter(pk=1).update(number=F("number") + 1, changed_at=timezone.now())
    assert grid_locate(lat=point[1], lng=point[0]).grid_code == grid.code


def _a_grid_a_neighbour_and_a_point_between():
    grid = Grid.objects.order_by("code").first()
    shape = to_shape(grid.boundary)
    for neighbour in Grid.objects.exclude(pk=grid.pk):
        other = to_shape(neighbour.boundary)
        if shape.intersection(other).length > 0:
            # A point inside the neighbour, close to the shared edge.
            edge = shape.intersection(other)
            near = other.intersection(edge.buffer(1e-5)).representative_point()
            return grid, neighbour, (near.x, near.y)
    raise AssertionError("the first grid has no neighbour")


def _give_point_to(grid, neighbour, point, *, save):
    """Move the shared edge so that the point passes from the neighbour to the grid."""
    from shapely.geometry import Point

    bite = Point(point).buffer(2e-5)
    grown = to_shape(grid.boundary).union(bite.intersection(to_shape(neighbour.boundary)))
    shrunk = to_shape(neighbour.boundary).difference(bite)
    if save:
        neighbour.boundary = to_geojson(shrunk)
        neighbour.save()
        grid.boundary = to_geojson(grown)
        grid.save()
    else:
        Grid.objects.filter(pk=neighbour.pk).update(boundary=to_geojson(shrunk))
        Grid.objects.filter(pk=grid.pk).update(boundary=to_geojson(grown))


def test_points_on_the_outermost_edges_and_corners_are_inside():
    left = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    right = Polygon([(1, 0), (3, 0), (3, 1), (1, 1)])
    index = GridIndex([("A", left, "A"), ("B", right, "B")])
    assert index.locate(0, 0) == "A"  # south-west corner
    assert index.locate(1, 3) == "B"  # north-east corner
    assert index.locate(0.5, 3) == "B"  # east edge
    assert index.locate(1, 1) == "A"  # vertex shared by both, on the north edge
    assert index.locate(1.000001, 1) is None
    assert GridIndex([]).locate(0, 0) is None
