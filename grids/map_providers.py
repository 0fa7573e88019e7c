"""The base map under every page's grids: which tiles, and in which coordinate system they are drawn.

Settings name the provider (``MAP_PROVIDER``: osm, tianditu, amap, local; see README, "Map providers"). ``local``
is the site's own tiles (``grids.tiles``, ``/tiles/<z>/<x>/<y>.png``): the grid boundaries on a plain background,
drawn from the database, so a map needs no network at all (the demo's default). The
server stores WGS-84 only; a provider whose tiles are GCJ-02 (Amap) makes the pages convert every
point both ways in the browser (``static/grids/coords.js``). ``MAP_TILE_URL``, when set, replaces the
provider's tiles (empty: no base map and no network at all) and keeps the provider's coordinate system.

Plain Python without models: the settings call ``map_provider`` to refuse to start on a bad setting.
"""
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .coords import CoordSys

OSM_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
TIANDITU_WMTS = ("https://t{s}.tianditu.gov.cn/%(layer)s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                 "&LAYER=%(layer)s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                 "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%(key)s")


@dataclass(frozen=True)
class TileLayer:
    url: str
    attribution: str = ""
    subdomains: str = "abc"
    max_zoom: int = 19

    def as_leaflet(self) -> dict:
        """What ``L.tileLayer(url, options)`` takes (coords.js's addTiles)."""
        return {"url": self.url, "options": {"attribution": self.attribution, "subdomains": self.subdomains,
                                             "maxZoom": self.max_zoom}}

    def origins(self) -> list[str]:
        """Where the browser fetches this layer's tiles from (``https://a.tile.example`` for each of the
        ``{s}`` subdomains), as a Content-Security-Policy source; none for tiles served by the site itself."""
        hosts = [self.url.replace("{s}", subdomain) for subdomain in self.subdomains] if "{s}" in self.url \
            else [self.url]
        origins = []
        for url in hosts:
            parts = urlsplit(url)
            if not parts.netloc:
                continue  # a path on this site: 'self' covers it
            host = parts.netloc
            if "{" in host:  # another placeholder in the host name: allow its parent domain's subdomains
                host = "*." + host.split(".", 1)[-1]
            origins.append(f"{parts.scheme}://{host}" if parts.scheme else host)
        return list(dict.fromkeys(origins))


@dataclass(frozen=True)
class MapProvider:
    name: str
    coord_sys: CoordSys
    layers: tuple[TileLayer, ...] = field(default=())


def _osm(_key):
    return MapProvider("osm", CoordSys.WGS84, (
        TileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", OSM_ATTRIBUTION),))


def _tianditu(key):
    if not key:
        raise ImproperlyConfigured("MAP_PROVIDER=tianditu needs TIANDITU_KEY (a browser key from the Tianditu console).")
    attribution = '© <a href="https://www.tianditu.gov.cn/">天地图</a>'
    # Web-mercator ("_w") tiles in CGCS2000, which is WGS-84 to within centimetres: no conversion.
    return MapProvider("tianditu", CoordSys.WGS84, (
        TileLayer(TIANDITU_WMTS % {"layer": "vec", "key": key}, attribution, "01234567", 18),
        TileLayer(TIANDITU_WMTS % {"layer": "cva", "key": key}, "", "01234567", 18),  # the place names
    ))


def _amap(_key):
    return MapProvider("amap", CoordSys.GCJ02, (
        TileLayer("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
                  "© 高德地图 AutoNavi", "1234", 18),))


# The tile view's path (grids/urls.py, "map-tile"): settings are read before URLs can be reversed.
LOCAL_TILE_URL = "/tiles/{z}/{x}/{y}.png"
LOCAL_ATTRIBUTION = "网格边界 © 建华区"


def _local(_key):
    # Drawn from the stored WGS-84 boundaries; on the site itself, so 'self' in the CSP covers it.
    return MapProvider("local", CoordSys.WGS84, (TileLayer(LOCAL_TILE_URL, LOCAL_ATTRIBUTION, "", 19),))


PROVIDERS = {"osm": _osm, "tianditu": _tianditu, "amap": _amap, "local": _local}


def map_provider(name: str, *, tianditu_key: str = "", tile_url: str | None = None,
                 tile_attribution: str | None = None) -> MapProvider:
    """The provider called ``name`` with its layers; ImproperlyConfigured for an unknown name or a missing key.

    ``tile_url`` (``MAP_TILE_URL``), when not None, replaces the provider's layers with that one URL,
    or with none when it is empty; ``tile_attribution`` replaces the first layer's attribution.
    """
    if name not in PROVIDERS:
        raise ImproperlyConfigured(f"MAP_PROVIDER={name!r} is not a map provider: use one of {', '.join(PROVIDERS)}.")
    provider = PROVIDERS[name](tianditu_key)
    layers = provider.layers
    if tile_url is not None:
        layers = (TileLayer(tile_url, layers[0].attribution if layers else ""),) if tile_url else ()
    if tile_attribution is not None and layers:
        layers = (TileLayer(layers[0].url, tile_attribution, layers[0].subdomains, layers[0].max_zoom), *layers[1:])
    return MapProvider(provider.name, provider.coord_sys, layers)


def admin_leaflet_config(provider: MapProvider) -> dict:
    """django-leaflet's TILES and OVERLAYS for the admin's boundary editor, which draws stored WGS-84 as
    it is: the provider's tiles when they are WGS-84, else OpenStreetMap's (GCJ-02 tiles would sit 500 m off)."""
    if provider.coord_sys != CoordSys.WGS84:
        provider = _osm("")

    def entry(name, layer):
        return (name, layer.url, {"attribution": layer.attribution, "subdomains": layer.subdomains,
                                  "maxZoom": layer.max_zoom})

    base, *overlays = provider.layers or (None,)
    return {"TILES": [entry(_("Base map"), base)] if base else [],
            "OVERLAYS": [entry(_("Place names"), layer) for layer in overlays]}


def tile_origins(provider: MapProvider) -> list[str]:
    """Every origin a page or the admin's boundary editor loads tiles from with this provider (the
    Content-Security-Policy's img-src, jianhua/settings/base.py): the provider's layers, and the ones
    ``admin_leaflet_config`` puts in the admin."""
    admin = provider if provider.coord_sys == CoordSys.WGS84 else _osm("")
    return list(dict.fromkeys(origin for layer in (*provider.layers, *admin.layers) for origin in layer.origins()))
