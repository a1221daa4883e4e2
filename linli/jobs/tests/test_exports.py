"""Exports built by a job (linli.jobs.exports): the file holds the asker's scope, only the asker
downloads it, every download is audited, the asker is told, a retried build records the file once, an
expired export is pruned with its file, and a builder out of the asker's scope fails without retrying."""

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.accounts.models import Role
from linli.core.models import AccessLog
from linli.jobs import exports, services
from linli.jobs.models import Export, Job
from linli.jobs.testing import export_via_job, run_queued
from linli.notifications.models import Notification
from linli.people.tests.conftest import resident_in

pytestmark = pytest.mark.django_db
SLOW = "linli.jobs.testing.slow_export"


def client_for(user, lang="en"):
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(user)
    return c


def download(client, export):
    r = client.get(reverse("jobs:export_download", args=[export.token]))
    if r.status_code == 200:
        r.body = b"".join(r.streaming_content)
    return r


def test_the_button_queues_a_job_and_nothing_is_built_in_the_request(county, make_user):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    r = client_for(staff).post(f"{reverse('people:person_export')}", {"division": county["A"].pk})
    export = Export.objects.get()
    assert r["Location"] == reverse("jobs:export", args=[export.token])
    assert not export.is_ready and export.job.status == Job.Status.QUEUED and export.job.created_by == staff
    page = client_for(staff).get(r["Location"]).content.decode()
    assert 'data-ready="0"' in page and "hx-trigger" in page  # the page polls while the job runs
    run_queued()
    export.refresh_from_db()
    page = client_for(staff).get(r["Location"]).content.decode()
    assert export.is_ready and 'data-testid="export-download"' in page and "hx-trigger" not in page


def test_a_community_staff_members_export_holds_only_their_communitys_persons(county, make_user):
    mine = {resident_in(county[g])[1].pk for g in ("A1", "A2")}
    theirs = resident_in(county["B1"])[1]
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    admin = make_user(Role.Kind.COUNTY_ADMIN, county["county"])
    export, r = export_via_job(client_for(staff), reverse("people:person_export"),
                               data={"division": county["A"].pk})
    names = {row[0] for row in load_workbook(io.BytesIO(r.body)).active.iter_rows(min_row=2, values_only=True)}
    assert set(export.audit_ids) == mine and theirs.name not in names
    export, _r = export_via_job(client_for(admin), reverse("people:person_export"),
                                data={"division": county["county"].pk})
    assert set(export.audit_ids) == mine | {theirs.pk}


def test_the_export_is_built_with_the_scope_the_asker_has_when_it_runs(county, make_user):
    """Asked while staff, the role revoked before the worker ran: nothing is built, nothing retried."""
    resident_in(county["A1"])
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    client_for(staff).post(reverse("people:person_export"), {"division": county["A"].pk})
    staff.roles.all().delete()
    (job,) = run_queued()
    export = Export.objects.get()
    assert job.status == Job.Status.FAILED and job.error_key == "export_forbidden" and job.attempts == 1
    assert not export.is_ready and not Notification.objects.filter(key="export.ready").exists()


def test_nobody_but_the_asker_downloads_the_file(county, make_user):
    resident_in(county["A1"])
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    export, r = export_via_job(client_for(staff), reverse("people:person_export"), data={"division": county["A"].pk})
    assert r.status_code == 200
    for other in (make_user(Role.Kind.COMMUNITY_STAFF, county["A"]), make_user(Role.Kind.COUNTY_ADMIN, county["county"]),
                  make_user(is_superuser=True)):
        c = client_for(other)
        assert download(c, export).status_code == 404
        assert c.get(reverse("jobs:export", args=[export.token])).status_code == 404
    assert Client().get(reverse("jobs:export_download", args=[export.token])).status_code == 302  # to the login
    assert export.file_name.startswith(f"exports/{export.token}/") and len(export.token) >= 43


def test_every_download_is_audited_with_what_the_file_holds(county, make_user):
    person = resident_in(county["A1"])[1]
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    c = client_for(staff)
    export, _r = export_via_job(c, reverse("people:person_export"), data={"division": county["A"].pk})
    assert download(c, export).status_code == 200
    logs = AccessLog.objects.filter(action=AccessLog.Action.EXPORT, user=staff)
    assert logs.count() == 2  # export_via_job downloaded once, this test once more
    assert all(log.model == "people.Person" and log.object_ids == [person.pk] for log in logs)
    assert all("id_number_masked" in log.fields and log.query == f"division={county['A'].code}" for log in logs)


def test_the_asker_is_told_in_their_language_when_the_file_is_ready(county, make_user):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    export, _r = export_via_job(client_for(staff, "zh-hans"), reverse("cases:ledger"))
    n = Notification.objects.get(recipient=staff, key="export.ready")
    assert n.subject.startswith("导出文件已生成：") and n.link == reverse("jobs:export", args=[export.token])
    assert "人民调解台账" in export.title and "人民调解台账" in n.subject


def test_a_build_that_died_after_storing_the_file_is_recorded_once_on_retry(county, make_user, monkeypatch):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    export = exports.export_request(builder=SLOW, by=staff, title="slow")
    real = exports._record

    def dies(*args, **kwargs):
        raise RuntimeError("the worker died here")

    monkeypatch.setattr(exports, "_record", dies)
    (job,) = run_queued()
    assert job.status == Job.Status.QUEUED and job.attempts == 1  # retried with backoff
    stored = f"exports/{export.token}/slow.csv"
    assert default_storage.exists(stored)
    monkeypatch.setattr(exports, "_record", real)
    (job,) = run_queued(due_at=timezone.now() + dt.timedelta(hours=1))
    export.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 2
    assert export.file_name == stored  # the same name: the first attempt's file was rewritten, not doubled
    assert Notification.objects.filter(recipient=staff, key="export.ready").count() == 1
    # Run once more (a job re-queued by hand): nothing changes.
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)
    run_queued()
    assert Export.objects.get(pk=export.pk).ready_at == export.ready_at
    assert Notification.objects.filter(recipient=staff, key="export.ready").count() == 1


def test_expired_exports_are_pruned_with_their_files(county, make_user):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    export = exports.export_request(builder=SLOW, by=staff, title="old")
    run_queued()
    export.refresh_from_db()
    assert download(client_for(staff), export).status_code == 200
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert download(client_for(staff), export).status_code == 404  # expired: no longer served
    services.jobs_prune()
    assert not Export.objects.filter(pk=export.pk).exists() and not default_storage.exists(export.file_name)


def test_each_moved_export_runs_through_the_job(county, make_user):
    """The exports that used to be built in the request: each POST queues a job and builds no file (the
    canteen's settlement ledger: linli/canteen/tests/test_pages_api.py)."""
    admin = make_user(Role.Kind.COUNTY_ADMIN, county["county"])
    auditor = make_user(Role.Kind.AUDITOR, county["county"])
    posts = [(admin, reverse("activities:ledger") + "?format=xlsx", {}),
             (admin, reverse("cases:ledger"), {}),
             (admin, reverse("people:person_export"), {"division": county["A"].pk}),
             (admin, reverse("grids:grid_export", args=[county["A1"].pk]), {}),
             (auditor, reverse("accounts:audit_export_xlsx"), {})]
    for user, url, data in posts:
        r = client_for(user).post(url, data)
        assert r.status_code == 302 and "/jobs/exports/" in r["Location"], (url, r.status_code)
    assert Export.objects.count() == 5 and Job.objects.filter(task=exports.TASK, status=Job.Status.QUEUED).count() == 5
    done = run_queued()
    assert {j.status for j in done} == {Job.Status.DONE}, [(j.params, j.error_key, j.error_detail) for j in done]
    assert all(e.is_ready and e.size > 0 for e in Export.objects.all())


def test_an_old_get_link_shows_the_button_and_builds_nothing(county, make_user):
    admin = make_user(Role.Kind.COUNTY_ADMIN, county["county"])
    for url in (reverse("cases:ledger"), f"{reverse('people:person_export')}?division={county['A'].pk}",
                reverse("grids:grid_export", args=[county["A1"].pk])):
        r = client_for(admin).get(url)
        assert r.status_code == 200 and 'data-testid="export-start"' in r.content.decode(), url
    assert not Export.objects.exists() and not Job.objects.exists()


def test_a_file_stored_by_an_attempt_that_never_recorded_it_is_pruned_too(county, make_user, monkeypatch):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    export = exports.export_request(builder=SLOW, by=staff, title="orphan")
    Job.objects.filter(pk=export.job_id).update(max_attempts=1)

    def dies(*args, **kwargs):
        raise RuntimeError("the worker died here")

    monkeypatch.setattr(exports, "_record", dies)
    (job,) = run_queued()
    stored = f"exports/{export.token}/slow.csv"
    assert job.status == Job.Status.DEAD and default_storage.exists(stored)
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    services.jobs_prune()
    assert not default_storage.exists(stored) and not Export.objects.filter(pk=export.pk).exists()
