"""Fixtures for notifications: users reached by phone (the register) or email, a local SMTP server
(aiosmtpd) and a local HTTP server playing the county's SMS/WeChat gateway, both started by the test."""

import datetime as dt
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone, translation

from linli.accounts.models import Role
from linli.core.testing import PersonFactory, UserFactory, grant
from linli.notifications.models import Preference


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def person_user(division, *, phone="13912345678", language="en", mail="", **pref):
    """A resident with a register entry (and its phone), and a notification preference."""
    user = grant(UserFactory(email=mail), Role.Kind.RESIDENT, division)
    PersonFactory(division=division, user=user, phone=phone)
    Preference.objects.create(user=user, language=language, **pref)
    return user


def quiet_now(**kw) -> dict:
    """Quiet hours from an hour ago to an hour from now (local time)."""
    now = timezone.localtime()
    return {"quiet_start": (now - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0),
            "quiet_end": (now + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0), **kw}


def not_quiet(**kw) -> dict:
    now = timezone.localtime()
    return {"quiet_start": (now + dt.timedelta(hours=2)).time().replace(second=0, microsecond=0),
            "quiet_end": (now + dt.timedelta(hours=3)).time().replace(second=0, microsecond=0), **kw}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    """Plays the county's gateway: records each request (path, headers, JSON body) and answers with
    `status` after `delay` seconds."""

    def __init__(self):
        self.requests, self.status, self.delay = [], 200, 0.0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                gateway.requests.append({"path": self.path, "headers": dict(self.headers),
                                         "json": json.loads(body or b"{}")})
                if gateway.delay:
                    time.sleep(gateway.delay)
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if gateway.status < 300 else b'{"error": "boom"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    gw = Gateway()
    settings.LINLI_SMS_GATEWAY_URL = f"{gw.url}/sms"
    settings.LINLI_SMS_GATEWAY_KEY = "sms-secret"
    settings.LINLI_WECHAT_GATEWAY_URL = f"{gw.url}/wechat"
    settings.LINLI_WECHAT_GATEWAY_KEY = "wechat-secret"
    settings.LINLI_NOTIFY_GATEWAY_TIMEOUT = 0.5
    yield gw
    gw.close()


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()
