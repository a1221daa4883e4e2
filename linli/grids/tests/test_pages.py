"""Pages: thin views over the rules — scope (404 outside it), audit of what they show, the import
flow end to end, exports masked unless allowed, and query counts that do not grow with the rows."""

import datetime as dt
import io
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.core.models import AccessLog
from linli.grids import services
from linli.grids.models import Campaign, Reach, RegisterImport, Visit
from linli.jobs.testing import export_via_job
from linli.people.models import Person

from .conftest import resident_in, workbook


def client_for(user):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


@pytest.fixture
def campaign(county, users):
    return services.campaign_create(by=users["county_admin"], title="文明城市", content="告居民书", division=county["county"],
                                    starts_on=timezone.localdate(), deadline=timezone.localdate() + dt.timedelta(days=9),
                                    methods=[Campaign.Method.VISIT, Campaign.Method.PHONE])


def test_grid_worker_home_lists_overdue_and_open_campaign_households(users, homes, campaign):
    r = client_for(users["grid_worker"]).get(reverse("grids:home"))
    assert r.status_code == 200
    body = r.content.decode()
    assert homes["A1"][0].address in body and homes["A2"][0].address not in body
    assert AccessLog.objects.filter(model="people.Household", action="list").exists()


def test_staff_home_goes_to_the_grid_list_and_others_get_404(users, homes):
    assert client_for(users["community_staff"]).get(reverse("grids:home")).url == reverse("grids:grid_list")
    assert client_for(users["volunteer"]).get(reverse("grids:home")).status_code == 404


def test_recording_a_visit_through_the_page(users, homes):
    household, person = homes["A1"]
    c = client_for(users["grid_worker"])
    page = c.get(reverse("grids:visit_create", args=[household.pk]))
    assert page.status_code == 200 and person.name in page.content.decode()
    key = uuid.uuid4()
    data = {"submission_key": key, "visited_on": timezone.localdate().isoformat(), "met": person.pk, "notes": "好"}
    r = c.post(reverse("grids:visit_create", args=[household.pk]), data)
    assert r.status_code == 302
    c.post(reverse("grids:visit_create", args=[household.pk]), data)  # a double tap
    assert Visit.objects.filter(household=household).count() == 1


def test_a_visit_form_with_errors_keeps_what_was_typed(users, homes):
    household = homes["A1"][0]
    r = client_for(users["grid_worker"]).post(reverse("grids:visit_create", args=[household.pk]), {
        "submission_key": uuid.uuid4(), "visited_on": "2999-01-01", "notes": "记下的话"})
    assert r.status_code == 200 and "记下的话" in r.content.decode() and "future" in r.content.decode()


@pytest.mark.parametrize("grid", ["A2", "B1"])
def test_grid_worker_outside_their_grid_gets_404(users, homes, grid):
    # A grid worker's grant covers their own grid only: a neighbouring grid's households do not exist for them.
    r = client_for(users["grid_worker"]).get(reverse("grids:visit_create", args=[homes[grid][0].pk]))
    assert r.status_code == 404


def test_resident_sees_own_household_but_cannot_record(users, homes):
    r = client_for(users["resident"]).get(reverse("grids:visit_create", args=[homes["A1"][0].pk]))
    assert r.status_code == 403


def test_one_tap_reach_from_the_campaign_page(users, homes, campaign):
    c = client_for(users["grid_worker"])
    page = c.get(reverse("grids:campaign_detail", args=[campaign.pk])).content.decode()
    assert homes["A1"][0].address in page and homes["B1"][0].address not in page
    url = reverse("grids:reach_create", args=[campaign.pk, homes["A1"][0].pk])
    data = {"submission_key": uuid.uuid4(), "method": "visit", "next": "/grids/"}
    assert c.post(url, data).url == "/grids/"
    again = c.post(url, {**data, "submission_key": uuid.uuid4()})
    assert again.status_code == 200 and "already reached" in again.content.decode()
    assert Reach.objects.count() == 1
    assert c.post(url, {**data, "next": "https://evil.example/"}).url != "https://evil.example/"


def test_campaign_report_page_names_unreached_households_for_the_county(users, homes, campaign):
    body = client_for(users["county_admin"]).get(reverse("grids:campaign_detail", args=[campaign.pk])).content.decode()
    for h, _p in homes.values():
        assert h.address in body


def test_import_flow_preview_then_commit(users):
    c = client_for(users["community_staff"])
    from linli.core import idcard

    rows = [("网格A1", "东区8栋", "周一", "户主", idcard.make("360724", dt.date(1970, 1, 1), 5), "", "", "", "", "")]
    upload = io.BytesIO(workbook(rows))
    upload.name = "台账.xlsx"
    r = c.post(reverse("grids:import_upload"), {"file": upload})
    imp = RegisterImport.objects.get()
    assert r.url == reverse("grids:import_preview", args=[imp.pk])
    page = c.get(r.url).content.decode()
    assert "周一" in page and idcard.make("360724", dt.date(1970, 1, 1), 5) not in page  # masked
    c.post(r.url, {"action": "commit"})
    assert Person.objects.filter(name="周一").exists()
    # Someone else cannot even see the import.
    assert client_for(users["county_admin"]).get(r.url).status_code == 404


def test_import_preview_shows_each_row_error(users):
    rows = [("网格A1", "x", "", "户主", "123", "", "", "", "", "")]
    upload = io.BytesIO(workbook(rows))
    upload.name = "bad.xlsx"
    c = client_for(users["community_staff"])
    page = c.get(c.post(reverse("grids:import_upload"), {"file": upload}).url).content.decode()
    assert "Row 2" in page and "The name is missing." in page and 'data-testid="commit"' not in page


def test_template_download(users):
    r = client_for(users["grid_worker"]).get(reverse("grids:import_template"))
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.active["A1"].value == "网格" and wb.active["A2"].value == "网格A1"


def test_export_is_masked_unless_allowed_and_always_audited(users, homes, county):
    grid = county["A1"]
    worker, staff = client_for(users["grid_worker"]), client_for(users["community_staff"])
    _export, r = export_via_job(worker, reverse("grids:grid_export", args=[grid.pk]))
    ws = load_workbook(io.BytesIO(r.body)).active
    person = homes["A1"][1]
    assert ws["E2"].value == person.id_number_masked and ws["H2"].value == person.phone_masked
    assert worker.post(reverse("grids:grid_export", args=[grid.pk]) + "?full=1").status_code == 403
    _export, r = export_via_job(staff, reverse("grids:grid_export", args=[grid.pk]), {"full": "1"})
    ws = load_workbook(io.BytesIO(r.body)).active
    assert ws["E2"].value == person.id_number
    logs = AccessLog.objects.filter(action="export", model="people.Person")
    assert logs.count() == 2 and all(log.object_ids == [person.pk] for log in logs)


def test_a_full_export_imports_back_as_unchanged(users, homes, county):
    staff = users["community_staff"]
    body = export_via_job(client_for(staff), reverse("grids:grid_export", args=[county["A1"].pk]), {"full": "1"})[1].body
    imp, preview = services.register_import_start(by=staff, file_name="export.xlsx", data=body)
    assert preview.ok and imp.summary["rows_unchanged"] == 1 and imp.summary["persons_new"] == 0


def test_special_groups_are_masked_and_audited(users, homes, county):
    r = client_for(users["grid_worker"]).get(reverse("grids:special_groups", args=[county["A1"].pk]))
    body = r.content.decode()
    person = homes["A1"][1]
    assert person.name in body and person.id_number_masked in body and person.id_number not in body
    assert AccessLog.objects.filter(model="people.Person", object_ids=[person.pk]).exists()


def test_boundary_page_refuses_a_bowtie_with_a_clear_error(users, county):
    bowtie = '{"type":"Polygon","coordinates":[[[114.5,25.8],[114.51,25.81],[114.51,25.8],[114.5,25.81],[114.5,25.8]]]}'
    r = client_for(users["community_staff"]).post(reverse("grids:grid_boundary", args=[county["A1"].pk]),
                                                  {"geojson": bowtie})
    assert r.status_code == 200 and "cross itself" in r.content.decode()
    assert client_for(users["grid_worker"]).get(reverse("grids:grid_boundary", args=[county["A1"].pk])).status_code == 403


@pytest.mark.parametrize("name,args", [("grids:grid_list", []), ("grids:grid_detail", ["A1"]), ("grids:overdue", []),
                                       ("grids:special_groups", ["A1"]), ("grids:campaign_list", []),
                                       ("grids:campaign_detail", ["campaign"]), ("grids:locations", [])])
def test_list_pages_use_a_bounded_number_of_queries(users, county, campaign, django_assert_max_num_queries, name, args):
    for i in range(30):
        resident_in(county["A1"] if i % 2 else county["A2"], tags=["living_alone_elderly"] if i % 3 else ())
    url = reverse(name, args=[campaign.pk if a == "campaign" else county[a].pk for a in args])
    c = client_for(users["community_staff"])
    with django_assert_max_num_queries(25):
        assert c.get(url).status_code == 200
