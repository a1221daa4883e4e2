"""Every event's message (each key of the catalogue) goes out on each channel, against the local servers
the tests start: email through SMTP (aiosmtpd), SMS and WeChat through the gateway (http.server), rendered
in the recipient's language with every parameter filled in."""

import re
from email import message_from_bytes
from email.header import decode_header, make_header

from linli.notifications import catalogue, services
from linli.notifications.models import Channel, Delivery, Notification
from linli.notifications.tests.conftest import not_quiet, person_user

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _params(template) -> dict:
    return {name: f"«{name}»" for name in PLACEHOLDER.findall(template.subject + template.body)}


def test_each_events_message_reaches_email_sms_and_wechat_in_the_recipients_language(county, smtp, gateway):
    user = person_user(county["A1"], phone="13912345678", mail="wang@example.cn", language="zh-hans",
                       email=True, sms=True, wechat=True, wechat_openid="oABC123", **not_quiet())
    keys = sorted(catalogue.TEMPLATES)
    for key in keys:
        services.notify(recipient=user, key=key, params=_params(catalogue.TEMPLATES[key]),
                        safety=key in ("classroom.refused", "classroom.late"))
    assert services.deliveries_send_due() == 3 * len(keys)

    notes = {n.key: (n.language, n.render_note, n.subject + n.body) for n in Notification.objects.filter(recipient=user)}
    assert {k: v[:2] for k, v in notes.items()} == {k: ("zh-hans", "") for k in keys}  # all translated, none fell back
    assert not [k for k, (_l, _n, text) in notes.items() if "…" in text]  # every parameter reached the text
    assert not Delivery.objects.exclude(status=Delivery.Status.SENT).exists()
    by_path = {}
    for req in gateway.requests:
        by_path.setdefault(req["path"], set()).add(req["json"]["template"] if req["path"] == "/sms" else req["json"]["title"])
    assert by_path["/sms"] == set(keys)
    subjects = {k: Notification.objects.get(recipient=user, key=k).subject for k in keys}
    assert by_path["/wechat"] == set(subjects.values())
    mailed = {str(make_header(decode_header(message_from_bytes(e.content)["Subject"]))) for e in smtp.messages}
    assert mailed == set(subjects.values()) and len(smtp.messages) == len(keys)
    assert {d.channel for d in Delivery.objects.all()} == {Channel.INBOX, Channel.EMAIL, Channel.SMS, Channel.WECHAT}
