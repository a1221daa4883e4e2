"""The register import commits in a job worker: the page returns at once and polls a progress
bar; the commit is still all or nothing; a second commit while one runs is refused; a commit whose
process died may be tried again; only the uploader sees the progress."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.core import idcard
from linli.grids import services
from linli.grids.models import RegisterImport
from linli.jobs.models import Job
from linli.jobs.testing import run_queued
from linli.people import services as people_services
from linli.people.models import Household, Membership, Person

from .conftest import workbook


def ID(n, born=dt.date(1980, 5, 17)):
    return idcard.make("360724", born, n)


def ledger(n, grid="网格A1"):
    """n one-person households."""
    return workbook([(grid, f"北区{i}号", f"居民{i}", "户主", ID(100 + i), "", "", "", "", "") for i in range(n)])


def client_for(user):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def register_counts():
    return Household.objects.count(), Person.objects.count(), Membership.objects.count()


@pytest.fixture
def keeper(users):
    return users["community_staff"]


def previewed(user, n=3):
    imp, preview = services.register_import_start(by=user, file_name="ledger.xlsx", data=ledger(n))
    assert preview.ok, preview.errors
    return imp


def test_the_commit_view_claims_the_import_and_the_worker_finishes_it(keeper):
    imp = previewed(keeper)
    before = register_counts()
    page = reverse("grids:import_preview", args=[imp.pk])
    r = client_for(keeper).post(page, {"action": "commit"})
    assert r.status_code == 302 and r.url == page
    imp.refresh_from_db()
    assert imp.status == RegisterImport.Status.COMMITTED and imp.progress == 100 and imp.error == ""
    assert register_counts() == (before[0] + 3, before[1] + 3, before[2] + 3)
    body = client_for(keeper).get(page).content.decode()
    assert 'data-testid="import-done"' in body and 'data-testid="import-progress"' not in body


def test_progress_is_reported_every_hundred_rows_and_ends_at_100(keeper, monkeypatch):
    imp = previewed(keeper, n=5)
    seen = []
    monkeypatch.setattr(services, "IMPORT_PROGRESS_EVERY", 2)
    monkeypatch.setattr(services, "_progress_note", lambda pk, p: seen.append(p))
    services.register_import_commit_start(by=keeper, register_import=imp)
    imp.refresh_from_db()
    assert seen == [0, services.IMPORT_PROGRESS_READ, 42, 80] and imp.progress == 100
    assert services.register_import_progress(imp) == 100


def test_a_row_failing_in_the_worker_writes_nothing_and_the_page_shows_why(keeper, monkeypatch):
    imp = previewed(keeper, n=3)
    before = register_counts()
    real = people_services.membership_add
    calls = []

    def third_fails(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise ValidationError({"relation": "This household already has a head."})
        return real(**kwargs)

    monkeypatch.setattr(people_services, "membership_add", third_fails)
    page = reverse("grids:import_preview", args=[imp.pk])
    client_for(keeper).post(page, {"action": "commit"})
    assert register_counts() == before  # two rows had been written: rolled back with the third
    imp.refresh_from_db()
    assert imp.status == RegisterImport.Status.PREVIEWED and imp.payload_encrypted
    assert imp.error == "Row 4: This household already has a head."
    body = client_for(keeper).get(page).content.decode()
    assert 'data-testid="import-error"' in body and "Row 4: This household already has a head." in body


def test_a_register_changed_since_the_preview_fails_the_commit_with_the_new_errors(keeper, county):
    imp = previewed(keeper, n=2)
    people_services.person_create(by=keeper, name="居民1", division=county["A2"], id_number=ID(101))
    before = register_counts()
    services.register_import_commit_start(by=keeper, register_import=imp)
    imp.refresh_from_db()
    assert register_counts() == before
    assert imp.status == RegisterImport.Status.PREVIEWED and imp.summary["error_rows"] == 1
    assert "The file has errors; nothing was imported." in imp.error


def test_an_unexpected_failure_is_recorded_not_raised(keeper, monkeypatch):
    imp = previewed(keeper)
    before = register_counts()

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(people_services, "person_create", broken)
    services.register_import_commit_start(by=keeper, register_import=imp)
    imp.refresh_from_db()
    assert register_counts() == before
    assert imp.status == RegisterImport.Status.PREVIEWED and "failed unexpectedly" in imp.error


def committing(imp, minutes_ago=0):
    started = timezone.now() - dt.timedelta(minutes=minutes_ago)
    RegisterImport.objects.filter(pk=imp.pk).update(status=RegisterImport.Status.COMMITTING,
                                                    commit_started_at=started)
    imp.refresh_from_db()
    return imp


def test_a_second_commit_while_committing_is_refused(keeper):
    imp = committing(previewed(keeper), minutes_ago=1)
    before = register_counts()
    with pytest.raises(ValidationError, match="being imported right now"):
        services.register_import_commit_start(by=keeper, register_import=imp)
    page = reverse("grids:import_preview", args=[imp.pk])
    c = client_for(keeper)
    r = c.post(page, {"action": "commit"}, follow=True)
    assert "being imported right now" in r.content.decode()
    # The running commit's own claim is the only one that may write.
    with pytest.raises(ValidationError):
        services.register_import_commit(by=keeper, register_import=imp)
    assert register_counts() == before
    imp.refresh_from_db()
    assert imp.status == RegisterImport.Status.COMMITTING


def test_the_page_polls_progress_while_committing(keeper):
    imp = committing(previewed(keeper))
    c = client_for(keeper)
    body = c.get(reverse("grids:import_preview", args=[imp.pk])).content.decode()
    progress_url = reverse("grids:import_progress", args=[imp.pk])
    assert f'hx-get="{progress_url}"' in body and 'data-testid="commit"' not in body
    services._progress_note(imp.pk, 37)
    try:
        assert "37%" in c.get(progress_url).content.decode()
    finally:
        services._progress_forget(imp.pk)
    RegisterImport.objects.filter(pk=imp.pk).update(status=RegisterImport.Status.COMMITTED, progress=100)
    r = c.get(progress_url, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Refresh"] == "true"


def test_the_progress_endpoint_is_only_for_the_uploader(keeper, users):
    imp = committing(previewed(keeper))
    url = reverse("grids:import_progress", args=[imp.pk])
    assert client_for(keeper).get(url).status_code == 200
    assert client_for(users["county_admin"]).get(url).status_code == 404
    assert client_for(users["grid_worker"]).get(url, HTTP_HX_REQUEST="true").status_code == 404


def test_a_stale_commit_may_be_tried_again(keeper):
    imp = committing(previewed(keeper), minutes_ago=11)
    page = reverse("grids:import_preview", args=[imp.pk])
    c = client_for(keeper)
    assert services.register_import_is_stale(imp)
    body = c.get(page).content.decode()
    assert 'data-testid="import-stale"' in body and 'data-testid="retry"' in body and "hx-get" not in body
    before = register_counts()
    c.post(page, {"action": "commit"})
    imp.refresh_from_db()
    assert imp.status == RegisterImport.Status.COMMITTED and register_counts()[1] == before[1] + 3


def test_a_dead_claim_does_not_undo_a_retry(keeper):
    imp = committing(previewed(keeper), minutes_ago=11)
    dead_claim = imp.commit_started_at
    services.register_import_commit_start(by=keeper, register_import=imp)
    services._commit_failed(imp.pk, dead_claim, "late")
    imp.refresh_from_db()
    assert imp.status == RegisterImport.Status.COMMITTED and imp.error == ""


@pytest.mark.django_db(transaction=True)
def test_the_commit_is_a_job_that_a_worker_runs(keeper, settings):
    settings.LINLI_GRIDS_IMPORT_INLINE = False
    imp = previewed(keeper, n=120)
    before = register_counts()
    claimed = services.register_import_commit_start(by=keeper, register_import=imp)
    assert claimed.status == RegisterImport.Status.COMMITTING and register_counts() == before  # not in the request
    job = Job.objects.get(key=f"grids.import:{imp.pk}")
    assert job.status == Job.Status.QUEUED and job.created_by == keeper
    [ran] = run_queued()
    imp.refresh_from_db()
    assert imp.status == RegisterImport.Status.COMMITTED, imp.error
    assert register_counts() == (before[0] + 120, before[1] + 120, before[2] + 120)
    assert ran.status == Job.Status.DONE and ran.progress == 100 and ran.result == {"status": "committed"}
    assert services.register_import_progress(imp) == 100 and imp.pk not in services._PROGRESS


def test_the_page_shows_the_jobs_progress_from_another_process(keeper):
    imp = committing(previewed(keeper))
    Job.objects.create(task="linli.grids.services.register_import_commit_job", key=f"grids.import:{imp.pk}",
                       status=Job.Status.RUNNING, progress=63, heartbeat_at=timezone.now())
    assert "63%" in client_for(keeper).get(reverse("grids:import_progress", args=[imp.pk])).content.decode()


def test_a_commit_whose_import_was_deleted_fails_its_job_once(keeper, settings):
    settings.LINLI_GRIDS_IMPORT_INLINE = False
    imp = previewed(keeper)
    services.register_import_commit_start(by=keeper, register_import=imp)
    RegisterImport.objects.filter(pk=imp.pk).delete()
    [ran] = run_queued()
    assert ran.status == Job.Status.FAILED and ran.error_key == "vanished" and ran.attempts == 1
    assert run_queued() == []  # no retry storm
