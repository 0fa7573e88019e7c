"""WGS-84 ↔ GCJ-02 (grids/coords.py and static/grids/coords.js) against published reference points, and
the map providers that say which of the two a page's base map is drawn in."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from grids.coords import CoordSys, UnknownCoordSys, gcj02_to_wgs84, to_wgs84, wgs84_to_gcj02
from grids.map_providers import admin_leaflet_config, map_provider
from grids.views import base_map_config
from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parent.parent.parent
COORDS_JS = ROOT / "static" / "grids" / "coords.js"

# (WGS-84 lat, lng, GCJ-02 lat, lng). Sources, as published in the projects' own tests:
# - googollee/eviltransform, go/transform_test.go and python/test.py (Shanghai, Shenzhen, Beijing);
# - dromara/hutool, CoordinateUtilTest.wgs84ToGcj02Test, checked there against wandergis/coordtransform;
# both are forward conversions computed by the published algorithm, to the last digit.
FORWARD_REFERENCES = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
    (39.915, 116.404, 39.91640428150164, 116.41024449916938),  # Beijing, Tiananmen
]
# hujiulong/gcoord, test/unit/crs/GCJ02.spec.js: GCJ-02 (45, 123) – in Heilongjiang, near Qiqihar – is
# WGS-84 (44.99804071, 122.99395597), asserted there to 5 decimals (about a metre).
INVERSE_REFERENCES = [(45.0, 123.0, 44.99804071, 122.99395597)]

QIQIHAR = [(47.20 + 0.03 * i, 123.70 + 0.04 * j) for i in range(11) for j in range(11)]
CHINA = [(18.5 + 2.5 * i, 74.0 + 4.0 * j) for i in range(15) for j in range(16)]
OUTSIDE_CHINA = [(51.5074, -0.1278), (35.6895, 139.6917), (-33.8688, 151.2093), (60.0, 100.0), (0.5, 100.0)]


def metres(lat1, lng1, lat2, lng2):
    """Haversine distance on a 6,371 km sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", FORWARD_REFERENCES)
def test_wgs84_to_gcj02_reproduces_the_published_points(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lat, lng = wgs84_to_gcj02(wgs_lat, wgs_lng)
    assert lat == pytest.approx(gcj_lat, abs=1e-9) and lng == pytest.approx(gcj_lng, abs=1e-9)


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", FORWARD_REFERENCES)
def test_the_exact_inverse_finds_the_published_wgs84_point(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lat, lng = gcj02_to_wgs84(gcj_lat, gcj_lng)
    assert metres(lat, lng, wgs_lat, wgs_lng) < 0.001  # the one-step inverse is off by metres here


@pytest.mark.parametrize("gcj_lat, gcj_lng, wgs_lat, wgs_lng", INVERSE_REFERENCES)
def test_the_inverse_matches_an_independent_implementation(gcj_lat, gcj_lng, wgs_lat, wgs_lng):
    lat, lng = gcj02_to_wgs84(gcj_lat, gcj_lng)
    assert lat == pytest.approx(wgs_lat, abs=1e-6) and lng == pytest.approx(wgs_lng, abs=1e-6)


def test_a_round_trip_comes_back_within_a_millimetre_across_qiqihar_and_china():
    worst = 0.0
    for lat, lng in QIQIHAR + CHINA:
        back = gcj02_to_wgs84(*wgs84_to_gcj02(lat, lng))
        worst = max(worst, metres(lat, lng, *back))
    assert worst < 0.001


def test_in_qiqihar_gcj02_lies_about_half_a_kilometre_east_and_a_quarter_north():
    lat, lng = 47.35, 123.95
    gcj_lat, gcj_lng = wgs84_to_gcj02(lat, lng)
    north = metres(lat, lng, gcj_lat, lng)
    east = metres(lat, lng, lat, gcj_lng)
    assert gcj_lat > lat and gcj_lng > lng
    assert 200 < north < 260 and 450 < east < 600  # measured: 232 m north, 498 m east


@pytest.mark.parametrize("lat, lng", OUTSIDE_CHINA)
def test_outside_china_both_systems_are_the_same(lat, lng):
    assert wgs84_to_gcj02(lat, lng) == (lat, lng)
    assert gcj02_to_wgs84(lat, lng) == (lat, lng)


def test_to_wgs84_converts_gcj02_keeps_wgs84_and_refuses_anything_else():
    gcj = wgs84_to_gcj02(47.35, 123.95)
    assert metres(*to_wgs84(*gcj, "gcj02"), 47.35, 123.95) < 0.001
    assert to_wgs84(*gcj, CoordSys.WGS84) == gcj
    assert to_wgs84(*gcj) == gcj
    with pytest.raises(UnknownCoordSys) as refused:
        to_wgs84(47.35, 123.95, "bd09")
    assert isinstance(refused.value, ValueError)
    assert "bd09" in str(refused.value) and "wgs84" in str(refused.value) and "gcj02" in str(refused.value)


# The browser's module -------------------------------------------------------------------------------

@pytest.fixture
def js_coords(monkeypatch):
    """evaluate(expression) in a blank Chromium page that has loaded static/grids/coords.js."""
    require_tool("/usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content("<!doctype html><title>coords</title>")
        page.add_script_tag(path=str(COORDS_JS))
        yield page.evaluate
        browser.close()


@pytest.mark.browser
def test_the_browser_module_gives_the_same_answers_as_the_server(js_coords):
    forward = [(lat, lng) for lat, lng, _gcj_lat, _gcj_lng in FORWARD_REFERENCES]
    points = forward + QIQIHAR[::7] + CHINA[::11] + OUTSIDE_CHINA
    answers = js_coords(
        """(points) => points.map(([lat, lng]) => {
            const gcj = JianhuaCoords.wgs84ToGcj02(lat, lng);
            return [gcj, JianhuaCoords.gcj02ToWgs84(gcj[0], gcj[1])];
        })""",
        points,
    )
    for (lat, lng), (gcj, back) in zip(points, answers):
        server = wgs84_to_gcj02(lat, lng)
        assert gcj[0] == pytest.approx(server[0], abs=1e-12) and gcj[1] == pytest.approx(server[1], abs=1e-12)
        assert metres(lat, lng, *back) < 0.001
    for (wgs_lat, wgs_lng, gcj_lat, gcj_lng), (gcj, _back) in zip(FORWARD_REFERENCES, answers):
        assert gcj[0] == pytest.approx(gcj_lat, abs=1e-9) and gcj[1] == pytest.approx(gcj_lng, abs=1e-9)
    for gcj_lat, gcj_lng, wgs_lat, wgs_lng in INVERSE_REFERENCES:
        lat, lng = js_coords("([lat, lng]) => JianhuaCoords.gcj02ToWgs84(lat, lng)", [gcj_lat, gcj_lng])
        assert lat == pytest.approx(wgs_lat, abs=1e-6) and lng == pytest.approx(wgs_lng, abs=1e-6)
    assert js_coords("JianhuaCoords.wgs84ToGcj02(51.5074, -0.1278)") == [51.5074, -0.1278]


# Map providers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("provider, coord_sys, host", [
    ("osm", "wgs84", "tile.openstreetmap.org"),
    ("tianditu", "wgs84", "tianditu.gov.cn"),
    ("amap", "gcj02", "is.autonavi.com"),
])
def test_each_provider_hands_the_pages_its_tiles_and_coordinate_system(settings, provider, coord_sys, host):
    settings.MAP_PROVIDER, settings.TIANDITU_KEY, settings.MAP_TILE_URL = provider, "browser-key-1", None
    config = base_map_config()
    assert config["coordSys"] == coord_sys
    assert config["tileLayers"] and all(host in layer["url"] for layer in config["tileLayers"])
    if provider == "tianditu":
        assert ["vec_w" in config["tileLayers"][0]["url"], "cva_w" in config["tileLayers"][1]["url"]] == [True, True]
        assert all("tk=browser-key-1" in layer["url"] for layer in config["tileLayers"])
        assert config["tileLayers"][0]["options"]["subdomains"] == "01234567"
    if provider == "amap":
        assert config["tileLayers"][0]["options"]["subdomains"] == "1234"


def test_tests_never_fetch_tiles_whatever_the_provider(settings):
    for provider in ("osm", "tianditu", "amap"):
        settings.MAP_PROVIDER, settings.TIANDITU_KEY = provider, "browser-key-1"
        assert base_map_config()["tileLayers"] == []


def test_map_tile_url_overrides_the_tiles_and_keeps_the_providers_coordinate_system(settings):
    settings.MAP_PROVIDER = "amap"
    settings.MAP_TILE_URL = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© 齐齐哈尔市自然资源局"
    config = base_map_config()
    assert config["coordSys"] == "gcj02"
    assert [(layer["url"], layer["options"]["attribution"]) for layer in config["tileLayers"]] == [
        ("https://tiles.example.gov.cn/{z}/{x}/{y}.png", "© 齐齐哈尔市自然资源局")]


def test_tianditu_without_its_key_or_an_unknown_provider_refuses_to_start():
    with pytest.raises(ImproperlyConfigured, match="TIANDITU_KEY"):
        map_provider("tianditu", tianditu_key="")
    with pytest.raises(ImproperlyConfigured, match="osm, tianditu, amap"):
        map_provider("baidu")


@pytest.mark.parametrize("environment, message", [
    ({"MAP_PROVIDER": "tianditu"}, "TIANDITU_KEY"),
    ({"MAP_PROVIDER": "baidu"}, "osm, tianditu, amap"),
])
def test_the_server_refuses_to_start_on_a_bad_map_provider(environment, message):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("MAP_", "TIANDITU", "DJANGO_SETTINGS"))},
           "SECRET_KEY": "x", **environment}
    started = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='jianhua.settings.production';"
                               " django.setup()"],
        capture_output=True, text=True, env=env, cwd=ROOT)
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr and message in started.stderr


def test_the_admins_boundary_editor_stays_on_wgs84_tiles():
    amap = admin_leaflet_config(map_provider("amap"))
    assert [url for _name, url, _options in amap["TILES"]] == ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"]
    tianditu = admin_leaflet_config(map_provider("tianditu", tianditu_key="k"))
    assert "vec_w" in tianditu["TILES"][0][1] and "cva_w" in tianditu["OVERLAYS"][0][1]


@pytest.mark.django_db
@pytest.mark.parametrize("url, config_id", [("/", "map-config"), ("/whistle/new/", "whistle-config")])
def test_every_map_page_loads_the_browser_module_and_says_its_coordinate_system(settings, client, resident, url,
                                                                               config_id):
    settings.MAP_PROVIDER = "amap"
    client.force_login(resident)
    page = client.get(url).content.decode()
    assert "grids/coords.js" in page
    start = page.index(f'id="{config_id}"')
    config = json.loads(page[page.index(">", start) + 1:page.index("</script>", start)])
    assert config["coordSys"] == "gcj02" and config["tileLayers"] == []
