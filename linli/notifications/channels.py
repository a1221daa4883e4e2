"""Channels behind one interface: `address(user, preference)` says where a user is reached on the channel
("" when not), `send(delivery)` delivers or raises ChannelError. SMS and WeChat subscription messages go
to an HTTP gateway (the provider the county uses), whose URL and key are settings; with no gateway
configured they are printed instead (the console channel, for development)."""

import json
import logging
import smtplib
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage

from linli.notifications.models import Channel

log = logging.getLogger("linli.notifications")


class ChannelError(Exception):
    pass


def _phone(user) -> str:
    """The phone on the resident register (people.Person linked to the account), never typed again."""
    person = getattr(user, "person", None) if user.pk else None
    try:
        return (person.phone or "").strip() if person is not None else ""
    except Exception:  # noqa: BLE001 - a user without a Person raises RelatedObjectDoesNotExist
        return ""


class Email:
    channel = Channel.EMAIL

    def address(self, user, pref) -> str:
        return user.email if pref.email and user.email else ""

    def send(self, delivery) -> None:
        n = delivery.notification
        body = n.body + (f"\n\n{_absolute(n.link)}" if n.link else "")
        try:
            EmailMessage(n.subject, body, settings.DEFAULT_FROM_EMAIL, [delivery.address]).send()
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"SMTP: {exc}") from exc


class Gateway:
    """POST a JSON message to the county's SMS or WeChat gateway with `Authorization: Bearer <key>`.
    The delivery id goes along as `id`, so a gateway can drop a retried message it has already sent."""

    def __init__(self, channel: str, url_setting: str, key_setting: str):
        self.channel, self.url_setting, self.key_setting = channel, url_setting, key_setting

    @property
    def url(self) -> str:
        return getattr(settings, self.url_setting, "")

    def address(self, user, pref) -> str:
        if self.channel == Channel.SMS:
            return _phone(user) if pref.sms else ""
        # WeChat: only to the OpenID the user bound (services.wechat_bind); without one, the inbox keeps it.
        return pref.wechat_openid if pref.wechat else ""

    def payload(self, delivery) -> dict:
        n = delivery.notification
        common = {"id": delivery.pk, "template": n.key, "params": n.params, "language": n.language,
                  "safety": n.safety}
        if self.channel == Channel.SMS:
            return {**common, "phone": delivery.address, "text": f"{n.subject}。{n.body}"[:500]}
        to = {"openid": delivery.address} if not delivery.address.isdigit() else {"phone": delivery.address}
        return {**common, **to, "title": n.subject, "body": n.body, "page": _absolute(n.link) if n.link else ""}

    def send(self, delivery) -> None:
        data = json.dumps(self.payload(delivery), ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=data, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {getattr(settings, self.key_setting, '')}"})
        try:
            with urllib.request.urlopen(request, timeout=settings.LINLI_NOTIFY_GATEWAY_TIMEOUT) as response:
                response.read(4096)
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"gateway answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ChannelError(f"gateway unreachable: {getattr(exc, 'reason', exc)}") from exc


class Console:
    """Development: what would have gone by SMS or WeChat is logged (and printed when DEBUG)."""

    channel = Channel.CONSOLE

    def send(self, delivery) -> None:
        n = delivery.notification
        line = f"[notification] to {n.recipient} ({delivery.address}): {n.subject} — {n.body}"
        log.info(line)
        if settings.DEBUG:
            print(line)


EMAIL = Email()
SMS = Gateway(Channel.SMS, "LINLI_SMS_GATEWAY_URL", "LINLI_SMS_GATEWAY_KEY")
WECHAT = Gateway(Channel.WECHAT, "LINLI_WECHAT_GATEWAY_URL", "LINLI_WECHAT_GATEWAY_KEY")
CONSOLE = Console()
OUTBOUND = (SMS, WECHAT, EMAIL)


def adapter_for(channel: str):
    return {Channel.EMAIL: EMAIL, Channel.SMS: SMS, Channel.WECHAT: WECHAT, Channel.CONSOLE: CONSOLE}[channel]


def routes(user, pref) -> list[tuple[str, str]]:
    """(channel, address) for every channel the user allows and can be reached on, besides the inbox.
    SMS or WeChat with no gateway configured goes to the console."""
    out = []
    for adapter in OUTBOUND:
        address = adapter.address(user, pref)
        if not address:
            continue
        if isinstance(adapter, Gateway) and not adapter.url:
            out.append((Channel.CONSOLE, address))
        else:
            out.append((adapter.channel, address))
    return out


def _absolute(link: str) -> str:
    base = getattr(settings, "LINLI_BASE_URL", "").rstrip("/")
    return f"{base}{link}" if base and link.startswith("/") else link
