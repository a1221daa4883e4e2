"""The demo: every login's bell shows its unread messages (beyond a welcome where the login has events),
and `linli stats --json` carries the jobs and notifications figures, not zero."""

import json

import pytest
from django.test import Client

from linli.accounts.models import User
from linli.cli import main
from linli.demo import generator
from linli.notifications.models import Notification


@pytest.fixture
def logins(db):
    return generator.build(households_per_grid=4)


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
    told = dict(Notification.objects.exclude(key="welcome").values_list("recipient__username", "key"))
    assert {told.get(u) for u in ("county", "volunteer", "resident")} == {"cases.overdue", "case.offered",
                                                                           "case.dispatched"}, told


def test_stats_json_carries_the_jobs_and_notifications_figures(logins, capsys):
    main(["stats", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert set(data["jobs"]) >= {"queued", "running", "failed_last_24h", "dead"}
    assert set(data["notifications"]) >= {"delivered_last_30_days", "failed_last_30_days", "by_channel"}
    assert data["notifications"]["delivered_last_30_days"] > 0 and data["notifications"]["by_channel"]
