"""WGS-84 ↔ GCJ-02: the server's one place for China's map datum.

The database stores WGS-84 (GPS, OpenStreetMap, Tianditu). Maps and apps in mainland China – AutoNavi/
Amap, Tencent, WeChat's ``wx.getLocation(type: 'gcj02')`` – use GCJ-02, which in Qiqihar lies about
550 m east and 230 m north of WGS-84: more than a grid's width.

No PyPI package for this is kept up (eviltransform's last release is from 2018), so this is the
published algorithm (Krasovsky 1940 ellipsoid and the usual series; no offset outside mainland China)
with an exact inverse: GCJ-02 → WGS-84 is iterated until it is within 1e-9 degrees (0.1 mm), where the
common one-step inverse is off by metres. ``static/grids/coords.js`` is the same code for the browser.
Arguments are (lat, lng) in degrees, as everywhere else here.
"""
import math

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

A = 6378245.0  # Krasovsky 1940 semi-major axis, metres
EE = 0.00669342162296594323  # and its first eccentricity squared
EXACT_DEGREES = 1e-9
MAX_ITERATIONS = 30


class CoordSys(models.TextChoices):
    WGS84 = "wgs84", gettext_lazy("WGS-84 (GPS, OpenStreetMap, Tianditu)")
    GCJ02 = "gcj02", gettext_lazy("GCJ-02 (Amap, Tencent, WeChat)")


class UnknownCoordSys(ValueError):
    """A coordinate system other than those in ``CoordSys``."""

    def __init__(self, value):
        super().__init__(value)
        self.value = value

    def __str__(self):
        return _("Unknown coordinate system %(value)r: use one of %(allowed)s.") % {
            "value": self.value, "allowed": ", ".join(CoordSys.values)}


def coord_sys_parse(value) -> CoordSys:
    """The ``CoordSys`` named by value ("wgs84", "gcj02"); UnknownCoordSys for anything else."""
    try:
        return CoordSys(value)
    except ValueError:
        raise UnknownCoordSys(value) from None


def outside_china(lat: float, lng: float) -> bool:
    """GCJ-02 shifts points in mainland China's bounding box only (the published algorithm's box)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _series_lat(x: float, y: float) -> float:
    value = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    value += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    value += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    value += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return value


def _series_lng(x: float, y: float) -> float:
    value = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    value += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    value += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    value += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return value


def _offset(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 minus WGS-84 at a WGS-84 point, in degrees (lat, lng)."""
    x, y = lng - 105.0, lat - 35.0
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = _series_lat(x, y) * 180.0 / ((A * (1 - EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = _series_lng(x, y) * 180.0 / (A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lat, d_lng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """The GCJ-02 (lat, lng) of a WGS-84 point; unchanged outside mainland China."""
    if outside_china(lat, lng):
        return lat, lng
    d_lat, d_lng = _offset(lat, lng)
    return lat + d_lat, lng + d_lng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """The WGS-84 (lat, lng) whose GCJ-02 is the given point, to within 1e-9 degrees."""
    if outside_china(lat, lng):
        return lat, lng
    # Fixed-point iteration w ← w + (g − f(w)): the offset changes by under 1 % of itself per degree,
    # so each step gains two or more digits; three or four steps reach 1e-9.
    wgs_lat, wgs_lng = lat, lng
    for _step in range(MAX_ITERATIONS):
        gcj_lat, gcj_lng = wgs84_to_gcj02(wgs_lat, wgs_lng)
        miss_lat, miss_lng = lat - gcj_lat, lng - gcj_lng
        wgs_lat, wgs_lng = wgs_lat + miss_lat, wgs_lng + miss_lng
        if abs(miss_lat) < EXACT_DEGREES and abs(miss_lng) < EXACT_DEGREES:
            break
    return wgs_lat, wgs_lng


def to_wgs84(lat: float, lng: float, coord_sys=CoordSys.WGS84) -> tuple[float, float]:
    """The WGS-84 (lat, lng) of a point given in ``coord_sys``; UnknownCoordSys for an unknown one."""
    if coord_sys_parse(coord_sys) == CoordSys.GCJ02:
        return gcj02_to_wgs84(lat, lng)
    return lat, lng
