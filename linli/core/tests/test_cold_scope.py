"""A scope nobody read yet (a grid worker's first home after a deploy) costs a bounded number of
queries: its figures are computed by a job, not by the page; the next visit shows them."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from linli.accounts.models import User
from linli.core import rollups
from linli.core.models import Rollup
from linli.jobs.models import Job
from linli.jobs.testing import run_queued

COLD_BUDGET = 30  # the home's own queries, as warm (13) plus the rollup lookup and the queued job


@pytest.mark.django_db
def test_grid_workers_first_home_on_a_cold_scope_queues_its_figures_and_stays_bounded():
    from linli.core import stats
    from linli.demo.generator import build

    build(households_per_grid=6)
    rollups.refresh_all()  # the scheduled refresh: the county's and the communities' scopes, not a grid's
    grid = User.objects.get(username="grid")
    scope = rollups.scope_of(grid)
    assert not Rollup.objects.filter(scope=scope).exists()
    client = Client()
    client.force_login(grid)

    with CaptureQueriesContext(connection) as cold:
        response = client.get("/")
    assert response.status_code == 200
    assert len(cold) <= COLD_BUDGET, len(cold)  # before: ~105, every section computed live for the grid
    assert b'data-testid="figures-pending"' in response.content
    assert Job.objects.filter(task="linli.core.rollups.scope_compute", status=Job.Status.QUEUED).count() == 1

    client.get("/")  # a second cold visit before the worker ran queues no second job
    assert Job.objects.filter(task="linli.core.rollups.scope_compute").count() == 1

    run_queued()
    job = Job.objects.get(task="linli.core.rollups.scope_compute")
    assert job.status == Job.Status.DONE, job.error_key
    with CaptureQueriesContext(connection) as warm:
        response = client.get("/")
    assert b'data-testid="overview"' in response.content
    assert len(warm) <= COLD_BUDGET, len(warm)
    figures, as_of = rollups.figures(grid)
    assert as_of is not None
    # the job stored the grid scope's figures as the live computation gives them (the scope's viewer,
    # as the refresh computes every rollup)
    assert figures == stats.figures(rollups.viewer(scope))
