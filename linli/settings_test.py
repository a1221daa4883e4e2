"""Test settings: the production settings, served over plain http by the test client and live server."""

import os

os.environ.setdefault("LINLI_HTTPS", "false")

from linli.settings import *  # noqa: E402,F403
from linli.settings import STATIC_ROOT  # noqa: E402

STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Hashing cost is not what the tests are about.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Many tests sign in from 127.0.0.1 within a minute; the rate-limit tests set their own limits.
LINLI_RATE_LIMITS = {"login": "100000/60", "token": "100000/60", "search": "100000/60"}
