"""Binding WeChat: the user asks for a one-time code on their settings page and sends it to the
county's official account; the gateway posts code and OpenID back, authenticated by its key; from then
on WeChat messages go to that OpenID (at the local gateway the tests start). Without an OpenID, WeChat
is no route and the inbox keeps the message. Bad requests answer 4xx JSON."""

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.notifications import services
from linli.notifications.models import Channel, Preference, WechatBindCode
from linli.notifications.tests.conftest import not_quiet, person_user

pytestmark = pytest.mark.django_db
BIND = reverse("notifications:wechat_bind")


def client_for(user):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def callback(body, key="wechat-secret"):
    return Client().post(BIND, json.dumps(body) if not isinstance(body, bytes) else body,
                         content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")


def code_from_settings_page(user) -> str:
    r = client_for(user).post(reverse("notifications:wechat_code"))
    assert r.status_code == 200
    return re.search(r'data-testid="wechat-code">.*?<b>(\d+)</b>', r.content.decode(), re.S).group(1)


def test_a_code_from_the_settings_page_posted_back_by_the_gateway_binds_wechat(county, gateway):
    user = person_user(county["A1"], sms=False, **not_quiet())
    code = code_from_settings_page(user)
    r = callback({"code": code, "openid": "oFollower_123"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    pref = Preference.objects.get(user=user)
    assert pref.wechat_openid == "oFollower_123" and pref.wechat
    assert 'data-testid="wechat-bound"' in client_for(user).get(reverse("notifications:settings")).content.decode()
    gateway.requests.clear()  # the "WeChat is bound" message itself went there already
    services.notify(recipient=user, key="welcome")
    services.deliveries_send_due()
    (req,) = gateway.requests
    assert req["path"] == "/wechat" and req["json"]["openid"] == "oFollower_123" and "phone" not in req["json"]


def test_without_a_bound_openid_wechat_falls_back_to_the_inbox(county, gateway):
    user = person_user(county["A1"], sms=False, wechat=True, **not_quiet())
    n = services.notify(recipient=user, key="welcome")
    assert [d.channel for d in n.deliveries.all()] == [Channel.INBOX]
    services.deliveries_send_due()
    assert not gateway.requests


def test_a_code_works_once_and_not_after_it_expires(county, gateway):
    user = person_user(county["A1"], **not_quiet())
    code = code_from_settings_page(user)
    assert callback({"code": code, "openid": "oFirst_0001"}).status_code == 200
    assert callback({"code": code, "openid": "oSecond_002"}).status_code == 404
    assert Preference.objects.get(user=user).wechat_openid == "oFirst_0001"
    late = code_from_settings_page(user)
    WechatBindCode.objects.filter(used_at__isnull=True).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert callback({"code": late, "openid": "oLate_00003"}).status_code == 404


def test_a_new_code_voids_the_users_earlier_one(county, gateway):
    user = person_user(county["A1"], **not_quiet())
    first = code_from_settings_page(user)
    second = code_from_settings_page(user)
    assert callback({"code": first, "openid": "oFirst_0001"}).status_code == 404
    assert callback({"code": second, "openid": "oSecond_002"}).status_code == 200


def test_an_openid_belongs_to_one_account(county, gateway):
    a, b = person_user(county["A1"], **not_quiet()), person_user(county["A1"], phone="13800001111", **not_quiet())
    callback({"code": code_from_settings_page(a), "openid": "oShared_0001"})
    callback({"code": code_from_settings_page(b), "openid": "oShared_0001"})
    assert Preference.objects.get(user=a).wechat_openid == ""
    assert Preference.objects.get(user=b).wechat_openid == "oShared_0001"


def test_the_callback_wants_the_gateway_key_and_answers_bad_input_with_4xx_json(county, gateway):
    user = person_user(county["A1"], **not_quiet())
    code = code_from_settings_page(user)
    assert callback({"code": code, "openid": "oFollower_1"}, key="wrong").status_code == 401
    assert Client().post(BIND, "{}", content_type="application/json").status_code == 401
    for body, status in ((b"not json", 400), (b"[1, 2]", 400), ({"code": code}, 400),
                         ({"code": code, "openid": "<script>"}, 400), ({"code": "12", "openid": "oFollower_1"}, 404),
                         ({"code": None, "openid": "oFollower_1"}, 404), ({"code": ["x"], "openid": ["y"]}, 400)):
        r = callback(body)
        assert r.status_code == status and "error" in r.json(), (body, r.status_code)
    assert Client().get(BIND).status_code == 405
    assert not Preference.objects.get(user=user).wechat_openid


def test_unbinding_stops_wechat(county, gateway):
    user = person_user(county["A1"], sms=False, **not_quiet())
    callback({"code": code_from_settings_page(user), "openid": "oFollower_123"})
    client_for(user).post(reverse("notifications:wechat_unbind"))
    pref = Preference.objects.get(user=user)
    assert pref.wechat_openid == "" and not pref.wechat
    n = services.notify(recipient=user, key="welcome", dedup_key="after-unbind")
    assert [d.channel for d in n.deliveries.all()] == [Channel.INBOX]


def test_without_a_gateway_key_the_callback_is_off(county, settings):
    settings.LINLI_WECHAT_GATEWAY_KEY = ""
    assert callback({"code": "12345678", "openid": "oFollower_1"}, key="").status_code == 404
