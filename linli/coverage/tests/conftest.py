"""Coverage fixtures: a small street grid around the shared county, stored as a network; sites and
households placed on it. Work runs inline (no background thread) and files go to a temporary DATA_DIR."""

import datetime as dt

import numpy as np
import pytest
from rest_framework.test import APIClient

from linli.core.testing import HouseholdFactory, PersonFactory, SiteFactory
from linli.coverage import services
from linli.people.models import Membership

LAT0, LNG0 = 25.79, 114.54
M_LAT = 110_574.0
M_LNG = 111_320.0 * np.cos(np.radians(LAT0))


def at_m(east, north):
    """(lat, lng) of a point so many metres east and north of the grid's corner."""
    return LAT0 + north / M_LAT, LNG0 + east / M_LNG


@pytest.fixture(autouse=True)
def _coverage_settings(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.LINLI_COVERAGE_INLINE = True
    settings.SECURE_SSL_REDIRECT = False
    services._CACHE.clear()


def grid_geojson(path, *, nx=16, ny=16, spacing=100.0, islands=()):
    """A street grid of nx x ny nodes `spacing` metres apart, plus optional separate island segments."""
    import json

    lines = []
    for i in range(nx):
        lines.append([at_m(i * spacing, 0)[::-1], *[at_m(i * spacing, j * spacing)[::-1] for j in range(1, ny)]])
    for j in range(ny):
        lines.append([at_m(i * spacing, j * spacing)[::-1] for i in range(nx)])
    for (e0, n0), (e1, n1) in islands:
        lines.append([at_m(e0, n0)[::-1], at_m(e1, n1)[::-1]])
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"highway": "residential"},
         "geometry": {"type": "LineString", "coordinates": [list(c) for c in line]}} for line in lines]}
    path.write_text(json.dumps(fc), encoding="utf-8")
    return path


@pytest.fixture
def network(county, tmp_path):
    """1.5 km x 1.5 km grid (100 m blocks) and an island street 3 km east."""
    path = grid_geojson(tmp_path / "town.geojson", islands=[((3000, 500), (3200, 500))])
    return services.network_import(path=path, division=county["county"], name="test town")


def household(division, east, north, members=1, ended=0):
    lat, lng = at_m(east, north)
    h = HouseholdFactory(division=division, lat=lat, lng=lng)
    for i in range(members + ended):
        p = PersonFactory(division=division)
        Membership.objects.create(household=h, person=p, relation="head" if i == 0 else "child",
                                  start_date=dt.date(2020, 1, 1),
                                  end_date=dt.date(2024, 1, 1) if i >= members else None)
    return h


def center(division, east, north, **kwargs):
    lat, lng = at_m(east, north)
    return SiteFactory(division=division, lat=lat, lng=lng, **kwargs)


@pytest.fixture
def api():
    return APIClient()
