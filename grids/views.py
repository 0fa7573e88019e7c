from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import tiles
from .map_providers import map_provider
from .models import District


def base_map_tiles() -> dict:
    """The base map's tile layers (for coords.js's addTiles) and the coordinate system they are drawn in."""
    provider = map_provider(settings.MAP_PROVIDER, tianditu_key=settings.TIANDITU_KEY,
                            tile_url=settings.MAP_TILE_URL, tile_attribution=settings.MAP_TILE_ATTRIBUTION)
    return {"tileLayers": [layer.as_leaflet() for layer in provider.layers], "coordSys": provider.coord_sys.value}


def base_map_config() -> dict:
    """What every page's Leaflet map starts from: the view, the tiles, their coordinate system and the
    grid layers' URLs. Points in it and from the API are WGS-84; coords.js converts for a GCJ-02 map."""
    return {
        "center": settings.LEAFLET_CONFIG["DEFAULT_CENTER"],
        "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
        **base_map_tiles(),
        "geojsonUrl": reverse("grid-geojson"),
        "locateUrl": reverse("grid-locate"),
    }


def district_map(request):
    """The public page: the district's grids on a map; a click tells which grid it fell in."""
    district = District.objects.only("name", "population").first()
    return render(request, "grids/map.html", {
        "district": district,
        "map_config": {
            **base_map_config(),
            "messages": {
                "loading": _("Loading the grids…"),
                "clickHint": _("Click or tap anywhere on the map to see which grid it belongs to."),
                "outside": _("This place is outside the district."),
                "failed": _("The grid could not be looked up. Please try again."),
                "grid": _("Grid"),
                "community": _("Community"),
                "street": _("Street"),
                "code": _("Code"),
                "gridCount": _("%(count)s grids"),
            },
        },
    })


def health(request):
    """Liveness, for compose and load balancers: 200 while the process answers. It asks nothing else (no
    database), so an outage elsewhere never gets a healthy web process restarted; /readyz asks the parts."""
    return JsonResponse({"status": "ok"})


@require_safe
def map_tile(request, z: int, x: int, y: int):
    """One tile of the local base map (MAP_PROVIDER=local, grids.tiles): drawn once per boundary revision and
    then served from the cache; browsers keep it an hour, then ask with the ETag (the field app's service worker
    keeps its grid's tiles for offline use)."""
    try:
        tiles.tile_check(z, x, y)
    except tiles.TileNotFound:
        raise Http404(_("No such map tile: zoom 0–%(max)s, x and y from 0 to 2^zoom − 1.") % {"max": tiles.MAX_ZOOM})
    source = tiles.tile_source()
    etag = f'"tile-{tiles.STYLE_VERSION}-{source.token}"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={tiles.BROWSER_CACHE_SECONDS}"}
    if etag in request.headers.get("If-None-Match", ""):
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(tiles.tile_png(source, z, x, y), content_type="image/png", headers=headers)
