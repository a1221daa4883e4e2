"""Staff on a phone: the mediation ledger's date columns say 受理日期/结案日期 (not the statuses 已受理/
已关闭); a staff member with one community finds it preselected on a new case."""

import io

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from linli.jobs.testing import export_via_job


def _zh(user):
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(user)
    return c


def test_the_ledger_date_columns_are_dates(world):
    _export, r = export_via_job(_zh(world["staff"]), reverse("cases:ledger"))
    ws = load_workbook(io.BytesIO(r.body)).active
    headers = [c.value for c in ws[2]]
    assert "受理日期" in headers and "结案日期" in headers
    assert "已受理" not in headers and "已关闭" not in headers


def test_a_new_case_starts_at_the_staff_members_community(world):
    html = _zh(world["staff"]).get(reverse("cases:take", args=["concern"])).content.decode()
    assert f'<option value="{world["A"].pk}" selected>' in html
