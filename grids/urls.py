"""The grid posters' public pages, mounted at the site root (see jianhua/urls.py)."""
from django.urls import path

from . import poster_views, views

urlpatterns = [
    # Short on purpose: the shorter the link, the coarser (and easier to scan) the QR code.
    path("g/<str:code>", poster_views.grid_short_link, name="grid-short-link"),
    path("grids/<str:code>/poster.pdf", poster_views.grid_poster, name="grid-poster"),
    path("grids/<str:code>/qr.png", poster_views.grid_qr, name="grid-qr"),
    # The local base map (MAP_PROVIDER=local): grids.map_providers.LOCAL_TILE_URL names this path.
    path("tiles/<int:z>/<int:x>/<int:y>.png", views.map_tile, name="map-tile"),
]
