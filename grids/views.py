from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import District


def base_map_config() -> dict:
    """What every page's Leaflet map starts from: the view, the tiles and the grid layers' URLs."""
    return {
        "center": settings.LEAFLET_CONFIG["DEFAULT_CENTER"],
        "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
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
    """For load balancers and compose: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
