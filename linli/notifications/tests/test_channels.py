"""Each channel against a real local server: SMTP (aiosmtpd) and the SMS/WeChat gateway (http.server);
failures are recorded, retried with backoff, and after the limit the message falls back to the inbox."""

import datetime as dt
from email import message_from_bytes
from email.header import decode_header, make_header

from django.utils import timezone

from linli.notifications import selectors, services
from linli.notifications.models import Channel, Delivery, Preference
from linli.notifications.tests.conftest import not_quiet, person_user


def _delivery(n, channel):
    return n.deliveries.get(channel=channel)


def test_email_goes_through_smtp(county, smtp):
    user = person_user(county["A1"], mail="wang@example.cn", email=True, sms=False, **not_quiet())
    n = services.notify(recipient=user, key="welcome")
    assert services.deliveries_send_due() == 1
    (envelope,) = smtp.messages
    assert envelope.rcpt_tos == ["wang@example.cn"]
    message = message_from_bytes(envelope.content)
    assert str(make_header(decode_header(message["Subject"]))) == "Welcome to Linli"
    assert _delivery(n, Channel.EMAIL).status == Delivery.Status.SENT


def test_an_unreachable_smtp_server_is_recorded_and_retried(county, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nobody listens
    user = person_user(county["A1"], mail="wang@example.cn", email=True, sms=False, **not_quiet())
    n = services.notify(recipient=user, key="welcome")
    services.deliveries_send_due()
    email = _delivery(n, Channel.EMAIL)
    assert email.status == Delivery.Status.RETRYING and email.error.startswith("SMTP")


def test_sms_goes_to_the_gateway_with_its_key_and_the_register_phone(county, gateway):
    user = person_user(county["A1"], phone="13912345678", **not_quiet())
    n = services.notify(recipient=user, key="classroom.checked_in",
                        params={"child": "王小明", "site": "东门邻里中心", "time": "16:40"})
    assert services.deliveries_send_due() == 1
    (req,) = gateway.requests
    assert req["path"] == "/sms" and req["headers"]["Authorization"] == "Bearer sms-secret"
    body = req["json"]
    assert (body["phone"], body["template"], body["id"]) == ("13912345678", "classroom.checked_in",
                                                             _delivery(n, Channel.SMS).pk)
    assert body["params"]["child"] == "王小明" and "王小明 has arrived at 东门邻里中心" in body["text"]
    assert body["safety"] is False


def test_wechat_goes_to_the_gateway_with_the_bound_openid(county, gateway):
    user = person_user(county["A1"], sms=False, wechat=True, wechat_openid="oABC123", **not_quiet())
    services.notify(recipient=user, key="welcome", obj="/notifications/")
    services.deliveries_send_due()
    (req,) = gateway.requests
    assert req["path"] == "/wechat" and req["headers"]["Authorization"] == "Bearer wechat-secret"
    assert (req["json"]["openid"], req["json"]["title"]) == ("oABC123", "Welcome to Linli")


def test_without_a_gateway_sms_goes_to_the_console(county, settings, capsys):
    settings.LINLI_SMS_GATEWAY_URL, settings.DEBUG = "", True
    user = person_user(county["A1"], **not_quiet())
    n = services.notify(recipient=user, key="welcome")
    services.deliveries_send_due()
    assert _delivery(n, Channel.CONSOLE).status == Delivery.Status.SENT
    assert "Welcome to Linli" in capsys.readouterr().out


def test_a_gateway_error_is_recorded_and_retried_after_backoff(county, gateway, settings):
    settings.LINLI_NOTIFY_RETRY_SECONDS = 60
    gateway.status = 500
    user = person_user(county["A1"], **not_quiet())
    n = services.notify(recipient=user, key="welcome")
    now = timezone.now()
    services.deliveries_send_due(now=now)
    sms = _delivery(n, Channel.SMS)
    assert (sms.status, sms.attempts, sms.error) == (Delivery.Status.RETRYING, 1, "gateway answered HTTP 500")
    assert sms.next_attempt_at == now + dt.timedelta(seconds=60)
    services.deliveries_send_due(now=now + dt.timedelta(seconds=30))  # backoff not over: no attempt
    assert len(gateway.requests) == 1
    services.deliveries_send_due(now=now + dt.timedelta(seconds=61))
    sms.refresh_from_db()
    assert (sms.attempts, sms.next_attempt_at) == (2, now + dt.timedelta(seconds=61 + 120))  # doubled
    gateway.status = 200
    services.deliveries_send_due(now=now + dt.timedelta(seconds=200))
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.error) == (Delivery.Status.SENT, 3, "")


def test_a_gateway_timeout_is_recorded_and_retried(county, gateway):
    gateway.delay = 1.5  # the client gives up after 0.5 s
    user = person_user(county["A1"], **not_quiet())
    n = services.notify(recipient=user, key="welcome")
    services.deliveries_send_due()
    sms = _delivery(n, Channel.SMS)
    assert sms.status == Delivery.Status.RETRYING and "unreachable" in sms.error


def test_after_the_retry_limit_the_message_falls_back_to_the_inbox(county, gateway, settings):
    settings.LINLI_NOTIFY_MAX_ATTEMPTS = 3
    gateway.status = 503
    user = person_user(county["A1"], **not_quiet())
    n = services.notify(recipient=user, key="welcome")
    moment = timezone.now()
    for _ in range(5):
        services.deliveries_send_due(now=moment)
        moment += dt.timedelta(hours=7)
    sms = _delivery(n, Channel.SMS)
    assert (sms.status, sms.attempts, len(gateway.requests)) == (Delivery.Status.FAILED, 3, 3)
    n.refresh_from_db()
    assert n.fallback_at is not None and n in selectors.inbox(user=user)
    assert selectors.figures()["failed_last_30_days"] == 1


def test_a_delivery_claimed_by_a_dead_worker_is_sent_again(county, gateway):
    user = person_user(county["A1"], **not_quiet())
    n = services.notify(recipient=user, key="welcome")
    sms = _delivery(n, Channel.SMS)
    Delivery.objects.filter(pk=sms.pk).update(status=Delivery.Status.SENDING, attempts=1)
    Delivery.objects.filter(pk=sms.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=11))
    assert services.deliveries_send_due() == 1
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (Delivery.Status.SENT, 2)


def test_a_sent_delivery_is_never_sent_twice(county, gateway):
    user = person_user(county["A1"], **not_quiet())
    n = services.notify(recipient=user, key="welcome")
    pk = _delivery(n, Channel.SMS).pk
    services.deliveries_send([pk])
    services.deliveries_send([pk])
    services.deliveries_send_due()
    assert len(gateway.requests) == 1


def test_turning_sms_off_leaves_the_inbox(county, gateway):
    user = person_user(county["A1"], **not_quiet())
    Preference.objects.filter(user=user).update(sms=False)
    user.refresh_from_db()
    n = services.notify(recipient=user, key="welcome")
    assert [d.channel for d in n.deliveries.all()] == [Channel.INBOX]
