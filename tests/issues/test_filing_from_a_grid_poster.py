"""Filing from a grid's QR poster (/whistle/new/?grid=<code>): the grid is filled in, a whistle without
a pin lands in it, a pin placed by hand wins, and an unknown code is no error page."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from shapely.affinity import scale

from grids.boundaries import to_geojson, to_shape
from grids.models import Grid
from issues.models import Issue
from tests.forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid(grid_officer):
    return Grid.objects.select_related("community").get(pk=grid_officer.grid_id)


@pytest.fixture
def other_grid(grid):
    return Grid.objects.exclude(community=grid.community).order_by("code").first()


def prefilled(client, code, **fields):
    """What the resident's browser posts from the page opened by the link, with ``fields`` typed in."""
    page = client.get(f"/whistle/new/?grid={code}")
    assert page.status_code == 200
    return {**form_data(page.content.decode(), "whistle-form"), **fields}


def point(issue):
    return to_shape({"type": "Point", "coordinates": [issue.lng, issue.lat]})


def typed(garbage):
    return {"category": str(garbage.pk), "title": "路灯不亮", "description": "小区门口的路灯坏了一周。"}


def test_a_whistle_sent_without_a_pin_is_filed_in_the_grid_of_the_link(signed_in, resident, grid, garbage):
    client = signed_in(resident)
    data = prefilled(client, grid.code, **typed(garbage))
    assert data["grid"] == grid.code and data["lat"] == data["lng"] == ""
    response = client.post(f"/whistle/new/?grid={grid.code}", data)
    assert response.status_code == 302
    issue = Issue.objects.get(filed_by=resident)
    assert response["Location"] == f"/whistle/filed/{issue.number}/"
    assert issue.grid_id == grid.pk
    assert to_shape(grid.boundary).contains(point(issue))


def test_a_pin_placed_by_hand_wins_over_the_grid_of_the_link(signed_in, resident, grid, other_grid, garbage):
    client = signed_in(resident)
    spot = to_shape(other_grid.boundary).representative_point()
    data = prefilled(client, grid.code, lat=f"{spot.y:.6f}", lng=f"{spot.x:.6f}", **typed(garbage))
    assert client.post(f"/whistle/new/?grid={grid.code}", data).status_code == 302
    assert Issue.objects.get(filed_by=resident).grid_id == other_grid.pk


def test_after_a_boundary_edit_the_link_files_inside_the_new_boundary(signed_in, resident, grid, garbage):
    shrunk = scale(to_shape(grid.boundary), xfact=0.4, yfact=0.4)
    grid.boundary = to_geojson(shrunk)
    grid.save()
    client = signed_in(resident)
    data = prefilled(client, grid.code, **typed(garbage))
    assert client.post(f"/whistle/new/?grid={grid.code}", data).status_code == 302
    issue = Issue.objects.get(filed_by=resident)
    assert issue.grid_id == grid.pk and shrunk.contains(point(issue))


def test_an_unknown_grid_in_the_link_shows_the_plain_page_with_a_message(signed_in, resident):
    client = signed_in(resident)
    page = client.get("/whistle/new/?grid=nonsense<b>&lang=en")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="unknown-grid"' in text and "No grid has the code nonsense&lt;b&gt;" in text
    assert 'id="linked-grid"' not in text and "linkedGrid" not in text
    assert form_data(text, "whistle-form")["grid"] == ""


def test_an_unknown_grid_posted_without_a_pin_is_a_form_error_that_keeps_the_text(signed_in, resident, garbage):
    client = signed_in(resident)
    response = client.post("/whistle/new/?lang=en", {**typed(garbage), "grid": "230203999999999", "lat": "", "lng": ""})
    assert response.status_code == 400
    assert "The grid of this link is unknown" in response.content.decode()
    assert form_data(response.content.decode(), "whistle-form")["title"] == "路灯不亮"
    assert not Issue.objects.exists()


def test_the_linked_page_costs_one_query_more_than_the_plain_page(signed_in, resident, grid, categories):
    client = signed_in(resident)
    client.get("/whistle/new/")  # the session and the caches warm
    with CaptureQueriesContext(connection) as plain:
        client.get("/whistle/new/")
    with CaptureQueriesContext(connection) as linked:
        client.get(f"/whistle/new/?grid={grid.code}")
    assert len(linked) == len(plain) + 1
