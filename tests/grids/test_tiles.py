"""The local base map (MAP_PROVIDER=local): tiles the site draws from the grid boundaries, at /tiles/<z>/<x>/<y>.png."""
import io
import math

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image

from grids import tiles
from grids.boundaries import to_shape
from grids.map_providers import LOCAL_TILE_URL, admin_leaflet_config, map_provider, tile_origins
from grids.models import Grid
from grids.views import base_map_config

pytestmark = pytest.mark.django_db
REDIS_DOWN = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": "redis://127.0.0.1:1/0"}}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tiles-test"}}


@pytest.fixture(autouse=True)
def own_cache(settings):
    """A cache of this test's own (no tile of another test, or of a PostgreSQL run's Redis, is served)."""
    from django.core.cache import cache

    settings.CACHES = {**LOCMEM}
    cache.clear()
    tiles.source_expire()
    yield
    cache.clear()


def tile_of(z, lat, lng):
    """The tile z/x/y holding a point, and the point's pixel in it."""
    n = 2 ** z
    fx = (lng + 180) / 360 * n
    fy = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return (z, int(fx), int(fy)), (int((fx % 1) * 256), int((fy % 1) * 256))


def fetch(z, x, y, **headers):
    return Client().get(f"/tiles/{z}/{x}/{y}.png", **headers)


def picture(response):
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.size == (256, 256)
    return image.convert("RGB")


def darkest_near(image, pixel, reach=2):
    x0, y0 = pixel
    return min(sum(image.getpixel((x, y))) for x in range(max(0, x0 - reach), min(256, x0 + reach + 1))
               for y in range(max(0, y0 - reach), min(256, y0 + reach + 1)))


def a_grid():
    grid = Grid.objects.get(code=Grid.objects.order_by("code").values_list("code", flat=True)[400])
    return grid, to_shape(grid.boundary)


def test_a_tile_inside_the_district_has_the_grid_lines_where_the_boundaries_are():
    grid, polygon = a_grid()
    inside = polygon.representative_point()
    (z, x, y), centre_pixel = tile_of(16, inside.y, inside.x)

    image = picture(fetch(z, x, y))

    colours = {colour for _count, colour in image.getcolors(256 * 256)}
    assert len(colours) > 3  # a tint, lines and their anti-aliased edges
    # Inside the grid: its street's pale tint, not a line, not the background outside the district.
    assert sum(image.getpixel(centre_pixel)) > 3 * 230 and image.getpixel(centre_pixel) != tiles.OUTSIDE
    # On the grid's own edge (the middle of one side that lies in this tile): a line.
    coords = list(polygon.exterior.coords)
    on_edge = [((a[1] + b[1]) / 2, (a[0] + b[0]) / 2) for a, b in zip(coords, coords[1:], strict=False)]
    drawn = [tile_of(16, lat, lng) for lat, lng in on_edge]
    edge_pixels = [pixel for tile, pixel in drawn if tile == (z, x, y) and 3 <= min(pixel) and max(pixel) <= 252]
    assert edge_pixels, "no edge of the grid in its own tile"
    assert all(darkest_near(image, pixel) < 3 * 215 for pixel in edge_pixels)


def test_a_tile_far_from_the_district_is_plain():
    (z, x, y), _pixel = tile_of(13, 45.75, 126.63)  # Harbin

    image = picture(fetch(z, x, y))

    assert image.getcolors() == [(256 * 256, tiles.OUTSIDE)]
    beijing = tile_of(13, 39.9, 116.4)[0]
    assert fetch(*beijing).content == fetch(z, x, y).content  # the same blank tile everywhere outside


def test_the_whole_district_at_a_low_zoom_shows_its_streets():
    (z, x, y), pixel = tile_of(11, 47.35, 123.95)

    image = picture(fetch(z, x, y))

    assert image.getpixel(pixel) != tiles.OUTSIDE  # the district's tint around its seat
    assert tiles.OUTSIDE in {colour for _count, colour in image.getcolors(256 * 256)}  # and the land around it


@pytest.mark.parametrize("path", [
    "/tiles/20/0/0.png",  # beyond the deepest zoom
    "/tiles/3/8/0.png",  # x beyond 2^z − 1
    "/tiles/3/0/8.png",
    "/tiles/-1/0/0.png",
    "/tiles/3/a/0.png",
    "/tiles/3/0/0.jpg",
    "/tiles/99999999999999999999/0/0.png",
])
def test_a_tile_that_does_not_exist_is_a_404(path):
    assert Client().get(path).status_code == 404


def test_a_tile_is_cacheable_and_answers_a_revalidation_with_304():
    grid, polygon = a_grid()
    (z, x, y), _pixel = tile_of(15, polygon.centroid.y, polygon.centroid.x)

    first = fetch(z, x, y)

    assert "public" in first["Cache-Control"] and f"max-age={tiles.BROWSER_CACHE_SECONDS}" in first["Cache-Control"]
    again = fetch(z, x, y, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert fetch(z, x, y, HTTP_IF_NONE_MATCH='"tile-0-old"').status_code == 200
    assert Client().head(f"/tiles/{z}/{x}/{y}.png").status_code == 200
    assert Client().post(f"/tiles/{z}/{x}/{y}.png").status_code == 405


def test_a_drawn_tile_is_served_from_the_cache_without_drawing_it_again(monkeypatch, django_assert_max_num_queries):
    grid, polygon = a_grid()
    (z, x, y), _pixel = tile_of(14, polygon.centroid.y, polygon.centroid.x)
    first = fetch(z, x, y)

    def no_drawing(*args):
        raise AssertionError("drawn again")

    monkeypatch.setattr(tiles, "tile_draw", no_drawing)
    with django_assert_max_num_queries(1):  # at most the boundary revision's check
        again = fetch(z, x, y)
    assert again.content == first.content


@override_settings(CACHES=REDIS_DOWN)
def test_with_redis_down_a_tile_is_still_drawn():
    grid, polygon = a_grid()
    (z, x, y), _pixel = tile_of(14, polygon.centroid.y, polygon.centroid.x)

    assert len(picture(fetch(z, x, y)).getcolors(256 * 256)) > 3


def test_a_changed_boundary_changes_the_tiles(django_capture_on_commit_callbacks):
    grid, polygon = a_grid()
    (z, x, y), pixel = tile_of(17, polygon.centroid.y, polygon.centroid.x)
    before = fetch(z, x, y)
    assert darkest_near(picture(before), pixel) > 3 * 230  # the middle of the grid: no line

    # The admin moves a boundary through the grid's middle (it shrinks to its western half).
    minx, miny, maxx, maxy = polygon.bounds
    from shapely.geometry import box, mapping

    half = polygon.intersection(box(minx, miny, polygon.centroid.x, maxy))
    with django_capture_on_commit_callbacks(execute=True):
        grid.boundary = mapping(half)
        grid.save()
    after = fetch(z, x, y)

    assert after["ETag"] != before["ETag"]
    assert fetch(z, x, y, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200
    assert darkest_near(picture(after), pixel) < 3 * 215  # the new edge runs through it


def test_the_local_provider_hands_the_pages_the_sites_own_tiles(settings):
    settings.MAP_PROVIDER, settings.MAP_TILE_URL = "local", None

    config = base_map_config()

    assert config["coordSys"] == "wgs84"
    assert [layer["url"] for layer in config["tileLayers"]] == ["/tiles/{z}/{x}/{y}.png"] == [LOCAL_TILE_URL]
    assert LOCAL_TILE_URL.format(z=12, x=3458, y=1434) == reverse("map-tile", args=(12, 3458, 1434))
    # On the site itself: 'self' in the Content-Security-Policy covers it, no tile server to allow.
    assert tile_origins(map_provider("local")) == []
    # The admin's boundary editor draws on them too (WGS-84): no network there either.
    assert [url for _name, url, _options in admin_leaflet_config(map_provider("local"))["TILES"]] == [LOCAL_TILE_URL]
