"""GCJ-02 (the offset datum of Chinese map apps) to and from WGS-84, vectorised with numpy.

The forward transform is the widely published one (Krasovsky ellipsoid constants); the inverse has
no closed form, so it is found by fixed-point iteration on the forward transform: w <- w - (f(w) - g).
The offset field is smooth (gradient ~1e-5), so each step shrinks the error ~1e5 times; a few steps
bring it far below a centimetre. Points outside the China box are left unchanged, as the apps do.
The box is the same as ``linli.core.geo.CHINA_BOUNDS``; it is repeated here so the engine stays free
of Django.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

_A = 6378245.0
_EE = 0.00669342162296594323
_LAT_RANGE = (3.8, 53.6)
_LON_RANGE = (73.5, 135.1)

FloatArray = NDArray[np.float64]


def in_china(*, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where the point lies in the box within which the GCJ-02 offset is applied."""
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    return (
        (lat_a >= _LAT_RANGE[0]) & (lat_a <= _LAT_RANGE[1]) & (lon_a >= _LON_RANGE[0]) & (lon_a <= _LON_RANGE[1])
    )


def _offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x, y = lon - 105.0, lat - 35.0
    pi = np.pi
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


def wgs84_to_gcj02(*, lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Forward transform; returns (lon, lat) arrays in GCJ-02."""
    lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
    dlon, dlat = _offset(lon_a, lat_a)
    inside = in_china(lon=lon_a, lat=lat_a)
    return np.where(inside, lon_a + dlon, lon_a), np.where(inside, lat_a + dlat, lat_a)


def gcj02_to_wgs84(
    *, lon: ArrayLike, lat: ArrayLike, tolerance_deg: float = 1e-10, max_iter: int = 20
) -> tuple[FloatArray, FloatArray]:
    """Inverse transform by fixed-point iteration; returns (lon, lat) arrays in WGS-84.

    Stops when every point moved less than ``tolerance_deg`` (1e-10 degrees is ~0.01 mm).
    """
    g_lon = np.atleast_1d(np.asarray(lon, dtype=float))
    g_lat = np.atleast_1d(np.asarray(lat, dtype=float))
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(lon=w_lon, lat=w_lat)
        step_lon, step_lat = f_lon - g_lon, f_lat - g_lat
        w_lon -= step_lon
        w_lat -= step_lat
        if np.all(np.abs(step_lon) < tolerance_deg) and np.all(np.abs(step_lat) < tolerance_deg):
            break
    return w_lon, w_lat
