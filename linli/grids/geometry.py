"""Grid polygons (GeoJSON, WGS-84) checked with shapely: valid rings, no overlap with a neighbour,
and which grid a household's location falls in."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.prepared import prep
from shapely.validation import explain_validity

from linli.core import geo

# Neighbouring grids drawn by hand share edges: an overlap smaller than this (in square degrees, about
# 10 m² at this latitude) is a drawing tolerance, not a second grid over the same homes.
OVERLAP_TOLERANCE = 1e-9


def parse_polygon(geojson):
    """Return a shapely (Multi)Polygon from a GeoJSON geometry, Feature or one-feature collection, or
    raise ValidationError keyed by `boundary` saying what is wrong."""
    if isinstance(geojson, dict) and geojson.get("type") == "FeatureCollection":
        features = geojson.get("features") or []
        if len(features) != 1:
            raise ValidationError({"boundary": _("Give one polygon per grid (this collection has %(n)s features).")
                                   % {"n": len(features)}})
        geojson = features[0]
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError({"boundary": _("A grid boundary is a GeoJSON Polygon or MultiPolygon.")})
    try:
        poly = shape(geojson)
    except Exception:  # shapely raises several types for malformed coordinates
        raise ValidationError({"boundary": _("The polygon's coordinates are malformed.")}) from None
    if poly.is_empty:
        raise ValidationError({"boundary": _("The polygon is empty or has no area.")})
    minx, miny, maxx, maxy = poly.bounds
    for lng, lat in ((minx, miny), (maxx, maxy)):
        try:
            geo.validate_in_china(lat, lng)
        except ValidationError as exc:
            raise ValidationError({"boundary": exc.messages}) from None
    if not poly.is_valid:
        raise ValidationError({"boundary": _("The polygon is not valid (%(reason)s); a boundary must not cross "
                                             "itself.") % {"reason": explain_validity(poly)}})
    if poly.area == 0:
        raise ValidationError({"boundary": _("The polygon is empty or has no area.")})
    return poly


def overlaps(poly, neighbours) -> list:
    """The neighbours (objects with a `.boundary`) whose polygon overlaps `poly` by more than the tolerance."""
    out = []
    for other in neighbours:
        if not other.boundary:
            continue
        try:
            theirs = shape(other.boundary)
        except Exception:
            continue
        if theirs.is_valid and poly.intersection(theirs).area > OVERLAP_TOLERANCE:
            out.append(other)
    return out


class GridLocator:
    """Point-in-polygon over many grids: `grids_at(lat, lng)` → the ids of the grids the point lies in,
    `inside(grid_id, lat, lng)` → whether it lies in that grid."""

    def __init__(self, grids):
        self._ids, polys = [], []
        for g in grids:
            if not g.boundary:
                continue
            try:
                poly = shape(g.boundary)
            except Exception:
                continue
            self._ids.append(g.pk)
            polys.append(poly)
        self._polys = polys
        self._prepared = {gid: prep(p) for gid, p in zip(self._ids, polys, strict=True)}
        self._tree = STRtree(polys) if polys else None

    def has(self, grid_id) -> bool:
        return grid_id in self._prepared

    def inside(self, grid_id, lat, lng) -> bool:
        return self._prepared[grid_id].covers(Point(lng, lat))

    def grids_at(self, lat, lng) -> list:
        """Every grid whose polygon covers the point (more than one where communities overlap)."""
        if self._tree is None:
            return []
        pt = Point(lng, lat)
        return [self._ids[i] for i in sorted(self._tree.query(pt)) if self._polys[i].covers(pt)]
