"""A resident scans a grid's QR poster in a real browser (Debian's Chromium through Playwright), signed
in already: finds the map on the grid and sends the whistle without a pin – the phone will not say
where it is.
Screenshots in var/screenshots/whistle-poster-<step>.png."""
import pytest

from grids.boundaries import to_shape
from grids.models import Grid
from issues.models import Issue
from tests.conftest import DEMO_PASSWORD
from tests.issues.test_browser_whistle import PHONE, TIMEOUT_MS, browser, screenshot  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser]


def test_a_resident_scans_a_poster_and_files_in_its_grid_without_a_pin(transactional_db, demo_district, categories,
                                                                       live_server, browser):  # noqa: F811
    grid = Grid.objects.select_related("community").get(name="东盛社区第2网格")
    west, south, east, north = to_shape(grid.boundary).bounds
    page = browser.new_context(**PHONE).new_page()  # no geolocation permission: the phone refuses
    page.set_default_timeout(TIMEOUT_MS)

    page.goto(f"{live_server.url}/accounts/login/?next=/g/{grid.code}")  # an account of old; new visitors:
    # tests/test_browser_front_door.py
    page.fill("#id_username", "resident")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/whistle/new/?grid={grid.code}")
    page.wait_for_selector('body[data-grids-loaded="840"]')

    assert page.get_attribute("#linked-grid", "data-grid") == grid.code
    assert grid.name in page.inner_text("#linked-grid")
    view = page.evaluate("""() => {
        const b = window.whistleMap.getBounds();
        return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth(), window.whistleMap.getZoom()];
    }""")
    assert view[0] <= west and view[1] <= south and view[2] >= east and view[3] >= north, "the whole grid in view"
    assert view[4] >= 15, "zoomed on the grid, not the district"

    page.select_option("#id_category", str(categories.get(code="garbage").pk))
    page.fill("#id_title", "楼下垃圾桶满了")
    page.fill("#id_description", "垃圾桶两天没清，垃圾堆在地上。")
    screenshot(page, "poster-01-linked")
    page.click("#whistle-submit")
    page.wait_for_url("**/whistle/filed/*/")
    issue = Issue.objects.get(number=page.inner_text("#tracking-number").strip())
    assert issue.grid_id == grid.pk and issue.reporter.username == "resident"
    screenshot(page, "poster-02-filed")
    page.context.close()
