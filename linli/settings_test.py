"""Test settings: the production settings, served over plain http by the test client and live server."""

import os

os.environ.setdefault("LINLI_HTTPS", "false")

from linli.settings import *  # noqa: E402,F403
from linli.settings import STATIC_ROOT  # noqa: E402

STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Hashing cost is not what the tests are about.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
import json  # noqa: E402

if os.environ.get("LINLI_TEST_SCHEDULE"):  # worker processes started by the job tests
    LINLI_SCHEDULE = json.loads(os.environ["LINLI_TEST_SCHEDULE"])
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the job tests start real worker processes, which must see the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-linli.sqlite3")}  # noqa: F405
    # A test database need not survive a power cut: no fsync (creating it takes little longer than in memory).
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"  # noqa: F405
# Many tests sign in from 127.0.0.1 within a minute; the rate-limit tests set their own limits.
LINLI_RATE_LIMITS = {"login": "100000/60", "token": "100000/60", "search": "100000/60"}
