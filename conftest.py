"""Fixtures shared by every test: a small county with two communities, each with two grids, and a
user per role, so authorisation tests can ask "in scope / out of scope" of any role."""

import pytest
from hypothesis import HealthCheck, settings

from linli.core.testing import DivisionFactory, UserFactory, grant
from linli.divisions.models import Division

# Property tests assert rules, not speed: on a loaded 2-core machine input generation can be slow.
settings.register_profile("linli", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("linli")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (rollups and grants are cached by scope and user id,
    and ids come back after a rolled-back test)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def county(db):
    """county → subdistrict → communities A, B → grids A1, A2, B1, B2 (returned as a dict)."""
    c = Division.objects.create(name="上犹县", code="360724", level=Division.Level.COUNTY)
    town = Division.objects.create(name="东山镇", code="360724100", level=Division.Level.SUBDISTRICT, parent=c)
    out = {"county": c, "town": town}
    for letter, code in (("A", "001"), ("B", "002")):
        com = DivisionFactory(name=f"社区{letter}", code=f"360724100{code}", parent=town)
        out[letter] = com
        for i in (1, 2):
            out[f"{letter}{i}"] = DivisionFactory(name=f"网格{letter}{i}", code=f"360724100{code}{i:03d}",
                                                  level=Division.Level.GRID, parent=com)
    return out


@pytest.fixture
def make_user(db):
    def make(kind=None, division=None, **kwargs):
        user = UserFactory(**kwargs)
        if kind:
            grant(user, kind, division)
        return user

    return make
