"""The community's patrol coverage map in a real browser: after a patrol in the grid officer's grid, the
community staff see their grids drawn, the walked one green; the households visited colour the dashboard's
map of the community's grids. Screenshots: var/screenshots/field-coverage.png, dashboard-visits.png."""
import datetime
import uuid

import pytest
from django.utils import timezone

from field import services
from grids.boundaries import to_shape
from grids.models import BuildingUnit, Grid
from tests.stats.test_browser_dashboard import SCREENSHOTS, browser, sign_in  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser]


def test_the_community_sees_the_grid_walked_today_on_its_map(transactional_db, demo_district, grid_officer,
                                                             live_server, browser):  # noqa: F811
    point = to_shape(grid_officer.grid.boundary).representative_point()
    services.patrol_points_add(officer=grid_officer, patrol=uuid.uuid4(), points=[
        services.PointIn(at=timezone.now() - datetime.timedelta(minutes=3 - i), lat=point.y, lng=point.x + i * 1e-4,
                         accuracy=5.0) for i in range(3)])
    unit = BuildingUnit.objects.select_related("building").filter(building__grid=grid_officer.grid).first()
    services.visit_record(officer=grid_officer, unit=unit, room="101", visited_at=timezone.now())

    page = sign_in(browser, live_server, "community_staff", "/field/coverage/")
    grids = Grid.objects.filter(community=grid_officer.grid.community).count()
    page.wait_for_selector(f"body[data-coverage-drawn='{grids}']")
    assert page.locator("path.leaflet-interactive[fill='#31a354']").count() == 1
    assert page.locator("path.leaflet-interactive[fill='#d0d0d0']").count() == grids - 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "field-coverage.png", full_page=True)

    page.goto(f"{live_server.url}/dashboard/?measure=households_visited&period=this_month")
    page.wait_for_selector("body[data-map-drawn^='grid:']")
    table = page.locator("#map-table").text_content()
    assert grid_officer.grid.name in table
    page.screenshot(path=SCREENSHOTS / "dashboard-visits.png", full_page=True)
