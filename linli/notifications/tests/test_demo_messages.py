"""The demo: every login's bell shows its unread messages, each role's login has at least one beyond the
welcome (made by the events' own code), and `linli stats --json` carries the jobs and notifications
figures, not zero. The fixture builds as `linli demo` does: the build, then its queued jobs run once
through the worker's code (deliveries and exports are jobs, not sent inside the build)."""

import json

import pytest
from django.test import Client

from linli.accounts.models import User
from linli.cli import main
from linli.demo import generator
from linli.jobs.models import Job
from linli.notifications.models import Channel, Delivery, Notification

ROLES = ("county", "staff", "site", "tutor", "volunteer", "resident")


@pytest.fixture
def logins(db):
    built = generator.build(households_per_grid=4)
    generator.run_queued_jobs()
    return built


def test_every_demo_login_has_unread_messages_and_the_bell_shows_them(logins):
    for login in logins:
        user = User.objects.get(username=login.username)
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        assert unread >= 1, login.username
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        page = client.get("/").content.decode()
        shown = "99+" if unread > 99 else str(unread)
        assert f'data-testid="bell-count">{shown}</span>' in page, login.username
    # Beyond the welcome, the logins with events in the demo are told about them by the events' own code
    # (the grid login's care.overdue depends on the demo's size: at the default size it has one).
    told: dict[str, set] = {}
    for username, key in Notification.objects.exclude(key="welcome").values_list("recipient__username", "key"):
        told.setdefault(username, set()).add(key)
    assert "cases.overdue" in told.get("county", set()), told
    assert "case.offered" in told.get("volunteer", set()), told
    assert "case.dispatched" in told.get("resident", set()), told


def test_stats_json_carries_the_jobs_and_notifications_figures(logins, capsys):
    main(["stats", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert set(data["jobs"]) >= {"queued", "running", "failed_last_24h", "dead"}
    assert set(data["notifications"]) >= {"delivered_last_30_days", "failed_last_30_days", "by_channel"}
    assert data["notifications"]["delivered_last_30_days"] > 0 and data["notifications"]["by_channel"]


def test_each_role_login_has_a_message_beyond_the_welcome(logins):
    told: dict[str, set] = {}
    for username, key in Notification.objects.exclude(key="welcome").values_list("recipient__username", "key"):
        told.setdefault(username, set()).add(key)
    assert all(told.get(u) for u in ROLES), {u: told.get(u) for u in ROLES}
    assert all("export.ready" in told[u] for u in ("staff", "site", "tutor")), told


def test_the_demo_build_sends_nothing_itself_its_queued_jobs_do(db):
    generator.build(households_per_grid=4)
    # the inbox holds each message at once; every other channel waits for a worker
    outside = Delivery.objects.exclude(channel=Channel.INBOX)
    assert not outside.filter(status=Delivery.Status.SENT).exists()
    assert Job.objects.filter(task="linli.notifications.services.deliveries_send_due",
                              status=Job.Status.QUEUED).count() == 1
    ran = generator.run_queued_jobs()
    assert ran >= 3 and not Job.objects.filter(status=Job.Status.QUEUED).exists()
    # each was taken by the job: sent, or held for quiet hours (the demo may be built at night in China)
    assert not outside.filter(status=Delivery.Status.PENDING).exists()
    assert set(Job.objects.values_list("worker", flat=True)) == {"demo-build"}
