"""Small geodesy helpers shared by the engine: ellipsoidal lengths and a local metric projection."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod, Transformer

FloatArray = NDArray[np.float64]

WGS84 = Geod(ellps="WGS84")


def geod_distance_m(*, lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> FloatArray:
    """Geodesic distance in metres on the WGS-84 ellipsoid, element-wise (Karney's algorithm via PROJ)."""
    a = [np.atleast_1d(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)]
    if a[0].size == 0:
        return np.zeros(0)
    _, _, dist = WGS84.inv(a[0], a[1], a[2], a[3])
    return np.asarray(dist, dtype=float)


@dataclass(frozen=True)
class LocalProjection:
    """An azimuthal equidistant projection centred on the study area (metres, error < 0.1 % over a county).

    Used only where planar geometry is needed (KD-trees, point-to-segment distances, buffers); lengths
    that enter walking times are measured on the ellipsoid.
    """

    lon0: float
    lat0: float
    _fwd: Transformer = field(init=False, repr=False, compare=False)
    _inv: Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        crs = f"+proj=aeqd +lat_0={self.lat0:.9f} +lon_0={self.lon0:.9f} +datum=WGS84 +units=m +no_defs"
        object.__setattr__(self, "_fwd", Transformer.from_crs("EPSG:4326", crs, always_xy=True))
        object.__setattr__(self, "_inv", Transformer.from_crs(crs, "EPSG:4326", always_xy=True))

    @classmethod
    def around(cls, *, lon: ArrayLike, lat: ArrayLike) -> LocalProjection:
        lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        if lon_a.size == 0:
            return cls(0.0, 0.0)
        return cls(float((lon_a.min() + lon_a.max()) / 2), float((lat_a.min() + lat_a.max()) / 2))

    def forward(self, *, lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
        x, y = self._fwd.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def inverse(self, *, x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
        lon, lat = self._inv.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
