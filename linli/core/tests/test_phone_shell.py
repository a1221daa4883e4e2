"""The page shell on a phone: every place of the role is reachable from the bottom bar's "more" sheet,
API docs are for the people who work in Linli, a resident's home does not speak of a work scope, and
dates and counts read the same way on every page of a language."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from linli.accounts.models import Role
from linli.core.nav import nav_for
from linli.core.templatetags.linli_format import colon, count, format_when, span


def _more_sheet_links(html: str) -> list[str]:
    sheet = html.split('class="more-sheet"', 1)[1].split("</div>", 1)[0]
    return [part.split('"', 1)[0] for part in sheet.split('href="')[1:]]


@pytest.mark.parametrize("kind,division", [
    (Role.Kind.COMMUNITY_STAFF, "A"), (Role.Kind.COUNTY_ADMIN, "county"), (Role.Kind.RESIDENT, "A1"),
    (Role.Kind.GRID_WORKER, "A1"), (Role.Kind.TUTOR, "A"), (Role.Kind.VOLUNTEER, "A"),
])
def test_the_more_sheet_holds_every_place_of_the_role(client, county, make_user, kind, division):
    user = make_user(kind, county[division])
    client.force_login(user)
    html = client.get("/").content.decode()
    items, _ = nav_for(user, "/")
    assert _more_sheet_links(html) == [i["url"] for i in items]


def test_staff_reach_grids_sites_classroom_circle_and_map_on_a_phone(county, make_user):
    items, bottom = nav_for(make_user(Role.Kind.COMMUNITY_STAFF, county["A"]), "/")
    assert {"grids", "sites", "classroom", "coverage", "map"} <= {i["key"] for i in items} - {i["key"] for i in bottom}


def test_a_parent_reaches_the_classroom(county, make_user):
    items, _ = nav_for(make_user(Role.Kind.RESIDENT, county["A1"]), "/")
    assert "classroom" in {i["key"] for i in items}


def test_api_docs_are_in_the_menu_of_staff_only(client, county, make_user):
    client.force_login(make_user(Role.Kind.RESIDENT, county["A1"]))
    assert "/api/docs/" not in client.get("/").content.decode()
    client.force_login(make_user(Role.Kind.COMMUNITY_STAFF, county["A"]))
    assert "/api/docs/" in client.get("/").content.decode()


def test_a_residents_home_names_their_community_not_a_work_scope(client, county, make_user):
    client.force_login(make_user(Role.Kind.RESIDENT, county["A1"]))
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "工作范围" not in html and "您所在的社区" in html


def test_dates_read_per_language():
    day = dt.datetime(2026, 12, 2, 16, 30)
    with translation.override("zh-hans"):
        assert format_when(day, "day") == "12月2日 周三"
        assert format_when(day, "daytime") == "12月2日 周三 16:30"
        assert format_when(day.date(), "fulldate") == "2026年12月2日"
        assert colon() == "："
    with translation.override("en"):
        assert format_when(day, "day") == "Wed 2 Dec"
        assert format_when(day, "stamp") == "2 Dec 2026 16:30"
        assert colon() == ": "


def test_a_dates_span_reads_in_local_time_per_language():
    from types import SimpleNamespace

    start = timezone.make_aware(dt.datetime(2026, 12, 2, 16, 30))
    o = SimpleNamespace(start=start.astimezone(dt.UTC), end=start + dt.timedelta(hours=1, minutes=30))
    with translation.override("zh-hans"):
        assert span(o) == "2026年12月2日 周三 16:30–18:00"
    with translation.override("en"):
        assert span(o) == "2 Dec 2026 Wed 16:30–18:00"
    assert span(None) == ""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_counts_have_thousands_separators(language):
    with translation.override(language):
        assert count(30669) == "30,669"
