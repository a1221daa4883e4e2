"""The home charts' series are counted from records: by month and by community, one aggregate query per
figure whatever the number of months."""

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from linli.accounts.models import Role
from linli.activities.models import Registration
from linli.activities.testing import activity
from linli.cases.models import Case, Kind, ServiceItem
from linli.core import trends
from linli.core.testing import PersonFactory, SiteFactory, UserFactory, grant


def _at(months_ago: int, day: int = 10) -> dt.datetime:
    today = timezone.localdate()
    y, m = today.year, today.month - months_ago
    while m < 1:
        y, m = y - 1, m + 12
    return dt.datetime(y, m, day, 15, 0, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def records(county):
    A, B = county["A"], county["B"]
    staff_a = grant(UserFactory(), Role.Kind.COMMUNITY_STAFF, A)
    service = ServiceItem.objects.filter(kind=Kind.CONCERN).first()
    # Cases: A gets 3 this month and 2 three months ago; B gets 4 a month ago; one is older than a year.
    plan = [(A, 0)] * 3 + [(A, 3)] * 2 + [(B, 1)] * 4 + [(B, 13)]
    Case.objects.bulk_create([Case(kind=Kind.CONCERN, service=service, division=d, title="t", description="d",
                                   created_at=_at(ago)) for d, ago in plan])
    # Activity participants: checked-in sign-ups at A's site, two months ago (and one not checked in).
    act = activity(by=staff_a, site=SiteFactory(division=A), capacity=10)
    occ = act.occurrences.get()
    for i in range(4):
        Registration.objects.create(occurrence=occ, person=PersonFactory(division=county["A1"], with_id=False),
                                    status=Registration.Status.CONFIRMED, checked_in_at=_at(2) if i < 3 else None)
    return {"A": A, "B": B, "staff_a": staff_a, "plan": plan}


def _expected_by_month(plan, keys):
    counts = Counter()
    for _d, ago in plan:
        when = timezone.localtime(_at(ago))
        counts[f"{when:%Y-%m}"] += 1
    return [counts.get(k, 0) for k in keys]


def test_series_by_month_and_by_community_equal_the_records(records, county):
    county_admin = grant(UserFactory(), Role.Kind.COUNTY_ADMIN, county["county"])
    with translation.override("en"):
        data = trends.charts(user=county_admin)
    cases = next(f for f in data["figures"] if f["key"] == "cases")
    assert cases["by_month"] == _expected_by_month(records["plan"][:-1], data["month_keys"])
    assert dict(zip(data["communities"], cases["by_community"], strict=True)) == {"社区A": 5, "社区B": 4}
    assert cases["total"] == Case.objects.filter(created_at__gte=_at(11, 1).replace(day=1, hour=0)).count() == 9
    people = next(f for f in data["figures"] if f["key"] == "participants")
    assert people["by_month"][-3] == 3 and sum(people["by_month"]) == 3
    assert dict(zip(data["communities"], people["by_community"], strict=True)) == {"社区A": 3, "社区B": 0}
    assert data["months"][-1] == timezone.localdate().strftime("%B %Y")


def test_a_community_sees_only_its_own_series(records):
    data = trends.charts(user=records["staff_a"])
    cases = next(f for f in data["figures"] if f["key"] == "cases")
    assert data["communities"] == ["社区A"] and cases["total"] == 5


def test_the_number_of_queries_does_not_grow_with_the_months(records, county):
    county_admin = grant(UserFactory(), Role.Kind.COUNTY_ADMIN, county["county"])
    trends.charts(user=county_admin)  # the user's scope is looked up once per request, then remembered
    counts = []
    for months in (3, 24):
        with CaptureQueriesContext(connection) as q:
            trends.charts(user=county_admin, months=months)
        counts.append(len(q))
    assert counts[0] == counts[1] <= 12  # 4 series, the communities, their divisions, the scope


def test_month_keys_end_with_this_month():
    keys = trends.month_keys(3, today=dt.date(2026, 1, 15))
    assert keys == ["2025-11", "2025-12", "2026-01"]


def test_the_home_page_carries_the_charts_as_json_for_staff_only(client, records, county):
    client.force_login(records["staff_a"])
    body = client.get("/").content.decode()
    assert 'id="linli-charts"' in body and "vendor/echarts/echarts.min.js" in body and "linli/charts.js" in body
    assert "<script>" not in body  # data in a json_script tag, drawing in a static file
    resident = grant(UserFactory(), Role.Kind.RESIDENT, county["A1"])
    client.force_login(resident)
    assert 'id="linli-charts"' not in client.get("/").content.decode()


def test_the_home_reads_the_twelve_months_from_the_rollups_and_they_equal_the_records(client, records, county):
    """The county home counted a year of check-ins on every request (0.5 s on the large county): its
    charts now read the rollups, refreshed with the figures, equal to the live series."""
    from linli.core import rollups

    county_admin = grant(UserFactory(), Role.Kind.COUNTY_ADMIN, county["county"])
    rollups.refresh_all()
    live = {key: fn(user=county_admin) for key, _l, _u, fn in trends.FIGURES}
    client.force_login(county_admin)
    client.get("/")
    with CaptureQueriesContext(connection) as seen:
        assert client.get("/").status_code == 200
    assert not [q for q in seen.captured_queries if "DATE_TRUNC" in q["sql"].upper()
                or "django_datetime_trunc" in q["sql"] or "django_date_trunc" in q["sql"]]
    data = trends.charts(user=county_admin)
    for figure in data["figures"]:
        assert figure["by_month"] == [round(live[figure["key"]]["by_month"][k], 1) for k in data["month_keys"]]
    assert data["as_of"]
