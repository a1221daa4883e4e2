"""One coverage run at a time per division, under concurrent starts (PostgreSQL: the division's row
is locked while a start checks for a busy run)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from linli.activities.testing import run_concurrently
from linli.coverage import services
from linli.coverage.models import CoverageRun

from .conftest import center, grid_geojson, household

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL; this runs in the PostgreSQL CI run")


def test_concurrent_starts_never_overlap_two_runs_of_one_division(county, tmp_path):
    network = services.network_import(path=grid_geojson(tmp_path / "g.geojson", nx=40, ny=40))
    center(county["A"], 0, 0)
    household(county["A1"], 100, 0, members=2)

    def start(_):
        try:
            return services.coverage_run(network=network, division=county["county"]).pk
        except ValidationError as exc:
            assert exc.error_dict["division"][0].code == "run_busy"
            return None

    results, errors = run_concurrently(start, list(range(8)), workers=8)
    assert errors == []
    runs = list(CoverageRun.objects.filter(division=county["county"]).order_by("created_at", "pk"))
    assert runs and results.count(None) == 8 - len(runs)
    for before, after in zip(runs, runs[1:], strict=False):
        assert before.finished_at is not None and after.created_at >= before.finished_at
