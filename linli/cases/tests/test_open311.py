"""Open311 GeoReport v2 conformance, each endpoint in JSON and XML (the XML parsed)."""

import datetime as dt
import re
from xml.etree import ElementTree as ET

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from linli.cases import services
from linli.cases.models import ApiKey, Case, CaseEvent, Kind
from linli.cases.tests.conftest import item, new_case

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
FORMATS = ["json", "xml"]


@pytest.fixture
def base():
    """Where the endpoints are mounted: /open311/v2/ once the project includes them, else under /cases/."""
    try:
        return reverse("open311:services", kwargs={"fmt": "json"}).rsplit("services.json", 1)[0]
    except NoReverseMatch:
        return reverse("cases:open311:services", kwargs={"fmt": "json"}).rsplit("services.json", 1)[0]


@pytest.fixture
def key(world):
    return ApiKey.objects.create(name="FixMyStreet 客户端", division=world["county"])


def rows(response, fmt, item_tag):
    """The response as a list of dicts, from JSON or from parsed XML."""
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        data = response.json()
        return data if isinstance(data, list) else [data]
    assert response["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    return [{child.tag: (child.text or "") for child in el} for el in root.findall(item_tag)]


def error(response, fmt, status):
    assert response.status_code == status
    errs = rows(response, fmt, "error")
    assert errs and all(str(e["code"]) == str(status) and e["description"] for e in errs)
    return errs[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_list(client, world, base, fmt):
    r = client.get(f"{base}services.{fmt}")
    assert r.status_code == 200
    got = rows(r, fmt, "service")
    codes = {s["service_code"] for s in got}
    assert {"home_repair", "environment"} <= codes and "neighbour_dispute" not in codes
    for s in got:
        assert set(s) >= {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
        assert isinstance(s["service_code"], str) and s["type"] == "realtime"
        assert str(s["metadata"]).lower() in ("true", "false")


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_with_attributes(client, world, base, fmt):
    r = client.get(f"{base}services/home_repair.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        d = r.json()
        assert d["service_code"] == "home_repair"
        attr = d["attributes"][0]
        assert attr["variable"] is True and attr["datatype"] == "singlevaluelist" and attr["required"] is True
        assert {"key": "water", "name": "水管龙头"} in attr["values"]
    else:
        root = ET.fromstring(r.content)
        assert root.tag == "service_definition" and root.findtext("service_code") == "home_repair"
        attr = root.find("attributes/attribute")
        assert attr.findtext("code") == "what" and attr.findtext("variable") == "true"
        assert [v.findtext("key") for v in attr.findall("values/value")] == ["water", "power", "door", "other"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_and_jurisdiction_are_404(client, world, base, fmt):
    error(client.get(f"{base}services/nope.{fmt}"), fmt, 404)
    error(client.get(f"{base}services.{fmt}", {"jurisdiction_id": "999999"}), fmt, 404)
    assert client.get(f"{base}services.{fmt}", {"jurisdiction_id": "360724"}).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_request_then_token_and_request(client, world, base, key, fmt):
    r = client.post(f"{base}requests.{fmt}", {
        "api_key": key.key, "service_code": "home_repair", "lat": "25.7901", "long": "114.5401",
        "attribute[what]": "water", "description": "水管漏了，电话13812345678", "first_name": "王", "last_name": "芳",
        "phone": "13812345678", "email": "w@example.com", "account_id": "acc-1"})
    assert r.status_code == 201, r.content
    created = rows(r, fmt, "request")[0]
    rid, token = created["service_request_id"], created["token"]
    assert rid.isdigit() and created["account_id"] == "acc-1"
    case = Case.objects.get(pk=int(rid))
    assert (case.division, case.channel, case.api_key, case.attributes) == (world["A"], "open311", key, {"what": "water"})
    t = rows(client.get(f"{base}tokens/{token}.{fmt}"), fmt, "request")[0]
    assert (t["service_request_id"], t["token"]) == (rid, token)
    got = rows(client.get(f"{base}requests/{rid}.{fmt}"), fmt, "request")
    assert len(got) == 1 and got[0]["status"] == "open" and got[0]["service_code"] == "home_repair"
    text = (r.content + client.get(f"{base}requests/{rid}.{fmt}").content).decode()
    assert "13812345678" not in text and "王" not in text and "w@example.com" not in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_request_guards(client, world, base, key, fmt):
    ok = {"api_key": key.key, "service_code": "environment", "lat": "25.7901", "long": "114.5401",
          "description": "垃圾"}
    before = Case.objects.count()
    error(client.post(f"{base}requests.{fmt}", {**ok, "api_key": ""}), fmt, 400)
    error(client.post(f"{base}requests.{fmt}", {**ok, "api_key": "wrong"}), fmt, 403)
    error(client.post(f"{base}requests.{fmt}", {**ok, "service_code": ""}), fmt, 400)
    error(client.post(f"{base}requests.{fmt}", {**ok, "service_code": "neighbour_dispute"}), fmt, 404)
    error(client.post(f"{base}requests.{fmt}", {**ok, "service_code": "foreign"}), fmt, 404)
    error(client.post(f"{base}requests.{fmt}", {**ok, "lat": "48.85", "long": "2.35"}), fmt, 400)
    error(client.post(f"{base}requests.{fmt}", {**ok, "lat": "39.90", "long": "116.40"}), fmt, 400)
    error(client.post(f"{base}requests.{fmt}", {k: v for k, v in ok.items() if k not in ("lat", "long")}), fmt, 400)
    error(client.post(f"{base}requests.{fmt}", {**ok, "description": "x" * 4001}), fmt, 400)
    error(client.post(f"{base}requests.{fmt}", {**ok, "service_code": "home_repair"}), fmt, 400)  # attribute
    assert Case.objects.count() == before
    key.active = False
    key.save()
    error(client.post(f"{base}requests.{fmt}", ok), fmt, 403)


def test_address_string_names_the_community(client, world, base, key):
    r = client.post(f"{base}requests.json", {"api_key": key.key, "service_code": "environment",
                                             "address_string": "社区B 3栋门口", "description": "垃圾"})
    assert r.status_code == 201
    assert Case.objects.get(pk=int(r.json()[0]["service_request_id"])).division == world["B"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_fields_filters_and_window(client, world, base, fmt):
    concern = services.case_create(by=world["resident"], kind=Kind.CONCERN, service=item("environment"),
                                   description="垃圾没人清，我的电话13812345678", lat=25.79012, lng=114.54019,
                                   contact_name="秘密名字")
    order = new_case(world)
    dispute = new_case(world, Kind.DISPUTE)
    old = new_case(world, Kind.CONCERN)
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=120))
    services.case_dispatch(case=concern, by=world["staff"])
    services.case_note(case=concern, by=world["staff"], text="内部：这户人家难缠")
    services.case_close(case=concern, by=world["staff"], answer="已清运")
    r = client.get(f"{base}requests.{fmt}")
    got = {g["service_request_id"]: g for g in rows(r, fmt, "request")}
    assert set(got) == {str(concern.pk), str(order.pk)}  # no dispute; the old one is outside 90 days
    c = got[str(concern.pk)]
    assert c["status"] == "closed" and c["status_notes"] == "已清运" and c["agency_responsible"] == "社区A"
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert ISO.match(c[field]), c[field]
    assert "13812345678" not in r.content.decode() and "秘密名字" not in r.content.decode()
    assert "难缠" not in r.content.decode()
    assert float(c["lat"]) == 25.79 and got[str(order.pk)]["description"] == ""
    assert got[str(order.pk)]["status"] == "open"
    only_closed = rows(client.get(f"{base}requests.{fmt}", {"status": "closed"}), fmt, "request")
    assert [g["service_request_id"] for g in only_closed] == [str(concern.pk)]
    by_code = rows(client.get(f"{base}requests.{fmt}", {"service_code": "errand"}), fmt, "request")
    assert [g["service_request_id"] for g in by_code] == [str(order.pk)]
    by_id = rows(client.get(f"{base}requests.{fmt}", {"service_request_id": f"{old.pk},{dispute.pk}",
                                                      "status": "closed"}), fmt, "request")
    assert [g["service_request_id"] for g in by_id] == [str(old.pk)]  # the id list overrides the rest
    start = (timezone.now() - dt.timedelta(days=130)).date().isoformat()
    end = (timezone.now() - dt.timedelta(days=100)).date().isoformat()
    ranged = rows(client.get(f"{base}requests.{fmt}", {"start_date": start, "end_date": end}), fmt, "request")
    assert [g["service_request_id"] for g in ranged] == [str(old.pk)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_bad_input_is_400(client, world, base, fmt):
    error(client.get(f"{base}requests.{fmt}", {"start_date": "yesterday"}), fmt, 400)
    error(client.get(f"{base}requests.{fmt}", {"start_date": "2026-01-01", "end_date": "2026-06-01"}), fmt, 400)
    error(client.get(f"{base}requests.{fmt}", {"status": "pending"}), fmt, 400)
    error(client.get(f"{base}requests.{fmt}", {"service_request_id": "1;drop"}), fmt, 400)
    error(client.get(f"{base}requests/999999.{fmt}"), fmt, 404)
    error(client.get(f"{base}tokens/nope.{fmt}"), fmt, 404)


def test_a_dispute_is_never_public(client, world, base):
    d = new_case(world, Kind.DISPUTE)
    error(client.get(f"{base}requests/{d.pk}.json"), "json", 404)
    error(client.get(f"{base}tokens/{d.token}.json"), "json", 404)


def test_unknown_format_is_404(client, world, base):
    assert client.get(f"{base}services.csv").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_request_updates(client, world, base, fmt):
    case = services.case_create(by=world["resident"], kind=Kind.ORDER, service=item("errand"), description="买米")
    services.case_dispatch(case=case, by=world["staff"], team=world["team"])
    services.case_decline(case=case, by=world["vol_user"], reason="队员生病了")  # internal: not listed
    services.case_dispatch(case=case, by=world["staff"], team=world["team"])
    services.case_accept(case=case, by=world["vol_user"])
    services.case_complete(case=case, by=world["vol_user"], report="已送到")
    services.case_rate(case=case, by=world["resident"], rating=5)
    r = client.get(f"{base}servicerequestupdates.{fmt}")
    assert r.status_code == 200
    got = rows(r, fmt, "request_update")
    assert [g["status"] for g in got] == ["open", "action_scheduled", "action_scheduled", "in_progress", "fixed",
                                          "closed"]
    assert all(g["service_request_id"] == str(case.pk) and ISO.match(g["updated_datetime"]) for g in got)
    assert all(set(g) >= {"update_id", "description", "media_url", "external_status_code"} for g in got)
    assert "生病" not in r.content.decode()
    assert CaseEvent.objects.filter(case=case).count() == 7
    error(client.get(f"{base}servicerequestupdates.{fmt}", {"start_date": "2020-01-01", "end_date": "2021-01-01"}),
          fmt, 400)
