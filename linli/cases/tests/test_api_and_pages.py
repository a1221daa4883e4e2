"""Who sees and does what, through the API and the pages; query counts stay bounded."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.cases import services
from linli.cases.models import Case, Kind
from linli.cases.tests.conftest import item, new_case
from linli.core.models import AccessLog
from linli.jobs.testing import export_via_job


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


# (role fixture, sees A's order, may dispatch it)
MATRIX = [("staff", True, True), ("county_admin", True, True), ("staff_b", False, False),
          ("resident", True, False), ("resident_b", False, False), ("vol_user", False, False)]


@pytest.mark.parametrize("who,sees,dispatches", MATRIX)
def test_api_authorisation_matrix(world, who, sees, dispatches):
    case = new_case(world)
    c = client_for(world[who])
    listed = {row["id"] for row in c.get("/api/cases/").json()["results"]}
    assert (case.pk in listed) is sees
    assert c.get(f"/api/cases/{case.pk}/").status_code == (200 if sees else 404)
    r = c.post(f"/api/cases/{case.pk}/dispatch/", {"team": world["team"].pk}, content_type="application/json")
    assert r.status_code == (200 if dispatches else 403 if sees else 404), r.content
    assert Case.objects.get(pk=case.pk).status == (Case.Status.DISPATCHED if dispatches else Case.Status.NEW)


def test_api_volunteer_sees_orders_offered_to_their_team_and_accepts(world):
    case = new_case(world)
    services.case_dispatch(case=case, by=world["staff"], team=world["team"])
    c = client_for(world["vol_user"])
    assert c.get(f"/api/cases/{case.pk}/").status_code == 200
    assert c.post(f"/api/cases/{case.pk}/accept/").json()["status"] == "in_progress"
    other = client_for(world["other_vol_user"])
    assert other.get(f"/api/cases/{case.pk}/").status_code == 404


def test_api_illegal_transition_is_a_400_with_the_reason(world):
    case = new_case(world)
    c = client_for(world["resident"])
    r = c.post(f"/api/cases/{case.pk}/rate/", {"rating": 5}, content_type="application/json",
               HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and "done" in str(r.json())
    r = c.post(f"/api/cases/{case.pk}/rate/", {"rating": 5}, content_type="application/json",
               HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "只有已办结的服务订单才能评价" in str(r.json())


def test_api_resident_creates_in_their_own_community(world):
    r = client_for(world["resident"]).post("/api/cases/", {"kind": "order", "service": "errand",
                                                           "division": world["B"].pk}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert Case.objects.get(pk=r.json()["id"]).division == world["A"]


def test_api_history_hides_internal_notes_from_residents(world):
    case = new_case(world)
    services.case_note(case=case, by=world["staff"], text="内部备注")
    services.case_note(case=case, by=world["staff"], text="已收到，明天上门", public=True)
    resident = [e["note"] for e in client_for(world["resident"]).get(f"/api/cases/{case.pk}/history/").json()]
    staff = [e["note"] for e in client_for(world["staff"]).get(f"/api/cases/{case.pk}/history/").json()]
    assert "内部备注" not in resident and "已收到，明天上门" in resident and "内部备注" in staff


def _many(world, n=12):
    for i in range(n):
        case = new_case(world, description=f"第{i}件")
        if i % 2:
            services.case_dispatch(case=case, by=world["staff"], team=world["team"])


def test_api_list_query_count_is_bounded(world, django_assert_max_num_queries):
    _many(world)
    c = client_for(world["staff"])
    with django_assert_max_num_queries(12):
        assert len(c.get("/api/cases/").json()["results"]) == 12


def test_inbox_query_count_is_bounded(world, django_assert_max_num_queries):
    _many(world, 6)
    c = client_for(world["staff"])
    c.get(reverse("cases:inbox"))
    with django_assert_max_num_queries(20) as ctx:
        r = c.get(reverse("cases:inbox"))
    n6 = len(ctx.captured_queries)
    _many(world, 12)
    with django_assert_max_num_queries(n6):
        r = c.get(reverse("cases:inbox"))
    assert r.status_code == 200 and r.content.count(b'data-label="') > 18


def test_out_of_scope_case_page_is_404(world):
    case = new_case(world)
    assert client_for(world["staff_b"]).get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert client_for(world["resident_b"]).get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert client_for(world["staff"]).get(reverse("cases:detail", args=[case.pk])).status_code == 200


def test_pages_need_login_except_the_board(client, world):
    assert client.get(reverse("cases:home")).status_code == 302
    assert client.get(reverse("cases:inbox")).status_code == 302
    assert client.get(reverse("cases:board", args=[world["A"].pk])).status_code == 200


def test_resident_order_form_keeps_input_on_error(world):
    c = client_for(world["resident"])
    r = c.post(reverse("cases:new", args=["concern"]), {"service": item("environment").pk, "description": "",
                                                        "address": "三栋门口"})
    assert r.status_code == 400 and "三栋门口" in r.content.decode()


def test_oversize_photo_on_the_form_is_an_error_under_the_field(world, settings):
    settings.LINLI_CASE_MAX_UPLOAD_BYTES = 100
    c = client_for(world["resident"])
    photo = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * 500, content_type="image/png")
    r = c.post(reverse("cases:new", args=["concern"]), {"service": item("environment").pk, "description": "垃圾",
                                                        "photo": photo})
    assert r.status_code == 400 and b"photo" in r.content and Case.objects.count() == 0


def test_resident_order_to_rating_through_the_pages(world):
    res, staff, vol = (client_for(world[k]) for k in ("resident", "staff", "vol_user"))
    r = res.post(reverse("cases:new", args=["order"]), {"service": item("errand").pk})
    case = Case.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("cases:detail", args=[case.pk])
    staff.post(reverse("cases:act", args=[case.pk, "dispatch"]), {"team": world["team"].pk, "next": "inbox"})
    assert vol.get(reverse("cases:offers")).content.count(f"accept-{case.pk}".encode()) == 1
    vol.post(reverse("cases:act", args=[case.pk, "accept"]))
    vol.post(reverse("cases:act", args=[case.pk, "complete"]), {"report": "已送到"})
    r = res.post(reverse("cases:act", args=[case.pk, "rate"]), {"rating": "5", "comment": "谢谢"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.rating) == (Case.Status.CLOSED, 5)
    assert list(case.events.values_list("action", flat=True)) == ["create", "dispatch", "accept", "complete", "rate"]


def test_board_is_anonymised(client, world):
    case = services.case_create(by=world["resident"], kind=Kind.CONCERN, service=item("environment"),
                                description="张三家门口垃圾，电话13812345678", contact_name="张三")
    services.case_dispatch(case=case, by=world["staff"])
    services.case_close(case=case, by=world["staff"], answer="已清运，联系13812345678的住户已回访")
    body = client.get(reverse("cases:board", args=[world["A"].pk])).content.decode()
    assert "已清运" in body and "张三" not in body and "13812345678" not in body and "138****5678" in body


def test_ledger_xlsx_is_formula_safe_and_audited(world):
    case = services.case_create(by=world["staff"], kind=Kind.DISPUTE, service=item("neighbour_dispute"),
                                division=world["A"], description="=HYPERLINK(\"http://x\")",
                                parties=[{"role": "applicant", "name": "+张三"}, {"role": "respondent", "name": "李四"}])
    services.case_dispatch(case=case, by=world["staff"])
    services.case_close(case=case, by=world["staff"], agreement_terms="-赔偿500元", performance="一周内")
    _export, r = export_via_job(client_for(world["staff"]), reverse("cases:ledger"))
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.body)).active
    row = [c.value for c in ws[3]]
    assert row[6].startswith("'=") and row[10] == "'-赔偿500元" and "+张三" in row[5]
    assert AccessLog.objects.filter(action="export", model="cases.Case", object_ids=[case.pk]).exists()
    assert client_for(world["resident"]).get(reverse("cases:ledger")).status_code == 403
    assert client_for(world["resident"]).post(reverse("cases:ledger")).status_code == 403
    _export, r = export_via_job(client_for(world["staff_b"]), reverse("cases:ledger"))  # their own: none
    assert r.status_code == 200 and load_workbook(io.BytesIO(r.body)).active.max_row == 2


def test_every_page_of_the_inbox_keeps_its_filter_open_cases_by_default(world):
    _many(world, 35)
    closed = new_case(world, description="早已办结")
    Case.objects.filter(pk=closed.pk).update(status=Case.Status.CLOSED, closed_at=timezone.now(),  # setup only
                                               resolution=Case.Resolution.RESOLVED)
    c = client_for(world["staff"])
    pages = [c.get(reverse("cases:inbox"), {"page": n}).content.decode() for n in (1, 2)]
    counts = [re.search(r'pager-count">([^<]*)<', body).group(1) for body in pages]
    assert counts[0] == counts[1] and "35" in counts[0]
    assert all(closed.number not in body for body in pages)


def test_a_new_orders_dispatch_choice_offers_every_team_with_its_services_default_chosen(world):
    from linli.cases.tests.conftest import item
    from linli.volunteers.models import Team

    default = Team.objects.order_by("order").last()
    errand = item("errand")
    errand.default_team = default
    errand.save(update_fields=["default_team"])
    cases = [new_case(world, description=f"第{i}件") for i in range(3)]
    html = client_for(world["staff"]).get(reverse("cases:inbox")).content.decode()
    for case in cases:
        select = re.search(rf'<select name="team" id="team-{case.pk}">(.*?)</select>', html, re.S).group(1)
        assert select.count("<option") == Team.objects.count()
        assert f'<option value="{default.pk}" selected>' in select and select.count("selected") == 1
