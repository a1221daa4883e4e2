"""The 15-minute resident service circle engine: street networks, walking times, coverage, isochrones, siting.

Python with numpy, scipy, numba, shapely, pyproj and pyosmium; imports nothing from Django, so the CLI, a
background job or a notebook can use it without a web request. See docs/coverage.md.
"""

from .coverage import CoverageFigures, CoverageRow, UncoveredCluster, coverage_figures, uncovered_clusters
from .gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from .geo import LocalProjection, geod_distance_m
from .isochrones import isochrones, reachable_intervals
from .network import (
    Network,
    NetworkError,
    is_walkable,
    load_geojson,
    load_network,
    load_osm,
    simplify_network,
)
from .routing import (
    DEFAULT_SPEED_KMH,
    DEFAULT_THRESHOLDS_MIN,
    NearestCenters,
    PointTimes,
    household_walking_times,
    metres_per_minute,
    minutes_to_metres,
    nearest_centers,
    reachable_pairs,
    walking_times,
)
from .siting import MclpSolution, SitingResult, greedy_swap, site_new_centers, solve_mclp
from .snap import SnappedPoints, points_at_nodes, snap_points

__all__ = [
    "DEFAULT_SPEED_KMH",
    "DEFAULT_THRESHOLDS_MIN",
    "CoverageFigures",
    "CoverageRow",
    "LocalProjection",
    "MclpSolution",
    "NearestCenters",
    "Network",
    "NetworkError",
    "PointTimes",
    "SitingResult",
    "SnappedPoints",
    "UncoveredCluster",
    "coverage_figures",
    "gcj02_to_wgs84",
    "geod_distance_m",
    "greedy_swap",
    "household_walking_times",
    "is_walkable",
    "isochrones",
    "load_geojson",
    "load_network",
    "load_osm",
    "metres_per_minute",
    "minutes_to_metres",
    "nearest_centers",
    "points_at_nodes",
    "reachable_intervals",
    "reachable_pairs",
    "simplify_network",
    "site_new_centers",
    "snap_points",
    "solve_mclp",
    "uncovered_clusters",
    "walking_times",
    "wgs84_to_gcj02",
]
