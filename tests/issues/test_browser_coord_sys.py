"""On a GCJ-02 base map (MAP_PROVIDER=amap; tiles stay off in tests) the pages convert both ways in a real
browser: the grids are drawn where Amap's streets would be, a tap files the WGS-84 point under the finger,
and a stored point is drawn at its GCJ-02 position."""
import math

import pytest
import shapely

from grids.boundaries import to_shape
from grids.coords import wgs84_to_gcj02
from grids.models import Grid
from tests.issues.test_browser_whistle import browser, screenshot, sign_in, tap_map_at  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser]


def metres(lat1, lng1, lat2, lng2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2)
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


@pytest.fixture
def amap(settings):
    settings.MAP_PROVIDER = "amap"
    assert settings.MAP_TILE_URL == ""  # no tile is ever fetched


def test_a_tap_on_an_amap_map_files_the_wgs84_point_under_the_finger(transactional_db, demo_district, categories,
                                                                    live_server, browser, amap, file_issue):
    grid = Grid.objects.get(name="东市场社区第1网格")
    boundary = to_shape(grid.boundary)
    wgs = boundary.representative_point()
    gcj_lat, gcj_lng = wgs84_to_gcj02(wgs.y, wgs.x)

    page = sign_in(browser, live_server, "resident", "/whistle/new/")
    page.wait_for_selector('body[data-grids-loaded="840"]')
    # The grid's outline is drawn shifted to GCJ-02, where Amap's tiles show the place.
    drawn = page.evaluate(
        """(code) => {
            let bounds = null;
            window.whistleMap.eachLayer((layer) => {
                if (layer.feature && layer.feature.properties.code === code) bounds = layer.getBounds();
            });
            const c = bounds.getCenter();
            return [c.lat, c.lng];
        }""",
        grid.code,
    )
    expected = wgs84_to_gcj02(boundary.centroid.y, boundary.centroid.x)
    assert metres(*drawn, *expected) < 100 and metres(*drawn, boundary.centroid.y, boundary.centroid.x) > 400

    tap_map_at(page, gcj_lat, gcj_lng, zoom=18)
    page.wait_for_selector(f'body[data-located="{grid.code}"]')
    assert "东市场社区第1网格" in page.inner_text("#whistle-place")
    lat = float(page.input_value("input[name=lat]"))
    lng = float(page.input_value("input[name=lng]"))
    assert shapely.intersects_xy(boundary, lng, lat)
    assert metres(lat, lng, wgs.y, wgs.x) < 2  # a pixel at zoom 18 is 0.4 m
    screenshot(page, "amap-tapped")

    # A stored (WGS-84) point is drawn at its GCJ-02 position on the issue's page.
    issue = file_issue(lat=wgs.y, lng=wgs.x)
    page.goto(f"{live_server.url}/issues/{issue.number}/")
    pin = page.evaluate(
        """() => {
            let at = null;
            window.issueMap.eachLayer((layer) => { if (layer instanceof L.Marker) at = layer.getLatLng(); });
            return [at.lat, at.lng];
        }"""
    )
    assert metres(*pin, gcj_lat, gcj_lng) < 0.01
    # And the public map answers a click at the GCJ-02 position with the grid under it.
    page.goto(f"{live_server.url}/")
    page.wait_for_selector('body[data-grids-loaded="840"]')
    x, y = page.evaluate(
        """([lat, lng]) => {
            window.districtMap.setView([lat, lng], 18, { animate: false });
            const p = window.districtMap.latLngToContainerPoint([lat, lng]);
            return [p.x, p.y];
        }""",
        [gcj_lat, gcj_lng],
    )
    page.locator("#district-map").click(position={"x": x, "y": y})
    page.wait_for_selector(".grid-name")
    assert "东市场社区第1网格" in page.inner_text("#grid-answer")
