"""One settings file, driven by environment variables (see docs/deployment.md)."""

import base64
import os
import secrets
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
env = environ.Env()
if os.environ.get("LINLI_ENV_FILE"):
    environ.Env.read_env(os.environ["LINLI_ENV_FILE"])

DATA_DIR = Path(env.str("LINLI_DATA_DIR", default=str(Path.cwd() / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _kept_secret(name: str, make) -> str:
    """Read a secret from the environment, or generate it once and keep it in DATA_DIR (mode 0600)."""
    if os.environ.get(name):
        return os.environ[name]
    path = DATA_DIR / name.lower()
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
    return path.read_text().strip()


SECRET_KEY = _kept_secret("SECRET_KEY", lambda: secrets.token_urlsafe(50))
# The key for personal fields (ID-card numbers) is separate from SECRET_KEY: rotating one must not
# touch the other. 32 bytes, base64.
FIELD_KEY = _kept_secret("LINLI_FIELD_KEY", lambda: base64.b64encode(secrets.token_bytes(32)).decode())
# Previous field keys, still read while `linli rotate-field-key` re-encrypts (docs/deployment.md).
FIELD_KEYS_OLD = env.list("LINLI_FIELD_KEY_OLD", default=[])
# Backups are encrypted with a key of their own; keep a copy of it away from the backups.
LINLI_BACKUP_KEY = _kept_secret("LINLI_BACKUP_KEY", lambda: base64.b64encode(secrets.token_bytes(32)).decode())
LINLI_BACKUP_DIR = env.str("LINLI_BACKUP_DIR", default=str(DATA_DIR / "backups"))
LINLI_BACKUP_KEEP = env.int("LINLI_BACKUP_KEEP", default=14)
SERIALIZATION_MODULES = {"linlijson": "linli.core.backup_serializer"}

DEBUG = env.bool("DEBUG", default=False)
# HTTPS on by default outside DEBUG; the local demo on http://127.0.0.1 turns it off explicitly.
HTTPS = env.bool("LINLI_HTTPS", default=not DEBUG)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "auditlog",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "linli.core",
    "linli.divisions",
    "linli.accounts",
    "linli.places",
    "linli.people",
    "linli.orgs",
    "linli.activities",
    "linli.volunteers",
    "linli.cases",
    "linli.grids",
    "linli.coverage",
    "linli.classroom",
    "linli.notifications",
    "linli.public",
    "linli.canteen",
    "linli.workshops",
    "linli.jobs",
    "linli.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "linli.core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "linli.core.sessions.IdleTimeoutMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "linli.accounts.middleware.TwoFactorMiddleware",
    "linli.core.ratelimit.SearchRateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "linli.core.memo.RequestMemoMiddleware",
]

# Benchmarks only (benchmarks/pages_bench.py): a query-count header and a bare floor view.
LINLI_BENCHMARK = env.bool("LINLI_BENCHMARK", default=False)
LINLI_FIGURES_LIVE = LINLI_BENCHMARK and env.bool("LINLI_FIGURES_LIVE", default=False)
if LINLI_BENCHMARK:
    MIDDLEWARE.insert(0, "linli.core.benchmark.QueryCountMiddleware")

ROOT_URLCONF = "linli.urls"
WSGI_APPLICATION = "linli.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "linli.core.context_processors.linli",
                "linli.notifications.context_processors.bell",
            ],
            "builtins": ["linli.core.templatetags.linli_format"],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'linli.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock at BEGIN, so check-then-write services (booking
    # overlap, capacity) are serialised on SQLite as select_for_update serialises them on PostgreSQL.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20,
         "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The planner's exhaustive join search is planned again for every query (client-side binding): a
    # list with deep select_related (8–9 tables) spent 10–24 ms planning and 0.3 ms executing on the
    # large county. Searching at most 6 relations at a time keeps planning at 1–3 ms with the same
    # plans for these foreign-key chains (decision 0028; 0 leaves PostgreSQL's default).
    collapse = env.int("LINLI_PG_COLLAPSE_LIMIT", default=6)
    if collapse:
        pg = DATABASES["default"].setdefault("OPTIONS", {})
        pg["options"] = (pg.get("options", "") + f" -c join_collapse_limit={collapse}"
                         f" -c from_collapse_limit={collapse}").strip()
# Persistent connections on both backends (SQLite too: opening it and running the PRAGMAs above on
# every request was most of the floor of /healthz; docs/performance.md).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
# Persistent connections: a worker keeps its connection (opening one costs ~3 ms on loopback and
# more over a network), checked before reuse so a restarted database costs one error, not many.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis in production (LINLI_CACHE_URL or REDIS_URL, e.g. redis://127.0.0.1:6379/3), memory of
# the process otherwise. Holds rollups (by scope), users' grants (by user) and the map's GeoJSON (by
# scope); see core/rollups.py and core/caching.py.
_CACHE_URL = env.str("LINLI_CACHE_URL", default=env.str("REDIS_URL", default=""))
CACHES = {"default": {
    "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL,
    "KEY_PREFIX": env.str("LINLI_CACHE_PREFIX", default="linli"), "TIMEOUT": 300,
} if _CACHE_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "linli"}}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Idle session time-out (GB/T 22239 level 3): 30 minutes, renewed by a request when the last renewal is a
# minute old (linli.core.sessions, decision 0030: not a session write on every request).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = False
LINLI_SESSION_RENEW_SECONDS = env.int("LINLI_SESSION_RENEW_SECONDS", default=60)
# Lock-out after repeated failed logins (GB/T 22239 level 3).
LINLI_LOGIN_MAX_FAILURES = env.int("LINLI_LOGIN_MAX_FAILURES", default=5)
LINLI_LOGIN_LOCK_MINUTES = env.int("LINLI_LOGIN_LOCK_MINUTES", default=15)
# Pages without login (/p/) are cached per language this long; "open now" is worked out per request.
LINLI_PUBLIC_CACHE_SECONDS = env.int("LINLI_PUBLIC_CACHE_SECONDS", default=300)
# Two-factor sign-in (TOTP, recovery codes) for superusers, administrators and the roles that may see
# full personal data. Off only by this setting, which `linli check --deploy` warns about.
LINLI_2FA_REQUIRED = env.bool("LINLI_2FA_REQUIRED", default=True)
OTP_TOTP_ISSUER = "Linli"
# API tokens expire after this many seconds (default 8 hours: one working day); a new password, a
# change of roles or a lock ends them earlier.
LINLI_TOKEN_TTL = env.int("LINLI_TOKEN_TTL", default=8 * 3600)
# Reverse proxies in front of the app that append to X-Forwarded-For (docs/deployment.md: 1 behind
# nginx). 0 trusts only REMOTE_ADDR, so a forged header cannot dodge a limit.
LINLI_TRUSTED_PROXY_HOPS = env.int("LINLI_TRUSTED_PROXY_HOPS", default=0)
# Requests per client (address and user) and window, "N/seconds" (linli.core.ratelimit).
LINLI_RATE_LIMITS = {
    "login": env.str("LINLI_RATE_LOGIN", default="20/60"),
    "token": env.str("LINLI_RATE_TOKEN", default="20/60"),
    "search": env.str("LINLI_RATE_SEARCH", default="120/60"),
}

LANGUAGE_CODE = "zh-hans"
FORMAT_MODULE_PATH = ["linli.formats"]
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"
# Uploaded files on storage every app node sees (docs/deployment.md): the shared MEDIA_ROOT by default,
# or e.g. LINLI_MEDIA_STORAGE=storages.backends.s3.S3Storage with LINLI_MEDIA_STORAGE_OPTIONS as JSON.
if env.str("LINLI_MEDIA_STORAGE", default=""):
    STORAGES["default"] = {"BACKEND": env.str("LINLI_MEDIA_STORAGE"),
                           "OPTIONS": env.json("LINLI_MEDIA_STORAGE_OPTIONS", default={})}
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

REST_FRAMEWORK = {
    # Token first, so an anonymous request gets 401 with `WWW-Authenticate: Token`, not a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "linli.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "linli.core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["linli.core.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "linli.core.api.AutoSchema",
    "EXCEPTION_HANDLER": "linli.core.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Linli API",
    "DESCRIPTION": "邻里 — county neighborhood centers. Every endpoint is scoped to the caller's divisions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status`, `relation` or `method`: give each choice set its own name
    # (classroom Session.Status has the same choices as Occurrence.Status and shares its name).
    "ENUM_NAME_OVERRIDES": {
        f"{model}{field}Enum": f"linli.{app}.models.{model}.{field}"
        for app, model, field in [
            ("activities", "Occurrence", "Status"), ("activities", "Registration", "Status"),
            ("cases", "Case", "Status"), ("classroom", "Enrollment", "Status"),
            ("classroom", "PickupPerson", "Relation"),
            ("classroom", "Attendance", "Method"), ("coverage", "CoverageRun", "Status"),
            ("grids", "Campaign", "Method"), ("grids", "RegisterImport", "Status"),
            ("people", "Membership", "Relation"), ("places", "Booking", "Status"),
            ("volunteers", "ShiftSignup", "Status"), ("volunteers", "ServiceRecord", "Status"),
            ("canteen", "Order", "Status"), ("canteen", "Order", "Channel"), ("canteen", "Meal", "Method"),
            ("canteen", "Delivery", "Status"), ("canteen", "Settlement", "Status"),
        ]
    } | {"CanteenSlotEnum": "linli.canteen.models.Slot"},
}

AUDITLOG_INCLUDE_ALL_MODELS = False

# Map: base tiles are off unless a (licensed) tile URL is configured; the map then shows the app's
# own community boundaries and sites, which works without internet.
LINLI_MAP_TILE_URL = env.str("LINLI_MAP_TILE_URL", default="")
LINLI_MAP_TILE_ATTRIBUTION = env.str("LINLI_MAP_TILE_ATTRIBUTION", default="")
# Roles that may see ID-card numbers and phones in full (every full view is audited).
LINLI_FULL_PERSONAL_DATA_ROLES = env.list(
    "LINLI_FULL_PERSONAL_DATA_ROLES", default=["county_admin", "community_staff"]
)
# Exact ID-card number searches (each one discloses whether a number is registered) per user per hour.
LINLI_ID_SEARCHES_PER_HOUR = env.int("LINLI_ID_SEARCHES_PER_HOUR", default=30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

LINLI_APP_NAME = _("Linli neighborhood centers")

# Notifications (docs/deployment.md): email through Django's SMTP backend; SMS and WeChat subscription
# messages through the county's HTTP gateway (unset: printed to the console, for development).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="linli@localhost")
LINLI_BASE_URL = env.str("LINLI_BASE_URL", default="")
LINLI_SMS_GATEWAY_URL = env.str("LINLI_SMS_GATEWAY_URL", default="")
LINLI_SMS_GATEWAY_KEY = env.str("LINLI_SMS_GATEWAY_KEY", default="")
LINLI_WECHAT_GATEWAY_URL = env.str("LINLI_WECHAT_GATEWAY_URL", default="")
LINLI_WECHAT_GATEWAY_KEY = env.str("LINLI_WECHAT_GATEWAY_KEY", default="")
LINLI_NOTIFY_GATEWAY_TIMEOUT = env.float("LINLI_NOTIFY_GATEWAY_TIMEOUT", default=5.0)
LINLI_NOTIFY_MAX_ATTEMPTS = env.int("LINLI_NOTIFY_MAX_ATTEMPTS", default=5)
LINLI_NOTIFY_RETRY_SECONDS = env.int("LINLI_NOTIFY_RETRY_SECONDS", default=60)
AUTHENTICATION_BACKENDS = ["linli.accounts.backends.LockoutBackend"]

# Feature rules a county may set (each feature keeps the documented default when unset; see
# docs/deployment.md): star thresholds in hours, dispute deadline, upload size, case distance,
# children's data retention, notification backend.
_FEATURE_SETTINGS = {
    "LINLI_VOLUNTEER_STAR_HOURS": lambda v: tuple(int(x) for x in v.split(",")),
    "LINLI_DISPUTE_DEADLINE_DAYS": int,
    "LINLI_CASE_MAX_UPLOAD_BYTES": int,
    "LINLI_CASE_MAX_DISTANCE_KM": float,
    "LINLI_CLASSROOM_RETENTION_DAYS": int,
    "LINLI_CLASSROOM_CHECK_VALID_DAYS": int,
    "LINLI_CLASSROOM_LATE_AFTER_MINUTES": int,
    "LINLI_CLASSROOM_UNDERSTAFFED_DAYS": int,
    "LINLI_CANTEEN_ORDER_CUTOFF": str,
    "LINLI_CANTEEN_ORDER_DAYS_AHEAD": int,
    "LINLI_CANTEEN_SETTLEMENT_PERIOD": str,
    "LINLI_CANTEEN_LATE_ENTRY_HOURS": int,
    "LINLI_CANTEEN_SAMPLE_MIN_GRAMS": int,
    "LINLI_CANTEEN_SAMPLE_KEEP_HOURS": int,
}
for _name, _cast in _FEATURE_SETTINGS.items():
    if os.environ.get(_name):
        globals()[_name] = _cast(os.environ[_name])

# The schedule inside the app (docs/guide/jobs.md): name → {"task": dotted path of a plain function,
# "every": seconds | "at": "HH:MM" (local, daily), optional "hours": "HH:MM-HH:MM", "params": {...}}.
# Each slot runs once however many workers run; an entry set to None is off.
LINLI_SCHEDULE = {
    "classroom_late_pickup_scan": {"task": "linli.classroom.services.late_pickup_scan", "every": 60,
                                   "hours": "07:00-22:00"},
    "shift_reminders": {"task": "linli.volunteers.services.shift_reminders_send", "every": 15 * 60},
    "classroom_retention": {"task": "linli.classroom.services.anonymise_expired", "at": "02:30"},
    "coverage_stale_runs": {"task": "linli.coverage.services.coverage_runs_interrupt_stale", "every": 5 * 60},
    "jobs_prune": {"task": "linli.jobs.services.jobs_prune", "at": "03:30"},
    "notification_deliveries": {"task": "linli.notifications.services.deliveries_send_due", "every": 60},
    "activity_reminders": {"task": "linli.activities.services.activity_reminders_send", "every": 60 * 60},
    "cases_overdue": {"task": "linli.cases.services.cases_overdue_notify", "at": "08:00"},
    "care_visits_overdue": {"task": "linli.grids.services.care_visits_overdue_notify", "at": "08:00"},
    "rollups": {"task": "linli.core.rollups.refresh_changed", "every": 5 * 60},
    "rollups_full": {"task": "linli.core.rollups.refresh_all", "at": "04:00"},
    "backup": {"task": "linli.core.backup.backup_nightly", "at": "01:30"},
    "workshops_pay_overdue": {"task": "linli.workshops.services.pay_overdue_notify", "at": "08:30"},
    "workshops_ledger_retention": {"task": "linli.workshops.services.ledger_retention_purge", "at": "02:45"},
}
