from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

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
