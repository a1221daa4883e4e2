"""Every page a role reaches costs a bounded number of queries (no N+1), on the demo county where every
list is longer than a page; the list pages' counts do not change when their lists grow. Export buttons
are POST forms: the crawl GETs their targets (the export's start page, or the page itself) and the export
status pages, and checks that no GET queued or built a file."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from linli.accounts.models import User

ROLES = ["county", "staff", "site", "grid", "tutor", "volunteer", "resident"]
SKIP = re.compile(r"(logout|\.ics|\.svg|\.json|/api/|/admin/|/static/|/media/|/i18n/|password|/reveal/|"
                  r"/cancel/|/end/|/door/|/download/|template\.xlsx)")
# The POST forms of export buttons: their targets answer a GET with a page (nothing is queued or built).
EXPORT_URL = re.compile(r"export|\.xlsx|\.csv")
EXPORT_FORM = re.compile(r'<form method="post" action="([^"]*(?:export|format=xlsx)[^"]*)"')
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
    urls = [f"/workshops/{ws.pk}/{p}" for p in ("", "edit/", "sign/", "roster/", "workers/", "workers/new/?q=王", "records/",
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
        body = response.content.decode()
        hrefs = re.findall(r'href="(/[^"#?]*)"', body)
        hrefs += [(url.split("?")[0] + a if a.startswith("?") else a).replace("&amp;", "&")
                  for a in EXPORT_FORM.findall(body)]
        for href in hrefs:
            if not SKIP.search(href) and _pattern(href) not in seen and _pattern(href) not in map(_pattern, queue):
                queue.append(href)
    return out


def _export_start_pages() -> list[str]:
    """Every export endpoint answered by a GET (the page with the button), for one object of the demo;
    a role out of its scope gets 403/404."""
    from django.urls import reverse

    from linli.canteen.models import Canteen
    from linli.divisions.models import Division
    from linli.volunteers.models import Volunteer

    grid = Division.objects.filter(level=Division.Level.GRID).order_by("pk").first()
    volunteer, canteen, community = Volunteer.objects.order_by("pk").first(), Canteen.objects.first(), grid.parent
    return [reverse("cases:ledger"), f"{reverse('people:person_export')}?division={community.pk}",
            reverse("grids:grid_export", args=[grid.pk]), reverse("accounts:audit_export_csv"),
            reverse("accounts:audit_export_xlsx"), reverse("volunteers:records_export", args=[volunteer.pk]),
            f"{reverse('canteen:settlement', args=[canteen.pk])}?format=xlsx",
            f"{reverse('activities:ledger')}?format=xlsx", f"{reverse('classroom:ledger')}?format=xlsx"]


def _crawl_each(client, urls):
    out = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        out.append((url, response.status_code, len(queries)))
    return out


@pytest.mark.django_db
def test_every_page_each_role_reaches_stays_within_its_query_budget():
    from linli.demo.generator import build
    from linli.jobs import exports
    from linli.jobs.models import Export, Job

    build(households_per_grid=6)
    from linli.core.rollups import refresh_all

    refresh_all()  # as the job schedule keeps them: pages read the figures from the rollups
    Export.objects.all().delete()
    export_jobs = Job.objects.filter(task=exports.TASK)
    jobs_before = export_jobs.count()
    over, broken, visited, export_pages = [], [], 0, 0
    start_pages = _export_start_pages()
    for role in ROLES:
        client = Client()
        user = User.objects.get(username=role)
        client.force_login(user)
        # An export of this user's, queued and not built: its page and its polled progress card are crawled.
        mine = exports.export_request(builder="linli.jobs.testing.slow_export", by=user, title="crawl")
        pages = [f"/jobs/exports/{mine.token}/", f"/jobs/exports/{mine.token}/progress/", *start_pages]
        for url, status, n in [*_crawl(client), *_crawl_each(client, pages)]:
            export_pages += bool(EXPORT_URL.search(url))
            visited += 1
            if status >= 400 and status != 404 and status != 403:
                broken.append((role, url, status))
            budget = FIGURE_BUDGET if FIGURE_PAGES.search(url) else BUDGET
            if n > budget:
                over.append((role, url, n))
    over += _workshop_pages_over_budget()
    assert visited > 150, visited  # the crawl reached each role's pages, not just their homes
    assert export_pages > 2 * len(ROLES), export_pages  # the export start pages and status pages too
    # No GET queued an export or built a file: only the crawl's own exports exist, none of them built.
    assert Export.objects.count() == len(ROLES) and not Export.objects.exclude(file_name="").exists()
    assert export_jobs.count() == jobs_before + len(ROLES)
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
