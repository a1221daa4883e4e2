"""The grids pages show a page of a list, never the whole of it: a campaign of thousands of households,
the overdue list and the grid list cost the same queries and show at most a page, whatever their size."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linli.core.paging import PAGE_SIZE
from linli.grids import selectors, services
from linli.grids.models import Campaign
from linli.grids.tests.conftest import resident_in
from linli.grids.views import HOME_LIST


def _get(user, url):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.get(url)  # warm: the user's scope is cached after the first request (core.caching)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


@pytest.fixture
def campaign(county, users):
    return services.campaign_create(by=users["county_admin"], title="文明城市", content="告居民书",
                                    division=county["county"], starts_on=timezone.localdate(),
                                    deadline=timezone.localdate() + dt.timedelta(days=9),
                                    methods=[Campaign.Method.VISIT])


def _grow(county, n, **kwargs):
    return [resident_in(county["A1"], **kwargs)[0] for _ in range(n)]


def test_a_campaign_page_lists_a_page_of_households_and_counts_the_rest(county, users, homes, campaign):
    url = reverse("grids:campaign_detail", args=[campaign.pk])
    _body, few = _get(users["county_admin"], url)
    added = _grow(county, 2 * PAGE_SIZE)
    body, many = _get(users["county_admin"], url)
    assert many == few
    assert body.count('class="choice-row"') == PAGE_SIZE  # one reach form per listed household
    assert f"{3 + 2 * PAGE_SIZE} in all" in body
    last, _n = _get(users["county_admin"], url + "?page=999")
    assert body.count('class="choice-row"') + last.count('class="choice-row"') < 3 + 2 * PAGE_SIZE
    only_b1, _n = _get(users["county_admin"], f"{url}?grid={county['B1'].pk}")
    assert homes["B1"][0].address in only_b1 and added[0].address not in only_b1


def test_the_overdue_list_and_the_grid_list_cost_the_same_whatever_their_length(county, users, homes):
    overdue, grids = reverse("grids:overdue"), reverse("grids:grid_list")
    _b, overdue_few = _get(users["county_admin"], overdue)
    _b, grids_few = _get(users["county_admin"], grids)
    _grow(county, PAGE_SIZE + 5, tags=["living_alone_elderly"])
    body, overdue_many = _get(users["county_admin"], overdue)
    _b, grids_many = _get(users["county_admin"], grids)
    assert (overdue_many, grids_many) == (overdue_few, grids_few)
    total = selectors.overdue_households(user=users["county_admin"]).count()
    assert total > PAGE_SIZE and f'<small class="muted">{total}</small>' in body  # the whole count is shown
    assert body.count("/visit/?next=") == PAGE_SIZE  # one page of rows, each with its visit button


def test_the_workers_home_shows_the_first_households_and_links_to_all(county, users, homes, campaign):
    _grow(county, HOME_LIST + 10)
    body, _n = _get(users["grid_worker"], reverse("grids:home"))
    assert body.count('class="choice-row"') == HOME_LIST
    assert f"All {HOME_LIST + 11} households to reach" in body


def test_the_grid_list_searches_by_name(county, users, homes):
    body, _n = _get(users["county_admin"], reverse("grids:grid_list") + "?q=A2")
    assert "网格A2" in body and "网格B1" not in body
    assert _get(users["county_admin"], reverse("grids:grid_list") + "?q=" + "x" * 10_000)[0]


def test_the_workers_campaign_list_looks_up_each_household_not_every_reach(county, users, homes, campaign):
    """The households still to reach are found per household (NOT EXISTS on the campaign's reach),
    not by an IN over every reach of the campaign: on a county of 100,000 reached households that
    IN was hashed on every home page (docs/performance.md)."""
    _grow(county, 3)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users["grid_worker"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("grids:home")).status_code == 200
    todo = [q["sql"] for q in queries.captured_queries if '"grids_reach"' in q["sql"] and '"people_household"' in q["sql"]]
    assert todo and all("NOT EXISTS" in sql and 'IN (SELECT U0."household_id"' not in sql for sql in todo)
