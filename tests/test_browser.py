"""The public map in a real browser (Debian's Chromium driven by Playwright): click a grid, read its name."""
from pathlib import Path

import pytest

from grids.boundaries import to_shape
from grids.models import Grid
from tests.conftest import require_tool

pytestmark = [pytest.mark.browser]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


@pytest.fixture
def page(monkeypatch):
    require_tool(CHROMIUM)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the test makes
    # meanwhile are ordinary blocking calls, which Django would otherwise refuse.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        # An English-speaking phone: the page must still come up in Chinese.
        context = browser.new_context(viewport={"width": 412, "height": 860}, locale="en-US", device_scale_factor=2)
        yield context.new_page()
        browser.close()
        # While Playwright's loop runs, Django keys its connections by that context, so ORM calls made
        # by the test opened connections of their own: close them here, in the same context.
        from django.db import connections

        connections.close_all()


def test_a_resident_taps_the_map_and_is_told_which_grid_it_is(transactional_db, demo_district, live_server, page):
    grid = Grid.objects.select_related("community__street").get(name="亨达社区第3网格")
    point = to_shape(grid.boundary).representative_point()

    page.goto(f"{live_server.url}/")
    page.wait_for_selector('body[data-grids-loaded="840"]')
    assert "点击地图" in page.inner_text("#grid-answer")
    x, y = page.evaluate(
        "([lat, lng]) => { const p = window.districtMap.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }",
        [point.y, point.x],
    )
    page.locator("#district-map").click(position={"x": x, "y": y})
    page.wait_for_selector(".grid-name")
    answer = page.inner_text("#grid-answer")
    assert "亨达社区第3网格" in answer
    assert "西大桥街道" in answer and grid.code in answer
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "map-grid-clicked.png", full_page=True)

    page.locator("#district-map").click(position={"x": 5, "y": 5})  # the corner lies outside the district
    page.wait_for_selector("#grid-answer .outside")
    assert "不在本区范围内" in page.inner_text("#grid-answer")
