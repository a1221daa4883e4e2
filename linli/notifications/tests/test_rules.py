"""The notification service's rules: language, fallbacks, de-duplication, quiet hours, the inbox."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linli.core.testing import UserFactory
from linli.notifications import catalogue, selectors, services
from linli.notifications.context_processors import bell
from linli.notifications.models import Channel, Delivery, Notification, Preference
from linli.notifications.tests.conftest import not_quiet, person_user, quiet_now


def _channels(n):
    return {d.channel: d for d in n.deliveries.all()}


def test_a_message_is_rendered_in_the_recipients_language_not_the_senders(county):
    zh = person_user(county["A1"], language="zh-hans")
    en = person_user(county["A1"], language="en")
    params = {"child": "王小明", "site": "东门邻里中心", "time": "16:40"}
    a = services.notify(recipient=zh, key="classroom.checked_in", params=params)
    b = services.notify(recipient=en, key="classroom.checked_in", params=params)
    assert (a.language, b.language) == ("zh-hans", "en")
    assert "已到达" in a.subject and a.subject.startswith("王小明")
    assert b.subject == "王小明 has arrived at 东门邻里中心"
    assert not a.render_note and not b.render_note


def test_a_template_missing_in_chinese_falls_back_to_english_visibly(county, monkeypatch):
    monkeypatch.setitem(catalogue.TEMPLATES, "test.untranslated",
                        catalogue.Template("Nobody translated %(what)s", "Still %(what)s"))
    user = person_user(county["A1"], language="zh-hans")
    n = services.notify(recipient=user, key="test.untranslated", params={"what": "this"})
    assert (n.subject, n.language) == ("Nobody translated this", "en")
    assert "no zh-hans translation" in n.render_note
    assert n in selectors.inbox(user=user)


def test_an_unknown_key_is_recorded_and_never_raises(county):
    user = person_user(county["A1"])
    n = services.notify(recipient=user, key="no.such.key", params={})
    assert n.render_note == "unknown template key 'no.such.key'" and not n.shown
    (delivery,) = n.deliveries.all()
    assert (delivery.status, delivery.error) == (Delivery.Status.FAILED, "unknown template key 'no.such.key'")
    assert not selectors.inbox(user=user).exists()


def test_a_missing_parameter_shows_an_ellipsis_instead_of_breaking(county):
    user = person_user(county["A1"])
    n = services.notify(recipient=user, key="classroom.checked_in", params={"child": "小明"})
    assert n.subject == "小明 has arrived at …"


def test_the_same_dedup_key_notifies_once(county):
    user = person_user(county["A1"])
    first = services.notify(recipient=user, key="welcome", dedup_key="welcome")
    again = services.notify(recipient=user, key="welcome", dedup_key="welcome")
    assert first.pk == again.pk
    assert Notification.objects.filter(recipient=user).count() == 1
    assert Delivery.objects.filter(notification__recipient=user).count() == 2  # inbox + console, once


def test_a_recipient_with_no_channel_gets_the_inbox(county):
    user = UserFactory(email="")
    n = services.notify(recipient=user, key="welcome")
    (delivery,) = n.deliveries.all()
    assert (delivery.channel, delivery.status) == (Channel.INBOX, Delivery.Status.SENT)
    assert list(selectors.inbox(user=user)) == [n]


def test_phone_and_email_come_from_the_register_and_the_account(county, gateway):
    u = person_user(county["A1"], phone="13700001234", mail="li@example.cn", email=True, wechat=True)
    n = services.notify(recipient=u, key="welcome")
    got = _channels(n)
    assert got[Channel.SMS].address == "13700001234" and got[Channel.EMAIL].address == "li@example.cn"
    assert Channel.WECHAT not in got  # no OpenID bound yet: WeChat is no route, the inbox keeps the message
    assert got[Channel.SMS].address_masked == "137****1234"


def test_quiet_hours_hold_sms_until_they_end_and_send_due_lifts_them(county, gateway):
    user = person_user(county["A1"], **quiet_now())
    n = services.notify(recipient=user, key="welcome")
    sms = _channels(n)[Channel.SMS]
    assert sms.status == Delivery.Status.DEFERRED
    end = timezone.localtime(sms.next_attempt_at)
    assert end > timezone.localtime() and end.time() == user.notification_preference.quiet_end
    assert services.deliveries_send_due() == 0 and not gateway.requests  # still night
    assert services.deliveries_send_due(now=end + dt.timedelta(minutes=1)) == 1
    sms.refresh_from_db()
    assert sms.status == Delivery.Status.SENT and len(gateway.requests) == 1


def test_a_safety_alert_goes_out_during_quiet_hours(county, gateway):
    user = person_user(county["A1"], **quiet_now())
    n = services.notify(recipient=user, key="classroom.refused", safety=True,
                        params={"child": "小明", "site": "东门", "time": "02:10", "claimed": "陌生人",
                                "reason": "not_listed"})
    sms = _channels(n)[Channel.SMS]
    assert sms.status == Delivery.Status.PENDING and sms.next_attempt_at <= timezone.now()
    assert services.deliveries_send_due() == 1 and gateway.requests[0]["json"]["safety"] is True


def test_quiet_hours_hold_email_too_and_send_due_lifts_them(county, smtp):
    user = person_user(county["A1"], mail="wang@example.cn", email=True, sms=False, **quiet_now())
    n = services.notify(recipient=user, key="welcome")
    email = _channels(n)[Channel.EMAIL]
    assert email.status == Delivery.Status.DEFERRED
    end = timezone.localtime(email.next_attempt_at)
    assert end.time() == user.notification_preference.quiet_end
    assert services.deliveries_send_due() == 0 and not smtp.messages  # still night
    assert services.deliveries_send_due(now=end + dt.timedelta(minutes=1)) == 1
    email.refresh_from_db()
    assert email.status == Delivery.Status.SENT and len(smtp.messages) == 1


def test_a_safety_alert_is_emailed_during_quiet_hours(county, smtp):
    user = person_user(county["A1"], mail="wang@example.cn", email=True, sms=False, **quiet_now())
    n = services.notify(recipient=user, key="classroom.refused", safety=True,
                        params={"child": "小明", "site": "东门", "time": "02:10", "claimed": "陌生人",
                                "reason": "not_listed"})
    assert _channels(n)[Channel.EMAIL].status == Delivery.Status.PENDING
    assert services.deliveries_send_due() == 1 and smtp.messages[0].rcpt_tos == ["wang@example.cn"]


def test_deliveries_leave_only_after_commit_and_not_at_all_on_rollback(county, gateway,
                                                                       django_capture_on_commit_callbacks):
    user = person_user(county["A1"], **not_quiet())
    from linli.jobs.models import Job
    from linli.jobs.testing import run_queued

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipient=user, key="welcome")
        assert not Job.objects.exists()  # nothing is handed over before the commit
    (job,) = Job.objects.filter(task="linli.notifications.services.deliveries_send")
    assert not gateway.requests  # a worker sends it, not the request
    run_queued()
    assert len(gateway.requests) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        services.notify(recipient=user, key="welcome", dedup_key="rolled-back")
        raise RuntimeError
    assert not Notification.objects.filter(dedup_key="rolled-back").exists()


def test_a_user_sees_only_their_own_messages(county, client):
    mine, other = person_user(county["A1"]), person_user(county["A1"])
    admin = UserFactory(is_superuser=True, is_staff=True)
    services.notify(recipient=mine, key="welcome")
    theirs = services.notify(recipient=other, key="welcome")
    assert list(selectors.inbox(user=admin)) == []  # not even a superuser reads someone's inbox
    client.force_login(mine)
    page = client.get(reverse("notifications:inbox"))
    assert page.status_code == 200 and page.content.decode().count('data-testid="notification"') == 1
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert client.get(f"/api/notifications/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    assert [row["id"] for row in client.get("/api/notifications/").json()["results"]] != [theirs.pk]
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_one_and_all_as_read(county, client):
    user = person_user(county["A1"])
    a, b, c = (services.notify(recipient=user, key="welcome") for _ in range(3))
    client.force_login(user)
    client.post(reverse("notifications:read", args=[a.pk]))
    assert selectors.unread_count(user=user) == 2
    assert client.post("/api/notifications/read-all/").json() == {"marked": 2, "unread": 0}


def test_the_bell_shows_the_unread_count_on_every_page(county, client):
    user = person_user(county["A1"])
    for _ in range(3):
        services.notify(recipient=user, key="welcome")
    client.force_login(user)
    for url in ("/", reverse("activities:list"), reverse("notifications:settings")):
        html = client.get(url).content.decode()
        assert 'data-testid="bell"' in html and 'data-testid="bell-count">3<' in html, url


def test_the_bell_costs_one_query_and_none_when_not_shown(county):
    user = person_user(county["A1"])
    services.notify(recipient=user, key="welcome")
    request = RequestFactory().get("/")
    request.user = user
    with CaptureQueriesContext(connection) as queries:
        context = bell(request)
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        assert str(context["notifications_unread"]) == "1"
    assert len(queries) == 1


def test_settings_show_the_register_phone_masked_and_save_channels_and_quiet_hours(county, client):
    user = person_user(county["A1"], phone="13912345678")
    client.force_login(user)
    html = client.get(reverse("notifications:settings")).content.decode()
    assert "139****5678" in html and "13912345678" not in html
    response = client.post(reverse("notifications:settings"), {"language": "zh-hans", "sms": "on", "email": "",
                                                              "quiet_start": "21:30", "quiet_end": "06:45"})
    assert response.status_code == 302
    pref = Preference.objects.get(user=user)
    assert (pref.language, pref.sms, pref.email, pref.quiet_start) == ("zh-hans", True, False, dt.time(21, 30))


def test_a_bad_quiet_time_keeps_what_was_typed_and_says_why(county, client):
    user = person_user(county["A1"])
    client.force_login(user)
    response = client.post(reverse("notifications:settings"), {"language": "en", "quiet_start": "25:99",
                                                              "quiet_end": "06:45"})
    html = response.content.decode()
    assert response.status_code == 200 and "25:99" in html and "errorlist" in html


def test_figures_count_deliveries_of_the_last_30_days_by_channel(county):
    user = person_user(county["A1"], **not_quiet())  # the console is held in quiet hours too
    services.notify(recipient=user, key="welcome")
    services.deliveries_send_due()
    old = services.notify(recipient=user, key="welcome")
    Delivery.objects.filter(notification=old).update(created_at=timezone.now() - dt.timedelta(days=31))
    services.notify(recipient=user, key="no.such.key")
    assert selectors.figures() == {"delivered_last_30_days": 2, "failed_last_30_days": 1,
                                   "by_channel": {"console": 1, "inbox": 1}}
