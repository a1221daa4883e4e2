"""Lists come a page at a time, whatever is asked: the page past the end is the last page on screen and a
400 that says why on the API; page sizes are bounded; a 10,000-character search is cut, not run."""

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from linli.accounts.models import Role
from linli.core.paging import SEARCH_MAX, page_of, search_text
from linli.core.testing import SiteFactory

ROWS = list(range(95))  # 4 pages of 30


def _page(query):
    return page_of(RequestFactory().get("/", query), ROWS)


@pytest.mark.parametrize("asked,shown", [("1", 1), ("2", 2), ("4", 4), ("5", 4), ("999999999", 4),
                                         ("9" * 40, 4), ("0", 1), ("-1", 1), ("abc", 1), ("", 1), ("1.5", 1)])
def test_a_page_number_never_fails_and_past_the_end_is_the_last_page(asked, shown):
    assert _page({"page": asked}).number == shown


def test_a_page_holds_at_most_its_size_and_knows_the_total():
    page = _page({"page": "4"})
    assert list(page) == ROWS[90:] and page.paginator.count == 95


def test_a_search_is_stripped_and_cut():
    assert search_text(RequestFactory().get("/", {"q": "  东门 "})) == "东门"
    assert len(search_text(RequestFactory().get("/", {"q": "x" * 10_000}))) == SEARCH_MAX


@pytest.fixture
def api(county, make_user):
    client = APIClient()
    client.force_authenticate(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    for _ in range(7):
        SiteFactory(division=county["A"])
    return client


def test_the_api_pages_by_page_size_and_says_the_total(api):
    body = api.get("/api/sites/", {"page_size": 3, "page": 2}).json()
    assert body["count"] == 7 and len(body["results"]) == 3 and body["next"] and body["previous"]
    assert len(api.get("/api/sites/", {"page_size": 3, "page": "last"}).json()["results"]) == 1


@pytest.mark.parametrize("params", [{"page": 4, "page_size": 3}, {"page": 0}, {"page": -1}, {"page": "x"},
                                    {"page": "9" * 30}, {"page_size": 0}, {"page_size": -5}, {"page_size": 201},
                                    {"page_size": "9" * 30}, {"page_size": "many"}])
def test_the_api_answers_a_page_it_cannot_give_with_a_400_that_says_why(api, params):
    r = api.get("/api/sites/", params)
    assert r.status_code == 400, r.content
    key = next(iter(params))
    assert r.json()[key][0]


def test_past_the_end_names_the_last_page(api):
    message = api.get("/api/sites/", {"page": 9, "page_size": 3}).json()["page"][0]
    assert "3" in message and "9" in message


def test_a_huge_search_on_the_api_is_not_a_server_error(api):
    assert api.get("/api/persons/", {"search": "x" * 10_000, "q": "y" * 10_000}).status_code < 500


def test_the_api_counts_only_up_to_the_cap_and_says_so(api, monkeypatch):
    """A list of a million rows in scope is not counted to the end for its first page (decision 0026):
    past the cap the count is a lower bound, `count_is_exact` false, and the pages still follow."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from linli.core.pagination import Pagination

    monkeypatch.setattr(Pagination, "count_cap", 4)
    with CaptureQueriesContext(connection) as seen:
        body = api.get("/api/sites/", {"page_size": 3}).json()
    assert (body["count"], body["count_is_exact"], len(body["results"])) == (5, False, 3) and body["next"]
    # (the number of divisions, once, then cached: covers_every_division)
    counting = [q["sql"] for q in seen.captured_queries if "COUNT(" in q["sql"].upper()
                and "divisions_division" not in q["sql"]]
    assert counting and all("LIMIT 5" in sql for sql in counting)
    body = api.get("/api/sites/", {"page_size": 3, "page": 2}).json()  # counted to the page's end, plus one
    assert (body["count"], body["count_is_exact"], len(body["results"])) == (7, False, 3) and body["next"]
    body = api.get("/api/sites/", {"page_size": 3, "page": 3}).json()  # the end is in reach: exact
    assert (body["count"], body["count_is_exact"], len(body["results"])) == (7, True, 1) and not body["next"]
    body = api.get("/api/sites/", {"page_size": 3, "page": "last"}).json()
    assert (body["count"], body["count_is_exact"], len(body["results"])) == (7, True, 1) and not body["next"]
    assert "3" in api.get("/api/sites/", {"page": 9, "page_size": 3}).json()["page"][0]


def test_a_lean_lists_count_does_not_join_the_tables_its_columns_come_from(county, make_user):
    """/api/persons/ shows each person's community name (a join); its count reads the persons alone."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from linli.core.testing import PersonFactory

    client = APIClient()
    client.force_authenticate(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    for grid in ("A1", "B1", "B2"):
        PersonFactory(division=county[grid])
    with CaptureQueriesContext(connection) as seen:
        body = client.get("/api/persons/").json()
    assert body["count"] == 3 and len(body["results"]) == 3
    counting = [q["sql"] for q in seen.captured_queries if q["sql"].upper().startswith("SELECT COUNT(")
                and "people_person" in q["sql"]]
    assert counting and all("JOIN" not in sql.upper() for sql in counting), counting
    page = [q["sql"] for q in seen.captured_queries if q["sql"].startswith('SELECT "people_person"."id" AS "pk"')]
    assert page and "JOIN" in page[0].upper()  # the page itself does join (what the test guards against)


def test_below_the_cap_the_count_is_exact(api):
    body = api.get("/api/sites/", {"page_size": 3}).json()
    assert (body["count"], body["count_is_exact"]) == (7, True)


def test_a_page_on_screen_counts_only_up_to_the_cap_and_says_more_than(county, make_user, monkeypatch):
    """The households page of a county: the total is counted up to the cap (a LIMIT in the count),
    the heading and the pager say "more than", the next page is still offered; past the cap the
    page asked is still found, and the last page asked for by a huge number is the real last."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from linli.core import pagination
    from linli.core.testing import HouseholdFactory

    monkeypatch.setattr(pagination, "COUNT_CAP", 40)
    for i in range(75):
        HouseholdFactory(division=county["A1"], address=f"东门路{i}号")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(make_user(Role.Kind.COUNTY_ADMIN, county["county"]))
    with CaptureQueriesContext(connection) as seen:
        body = client.get("/people/households/").content.decode()
    counts = [q["sql"] for q in seen.captured_queries if "COUNT(" in q["sql"].upper() and "people_household" in q["sql"]]
    assert counts and all("LIMIT 41" in sql for sql in counts)
    assert "超过 40 条" in body and "第 1 页" in body and "共 4 页" not in body and 'rel="next"' in body
    last = client.get("/people/households/", {"page": "999"}).content.decode()
    assert "共 75 条" in last and "第 4 页，共 4 页" in last  # 20 a page
    monkeypatch.setattr(pagination, "COUNT_CAP", 1000)
    assert "共 75 条" in client.get("/people/households/").content.decode()


def test_a_late_row_lookup_gives_the_same_pages_in_the_same_order(county):
    """page_of(..., details=fn): the page is chosen from the keys and only its rows are read in full;
    every page has the rows and order of the plain list, and the count and the key query carry none
    of the rows' joins or counted annotations."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from linli.core.paging import row_count
    from linli.places.models import Room, Site

    for i in range(7):
        SiteFactory(division=county["A" if i % 2 else "B"], name=f"站点{i % 3}")
    rows = Site.objects.select_related("division").annotate(rooms_n=row_count(Room, "site")).order_by("name", "-pk")
    read = []

    def details(keys):
        read.append(list(keys))
        return Site.objects.filter(pk__in=keys).select_related("division").annotate(rooms_n=row_count(Room, "site"))

    for number in ("1", "2", "3", "9"):
        request = RequestFactory().get("/", {"page": number})
        plain = page_of(request, rows, per_page=3)
        with CaptureQueriesContext(connection) as seen:
            late = page_of(request, rows, per_page=3, details=details)
        assert [(s.pk, s.division.name, s.rooms_n) for s in late.object_list] == \
            [(s.pk, s.division.name, s.rooms_n) for s in plain.object_list]
        assert (late.number, late.paginator.count) == (plain.number, 7)
        assert len(seen.captured_queries) == 3  # the count, the page's keys, the page's rows
        chosen = [q["sql"] for q in seen.captured_queries[:2]]
        assert all("JOIN" not in sql.upper() and "places_room" not in sql for sql in chosen), chosen
    assert [len(k) for k in read] == [3, 3, 1, 1]  # only the shown rows, the last page twice


def test_a_model_lists_count_carries_no_counted_annotations(county):
    """The capped count of a list with `row_count` annotations (a subquery a row) and joins counts keys."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from linli.core.paging import row_count
    from linli.places.models import Room, Site

    for _ in range(4):
        SiteFactory(division=county["A"])
    rows = Site.objects.select_related("division").annotate(n=row_count(Room, "site")).order_by("pk")
    with CaptureQueriesContext(connection) as seen:
        page = page_of(RequestFactory().get("/"), rows, per_page=3)
        assert page.paginator.count == 4
    (count,) = [q["sql"] for q in seen.captured_queries if "COUNT(*)" in q["sql"].upper()]
    assert "places_room" not in count and "JOIN" not in count.upper(), count
