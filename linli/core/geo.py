"""Coordinates: WGS-84 is stored; GCJ-02 (the offset datum of Chinese map apps) is converted on input."""

import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_A = 6378245.0
_EE = 0.00669342162296594323

# A generous box around the People's Republic (incl. islands); finer checks are not needed to catch
# swapped or mistyped coordinates.
CHINA_BOUNDS = {"lat": (3.8, 53.6), "lng": (73.5, 135.1)}


def in_china(lat: float, lng: float) -> bool:
    return CHINA_BOUNDS["lat"][0] <= lat <= CHINA_BOUNDS["lat"][1] and (
        CHINA_BOUNDS["lng"][0] <= lng <= CHINA_BOUNDS["lng"][1]
    )


def validate_in_china(lat: float, lng: float) -> None:
    if not in_china(lat, lng):
        raise ValidationError(
            _("The location %(lat)s, %(lng)s is outside China; check that latitude and longitude are not swapped."),
            code="outside_china", params={"lat": lat, "lng": lng},
        )


def _transform(lng: float, lat: float) -> tuple[float, float]:
    x, y = lng - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlng += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return dlng, dlat


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if not in_china(lat, lng):
        return lat, lng
    dlng, dlat = _transform(lng, lat)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """Invert wgs84_to_gcj02 by fixed-point iteration (error well under 1 cm after a few steps)."""
    wlat, wlng = lat, lng
    for _step in range(10):
        glat, glng = wgs84_to_gcj02(wlat, wlng)
        dlat, dlng = glat - lat, glng - lng
        wlat, wlng = wlat - dlat, wlng - dlng
        if abs(dlat) < 1e-10 and abs(dlng) < 1e-10:
            break
    return wlat, wlng
