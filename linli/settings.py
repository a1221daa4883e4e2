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
    "linli.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
]

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
            ],
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
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
# Idle session time-out (GB/T 22239 level 3): 30 minutes, renewed on every request.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
# Lock-out after repeated failed logins (GB/T 22239 level 3).
LINLI_LOGIN_MAX_FAILURES = env.int("LINLI_LOGIN_MAX_FAILURES", default=5)
LINLI_LOGIN_LOCK_MINUTES = env.int("LINLI_LOGIN_LOCK_MINUTES", default=15)

LANGUAGE_CODE = "zh-hans"
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
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
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
        ]
    },
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
    "LINLI_CLASSROOM_NOTIFY_BACKEND": str,
    "LINLI_NOTIFY_BACKEND": str,
}
for _name, _cast in _FEATURE_SETTINGS.items():
    if os.environ.get(_name):
        globals()[_name] = _cast(os.environ[_name])
