"""Content-Security-Policy without inline script, on every page; no inline script or on* attribute in
any template; searches rate-limited (429 JSON on the API, a translated page on pages)."""

import re
from pathlib import Path

from django.core.cache import cache
from django.urls import reverse

from linli.accounts.models import Role

TEMPLATES = Path(__file__).resolve().parents[2]


def test_every_response_has_a_policy_without_inline_script(client, db):
    r = client.get(reverse("accounts:login"))
    policy = r["Content-Security-Policy"]
    script = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert script == "script-src 'self'" and "frame-ancestors 'none'" in policy


def test_no_template_has_inline_script_or_event_attributes():
    bad = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"\son[a-z]+\s*=", text) or re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            bad.append(str(path.relative_to(TEMPLATES)))
    assert not bad, bad


def test_swagger_ui_loads_its_start_up_script_from_a_file(client, county, make_user):
    client.force_login(make_user(Role.Kind.RESIDENT, county["A1"]))
    page = client.get("/api/docs/").content.decode()
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None
    assert client.get("/api/docs/?script=").status_code == 200


def test_map_tiles_are_allowed_only_when_configured(client, db, settings):
    settings.LINLI_MAP_TILE_URL = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    policy = client.get(reverse("accounts:login"))["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tiles.example.org" in policy


def test_searches_are_rate_limited_on_the_api_and_on_pages(client, county, make_user, settings):
    settings.LINLI_RATE_LIMITS = {**settings.LINLI_RATE_LIMITS, "search": "2/60"}
    cache.clear()
    client.force_login(make_user(Role.Kind.COMMUNITY_STAFF, county["A"]))
    codes = [client.get("/api/persons/", {"name": "王"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "detail" in client.get("/api/persons/", {"name": "王"}).json()
    r = client.get(reverse("people:person_list"), {"q": "王"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 429 and "请求过于频繁" in r.content.decode()
    assert client.get("/api/persons/").status_code == 200  # a list without a search is not counted
