"""Nothing personal in any public output: the Open311 feed and the community board show no home
address, no exact home location and no words that may name a person or a condition, whichever way
the case came in (web, staff, visit, night talk, Open311). And Open311 answers errors as its list."""

import datetime as dt

import pytest
from django.utils import timezone

from linli.cases import services
from linli.cases.models import ApiKey, Case, CaseEvent, Kind
from linli.cases.tests.conftest import held_night_talk, item, new_case
from linli.core.testing import HouseholdFactory, PersonFactory
from linli.grids.services import visit_record
from linli.people.models import Membership

HOME = "东门社区西区4栋3单元704室"
SECRET = "独居老人王秀英行动不便"
OWN_WORDS = "楼道灯坏了"  # what a resident files themself is public (scrubbed of phones and ID numbers)
LAT, LNG = 25.791234, 114.541234


@pytest.fixture
def every_path(world, county, make_user):
    """One concern or opinion per channel, each carrying a home address, an exact home location and
    words about a person; all closed with an answer so the board shows them too."""
    A = world["A"]
    cases = [new_case(world, Kind.CONCERN, description=OWN_WORDS, address=HOME, lat=LAT, lng=LNG)]  # web
    cases.append(services.case_create(by=world["staff"], kind=Kind.CONCERN, service=item("environment"),
                                      division=A, description=SECRET, address=HOME, lat=LAT, lng=LNG))  # staff
    talk = services.night_talk_record(by=world["staff"], occurrence=held_night_talk(world))
    cases.append(services.case_create(by=world["staff"], kind=Kind.OPINION, service=item("opinion_traffic"),
                                      division=A, description=SECRET, night_talk=talk))  # night talk
    household = HouseholdFactory(division=county["A1"], address=HOME, lat=LAT, lng=LNG)
    person = PersonFactory(division=county["A1"], name="王秀英")
    Membership.objects.create(household=household, person=person, relation="head", start_date=dt.date(2020, 1, 1))
    worker = make_user("grid_worker", county["A1"])
    visit, _ = visit_record(by=worker, household=household, met=person, needs=SECRET)
    cases.append(services.case_from_visit(visit=visit, by=worker, service=item("environment")))  # visit
    key = ApiKey.objects.create(name="客户端", division=world["county"])
    cases.append(services.case_create(by=key.owner, kind=Kind.CONCERN, service=item("environment"), division=A,
                                      description=OWN_WORDS, address=HOME, lat=LAT, lng=LNG, api_key=key))  # Open311
    assert {c.channel for c in cases} == set(Case.Channel.values)
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        status=Case.Status.CLOSED, resolution=Case.Resolution.RESOLVED, public_answer="已处理",
        closed_at=timezone.now())
    for c in cases:
        CaseEvent.objects.create(case=c, action="reply", public=True, note="已处理", to_status=c.status)
    return cases


def _public_pages(client, world, cases):
    base = "/open311/v2/"
    urls = [f"{base}requests.json", f"{base}requests.xml", f"{base}servicerequestupdates.json",
            f"{base}servicerequestupdates.xml", "/cases/board/", f"/cases/board/{world['A'].pk}/"]
    urls += [f"{base}requests/{c.pk}.{fmt}" for c in cases if c.kind != Kind.OPINION for fmt in ("json", "xml")]
    urls += [f"{base}requests.json?service_request_id={','.join(str(c.pk) for c in cases)}"]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        yield url, r.content.decode()


def test_no_public_output_shows_a_home_address_a_home_location_or_words_about_a_person(client, world,
                                                                                      every_path):
    for url, text in _public_pages(client, world, every_path):
        assert HOME not in text and "4栋3单元" not in text, url
        assert SECRET not in text and "王秀英" not in text, url
        assert "25.7912" not in text and "114.5412" not in text, url  # not even to 10 m


def test_cases_raised_by_staff_visits_and_night_talks_are_shown_by_their_service_name(client, world, every_path):
    rows = {int(r["service_request_id"]): r for r in client.get("/open311/v2/requests.json").json()}
    for case in every_path:
        row = rows.get(case.pk)
        if row is None:
            continue
        assert row["address"] == ""
        if case.channel in (Case.Channel.VISIT, Case.Channel.STAFF, Case.Channel.NIGHT_TALK):
            assert row["description"] == case.service.name
        else:
            assert row["description"] == OWN_WORDS
        if case.channel == Case.Channel.VISIT:
            assert row["lat"] is None and row["long"] is None  # a visit's place is a home


def test_open311_discovery(client, world):
    r = client.get("/open311/discovery.json")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json")
    data = r.json()
    assert data["changeset"] and data["contact"]
    (endpoint,) = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/") and "application/json" in endpoint["formats"]
    assert client.get("/open311/discovery.xml").content.startswith(b"<?xml")


@pytest.mark.parametrize("method,url", [
    ("post", "/open311/v2/services.json"), ("delete", "/open311/v2/services.json"),
    ("put", "/open311/v2/requests.json"), ("delete", "/open311/v2/requests.json"),
    ("post", "/open311/v2/services/environment.json"), ("put", "/open311/v2/requests/1.json"),
    ("post", "/open311/v2/tokens/abc.json"), ("post", "/open311/v2/servicerequestupdates.json"),
    ("post", "/open311/discovery.json"),
])
def test_a_wrong_method_is_answered_with_the_open311_error_list(method, url, world):
    from django.test import Client

    r = getattr(Client(enforce_csrf_checks=True), method)(url)
    assert r.status_code == 405 and r["Content-Type"].startswith("application/json"), (r.status_code, r.content[:200])
    assert r.json() == [{"code": 405, "description": r.json()[0]["description"]}] and r["Allow"]


def test_a_wrong_method_in_xml_is_an_xml_error_list(world):
    from django.test import Client

    r = Client(enforce_csrf_checks=True).delete("/open311/v2/services.xml")
    assert r.status_code == 405 and r.content.startswith(b"<?xml") and b"<errors>" in r.content
