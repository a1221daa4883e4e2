"""Every page a role reaches costs a bounded number of queries (no N+1), on the demo county where every
list is longer than a page; the list pages' counts do not change when their lists grow."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from linli.accounts.models import User

ROLES = ["county", "staff", "site", "grid", "tutor", "volunteer", "resident"]
SKIP = re.compile(r"(logout|\.xlsx|\.ics|\.svg|\.json|/api/|/admin/|/static/|/media/|/i18n/|password|/reveal/|"
                  r"/cancel/|/end/|/door/|export)")
BUDGET = 30
# Pages that compute the county's figures: bounded by the figures' sections, not by the rows.
FIGURE_PAGES = re.compile(r"^/$|^/cases/figures/$|^/classroom/$|^/coverage/")
FIGURE_BUDGET = 140
API_BUDGET = 20  # a page of 50 rows with its related lists (a canteen diner list: tiers, tags, memberships)


def _workshop_pages_over_budget() -> list:
    """A workshop's pages lie deeper than the crawl's 70 pages reach: each of them, as the community
    staff (a workshop of the demo with a pay run and an application) and the worker's own pages."""
    from linli.workshops.models import LedgerRow, PayRun, SubsidyApplication, Workshop

    out = []
    staff = User.objects.get(username="staff")
    ws = Workshop.objects.visible_to(staff).filter(pay_runs__isnull=False).first()
    assert ws is not None, "the demo's community has a workshop with pay runs"
    urls = [f"/workshops/{ws.pk}/{p}" for p in ("", "sign/", "workers/", "workers/new/?q=王", "records/",
                                                "records/new/", "pay/", "reviews/", "subsidies/")]
    urls += [f"/workshops/pay/{PayRun.objects.filter(workshop=ws).first().pk}/", "/workshops/checks/"]
    app = SubsidyApplication.objects.filter(workshop=ws).first()
    urls += [f"/workshops/subsidies/{app.pk}/"] if app else []
    client = Client()
    client.force_login(staff)
    checks = [(client, u) for u in urls]
    resident = User.objects.get(username="resident")
    row = LedgerRow.objects.filter(worker__person__user=resident).first()
    client2 = Client()
    client2.force_login(resident)
    checks += [(client2, u) for u in ["/workshops/me/"] + ([f"/workshops/me/slips/{row.pk}/"] if row else [])]
    for c, url in checks:
        with CaptureQueriesContext(connection) as queries:
            response = c.get(url)
        assert response.status_code == 200, url
        if len(queries) > BUDGET:
            out.append(("workshops", url, len(queries)))
    return out


def _pattern(url: str) -> str:
    return re.sub(r"\d+", "N", url)


def _crawl(client, limit: int = 70):
    """Breadth-first from the home page, one URL per shape (/cases/N/ once), GET only."""
    seen, queue, out = set(), ["/"], []
    while queue and len(seen) < limit:
        url = queue.pop(0)
        seen.add(_pattern(url))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        out.append((url, response.status_code, len(queries)))
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        for href in re.findall(r'href="(/[^"#?]*)"', response.content.decode()):
            if not SKIP.search(href) and _pattern(href) not in seen and _pattern(href) not in map(_pattern, queue):
                queue.append(href)
    return out


@pytest.mark.django_db
def test_every_page_each_role_reaches_stays_within_its_query_budget():
    from linli.demo.generator import build

    build(households_per_grid=6)
    from linli.core.rollups import refresh_all

    refresh_all()  # as the job schedule keeps them: pages read the figures from the rollups
    over, broken, visited = [], [], 0
    for role in ROLES:
        client = Client()
        client.force_login(User.objects.get(username=role))
        for url, status, n in _crawl(client):
            visited += 1
            if status >= 400 and status != 404 and status != 403:
                broken.append((role, url, status))
            budget = FIGURE_BUDGET if FIGURE_PAGES.search(url) else BUDGET
            if n > budget:
                over.append((role, url, n))
    over += _workshop_pages_over_budget()
    assert visited > 150, visited  # the crawl reached each role's pages, not just their homes
    assert not broken, broken
    assert not over, over

    # Every API list, as the county (who sees the most): a page of 50 rows in a bounded number of queries.
    from linli.api_urls import router

    client = Client()
    client.force_login(User.objects.get(username="county"))
    api_over = []
    for prefix, _viewset, _basename in router.registry:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/{prefix}/")
        assert response.status_code == 200, (prefix, response.status_code)
        if len(queries) > API_BUDGET:
            api_over.append((prefix, len(queries)))
    assert not api_over, api_over
