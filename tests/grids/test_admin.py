"""Managing areas in the admin: bad boundaries are refused with a message that says which problem."""
import json

import pytest
from shapely.affinity import translate

from grids.boundaries import to_geojson, to_shape
from grids.models import Community, Grid, Street
from tests.forms import form_data

pytestmark = pytest.mark.django_db


def change_form(client, model, obj):
    url = f"/admin/grids/{model}/{obj.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    return url, form_data(page.content.decode(), f"{model}_form")


def post_boundary(client, model, obj, boundary):
    url, data = change_form(client, model, obj)
    data["boundary"] = boundary if isinstance(boundary, str) else json.dumps(boundary)
    return client.post(url, data)


@pytest.fixture
def admin_client_(signed_in, grid_admin):
    return signed_in(grid_admin)


@pytest.fixture
def grid():
    return Grid.objects.select_related("community").order_by("code")[5]


def refused(response, obj, message):
    assert response.status_code == 200, "the form should be shown again, not saved"
    text = response.content.decode()
    assert "errornote" in text
    assert message in text, text[text.find("errorlist"):][:600]
    fresh = type(obj).objects.get(pk=obj.pk)
    assert fresh.boundary == obj.boundary, "a refused boundary must not be saved"


def test_a_self_intersecting_boundary_is_refused(admin_client_, grid):
    x0, y0, x1, y1 = to_shape(grid.boundary).bounds
    bowtie = {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]}
    refused(post_boundary(admin_client_, "grid", grid, bowtie), grid, "Self-intersection")


def test_a_boundary_outside_its_community_is_refused(admin_client_, grid):
    moved = translate(to_shape(grid.boundary), xoff=0.05)
    response = post_boundary(admin_client_, "grid", grid, to_geojson(moved))
    refused(response, grid, grid.community.name)


def test_a_boundary_overlapping_a_sibling_grid_is_refused(admin_client_, grid):
    shape = to_shape(grid.boundary)
    sibling = next(g for g in Grid.objects.filter(community=grid.community).exclude(pk=grid.pk)
                   if to_shape(g.boundary).intersection(shape).length > 0)
    grown = shape.union(to_shape(sibling.boundary).intersection(shape.buffer(0.0005))).buffer(0)
    response = post_boundary(admin_client_, "grid", grid, to_geojson(grown))
    refused(response, grid, sibling.name)


def test_a_boundary_that_is_not_a_polygon_or_not_geojson_is_refused(admin_client_, grid):
    refused(post_boundary(admin_client_, "grid", grid, {"type": "Point", "coordinates": [123.95, 47.35]}), grid, "Point")
    refused(post_boundary(admin_client_, "grid", grid, "{not json"), grid, "JSON")


def test_a_good_boundary_is_saved(admin_client_, grid):
    smaller = to_shape(grid.boundary).buffer(-0.0001)
    response = post_boundary(admin_client_, "grid", grid, to_geojson(smaller))
    assert response.status_code == 302
    assert to_shape(Grid.objects.get(pk=grid.pk).boundary).equals_exact(smaller, 1e-12)


def test_community_and_street_boundaries_are_checked_against_their_parents_and_siblings(admin_client_):
    community = Community.objects.select_related("street").order_by("code").first()
    moved = translate(to_shape(community.boundary), xoff=0.2)
    refused(post_boundary(admin_client_, "community", community, to_geojson(moved)), community, community.street.name)
    street = Street.objects.order_by("code").first()
    other = Street.objects.order_by("code")[1]
    grown = to_shape(street.boundary).union(to_shape(other.boundary).buffer(-0.001))
    refused(post_boundary(admin_client_, "street", street, to_geojson(grown)), street, other.name)


def test_the_change_page_draws_the_boundary_on_a_leaflet_map_served_locally(admin_client_, grid):
    page = admin_client_.get(f"/admin/grids/grid/{grid.pk}/change/").content.decode()
    assert "leaflet/leaflet.js" in page and "leaflet/draw/leaflet.draw.js" in page
    assert "unpkg" not in page and "cdnjs" not in page and "jsdelivr" not in page


@pytest.mark.parametrize(
    "path",
    ["/admin/grids/grid/?q=东市场", "/admin/grids/grid/?community__street__id__exact=1",
     "/admin/grids/community/?q=亨达", "/admin/grids/street/", "/admin/grids/department/?q=城管",
     "/admin/grids/user/?role__exact=grid_officer&q=网格", "/admin/grids/district/"],
)
def test_every_area_list_is_searchable_and_filterable_with_bounded_queries(admin_client_, path,
                                                                            django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = admin_client_.get(path)
    assert response.status_code == 200


def test_grid_search_finds_the_grid(admin_client_):
    page = admin_client_.get("/admin/grids/grid/", {"q": "亨达社区第3网格"}).content.decode()
    assert "亨达社区第3网格" in page
    assert "亨达社区第4网格" not in page and "东市场社区第3网格" not in page
