"""Settings read from the environment.

One code base, two scales (brief.md section 3.5):
- embedded (default): SQLite file and SqliteHuey, no services;
- distributed: ``DATABASE_URL=postgres://…`` and ``REDIS_URL=redis://…``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, SELF
from django.core.exceptions import ImproperlyConfigured

from holdtrack.documents.storage import default_storage_config

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime files (embedded database, task queue, uploaded documents) live outside the package.
VAR_DIR = Path(os.environ.get("HOLDTRACK_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("HOLDTRACK_DEBUG", False)
HOLDTRACK_PRODUCTION = env_bool("HOLDTRACK_PRODUCTION", False)
SECRET_KEY = os.environ.get("HOLDTRACK_SECRET_KEY", "")
if not SECRET_KEY:
    if HOLDTRACK_PRODUCTION:
        raise RuntimeError("HOLDTRACK_SECRET_KEY must be set in production")
    # Embedded/demo default only; production sets HOLDTRACK_PRODUCTION=1 and a real key.
    SECRET_KEY = "holdtrack-embedded-demo-key-not-for-production"  # noqa: S105

# Audit chain keys (ADR 0015, docs/security.md): outside the database. Empty → generated into VAR_DIR on first
# use (embedded mode); production must set HOLDTRACK_AUDIT_KEY and HOLDTRACK_AUDIT_SIGNING_KEY.
HOLDTRACK_AUDIT_KEY = os.environ.get("HOLDTRACK_AUDIT_KEY", "")
HOLDTRACK_AUDIT_RETIRED_KEYS = os.environ.get("HOLDTRACK_AUDIT_RETIRED_KEYS", "")
HOLDTRACK_AUDIT_SIGNING_KEY = os.environ.get("HOLDTRACK_AUDIT_SIGNING_KEY", "")
# Hourly signed checkpoints (audit.checkpoint_store): the folder (default VAR_DIR/checkpoints; put it where the
# database host cannot rewrite it) and how many to keep (0 keeps all).
HOLDTRACK_AUDIT_CHECKPOINT_DIR = os.environ.get("HOLDTRACK_AUDIT_CHECKPOINT_DIR", "")
HOLDTRACK_AUDIT_CHECKPOINT_KEEP = int(os.environ.get("HOLDTRACK_AUDIT_CHECKPOINT_KEEP", "720"))

ALLOWED_HOSTS = [h for h in os.environ.get("HOLDTRACK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "simple_history",
    "huey.contrib.djhuey",
    # Security and UI plumbing (docs/security.md): second factor, lockout, CSP, htmx; ninja serves its docs
    # from static files (no CDN) when listed here.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_htmx",
    "ninja",
    "holdtrack.core",
    "holdtrack.accounts",
    "holdtrack.audit",
    "holdtrack.jurisdictions",
    "holdtrack.custody",
    "holdtrack.screening",
    "holdtrack.cases",
    "holdtrack.documents",
    "holdtrack.reports",
    "holdtrack.intake",
    "holdtrack.desks",
    "holdtrack.api",
    # Last: the management commands, which may use every app above (layers in docs/architecture.md).
    "holdtrack.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Right after the sessions: moves the session's expiry at most once a minute instead of on every request.
    "holdtrack.accounts.middleware.SessionRefreshMiddleware",
    # Early, so every response (redirects and error pages too) carries the policy and templates get the nonce.
    "csp.middleware.CSPMiddleware",
    # Before sign-in and every view (sessions load lazily): a NUL byte in any input is refused before it can
    # reach a database query; the refusal page still carries the security headers.
    "holdtrack.core.middleware.InputSanityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified() (django-otp's, its device read compiled once); then staff without a verified
    # second factor go to enrolment/verification.
    "holdtrack.accounts.middleware.VerifiedDeviceMiddleware",
    "holdtrack.accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes documents: turns a locked-out login into the lockout page (HTTP 429).
    "axes.middleware.AxesMiddleware",
]
# A call to /api/ with a bearer token and no cookie (holdtrack.core.handlers, ADR 0047): the security headers
# and the input check, and what the list above would have left on such a call. A middleware added above runs on
# such calls only if added here too (tests/core/test_handlers.py compares the two lists' answers).
TOKEN_CALL_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "holdtrack.core.handlers.TokenCallMiddleware",
    "holdtrack.core.middleware.InputSanityMiddleware",
]

ROOT_URLCONF = "holdtrack.config.urls"
WSGI_APPLICATION = "holdtrack.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # {{ CSP_NONCE }} for the rare inline <script nonce="…">; prefer static files.
                "csp.context_processors.nonce",
                # {{ unread_notifications }} for the header's Notifications link.
                "holdtrack.desks.tools.notifications.unread_count",
            ],
        },
    },
]

DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'holdtrack.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", DEFAULT_SQLITE), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the in-process worker writes; wait instead of failing on a lock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding lets psycopg prepare a statement run HOLDTRACK_PG_PREPARE_THRESHOLD times on a
    # connection: PostgreSQL then stops parsing and planning it on every request, about half of its CPU on a
    # read (docs/benchmarks.md). 0 turns it off, for a pooler in transaction mode (docs/deploy.md).
    _prepare = int(os.environ.get("HOLDTRACK_PG_PREPARE_THRESHOLD", "2"))
    _pg_options: dict[str, Any] = {}
    if _prepare > 0:
        _pg_options.update({"server_side_binding": True, "prepare_threshold": _prepare})
    # The planner's price of a random page read against a sequential one. PostgreSQL's default (4) assumes
    # spinning disks; with the working set in memory or on SSD it priced a page of 50 rows as hash joins over
    # whole reference tables, 4–6 times slower than the index lookups it now picks (ADR 0044). Empty keeps
    # the server's value (for a pooler that does not pass startup options on; docs/deploy.md).
    _page_cost = os.environ.get("HOLDTRACK_PG_RANDOM_PAGE_COST", "1.1").strip()
    if _page_cost:
        if not _page_cost.replace(".", "", 1).isdigit():
            raise ImproperlyConfigured(f"HOLDTRACK_PG_RANDOM_PAGE_COST must be a number, not {_page_cost!r}.")
        _pg_options["options"] = f"-c random_page_cost={_page_cost}"
    DATABASES["default"]["OPTIONS"] = _pg_options

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses locked-out credentials before any password is checked (needs the request).
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, with the signed-in user and its organization read once per request by a compiled statement.
    "holdtrack.accounts.backends.AccountBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desks:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # stored and computed in UTC; shown in the facility's zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    # Documents: filesystem by default, S3-compatible with HOLDTRACK_DOCUMENT_STORAGE=s3 (docs/documents.md).
    "default": default_storage_config(VAR_DIR),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
HOLDTRACK_UPLOAD_MAX_BYTES = int(os.environ.get("HOLDTRACK_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))

# Delivery of documents: the console backend prints mail in the embedded demo.
EMAIL_BACKEND = os.environ.get("HOLDTRACK_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("HOLDTRACK_FROM_EMAIL", "holdtrack@localhost")
HOLDTRACK_BASE_URL = os.environ.get("HOLDTRACK_BASE_URL", "http://127.0.0.1:8000")  # acknowledgement links

# Webhook targets (api.webhook_targets): https to public addresses only. Plain http for tests and the demo;
# loopback/private addresses only for the test suite's local receiver, never in a deployment.
HOLDTRACK_WEBHOOKS_ALLOW_HTTP = env_bool("HOLDTRACK_WEBHOOKS_ALLOW_HTTP", False)
HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE = env_bool("HOLDTRACK_WEBHOOKS_ALLOW_PRIVATE", False)

# Public statistics: counts below the threshold are suppressed (with complementary suppression).
HOLDTRACK_SUPPRESSION_THRESHOLD = int(os.environ.get("HOLDTRACK_SUPPRESSION_THRESHOLD", "10"))
HOLDTRACK_SUPPRESS_ZEROS = env_bool("HOLDTRACK_SUPPRESS_ZEROS", False)

# --- accounts and access (docs/security.md) ------------------------------------------------------------
# Inactivity timeout: a request re-saves the session and pushes its expiry forward when the last save is
# HOLDTRACK_SESSION_REFRESH_SECONDS old (accounts.middleware.SessionRefreshMiddleware; not on every request, a
# write per page), so a session idle for the timeout is expired in the database (and its cookie in the browser).
HOLDTRACK_SESSION_IDLE_MINUTES = int(os.environ.get("HOLDTRACK_SESSION_IDLE_MINUTES", "15"))
SESSION_COOKIE_AGE = HOLDTRACK_SESSION_IDLE_MINUTES * 60
HOLDTRACK_SESSION_REFRESH_SECONDS = min(
    int(os.environ.get("HOLDTRACK_SESSION_REFRESH_SECONDS", "60")), SESSION_COOKIE_AGE // 2
)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ENGINE = "holdtrack.accounts.sessions"  # the database backend, its read compiled once
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if HOLDTRACK_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("HOLDTRACK_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("HOLDTRACK_HSTS_PRELOAD", True)
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (docs/security.md).
    if env_bool("HOLDTRACK_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Strict Content-Security-Policy (django-csp 4): only our own origin; no inline script or style except a
# script carrying the per-request nonce. Pages with their own policy (document previews) keep theirs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": [SELF, NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Second factor: TOTP (django-otp) for every human role; backup codes via otp_static.
OTP_TOTP_ISSUER = os.environ.get("HOLDTRACK_OTP_ISSUER", "holdtrack")
OTP_TOTP_THROTTLE_FACTOR = 1

# Lockout (django-axes): 5 failed sign-ins for a username from one address lock it for 15 minutes (HTTP 429).
AXES_FAILURE_LIMIT = int(os.environ.get("HOLDTRACK_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("HOLDTRACK_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "holdtrack.accounts.views.lockout"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Only behind a trusted proxy may X-Forwarded-For name the client address.
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if env_bool("HOLDTRACK_BEHIND_PROXY", False) else ["REMOTE_ADDR"]
)

# --- task queue -----------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    HUEY = {"huey_class": "huey.RedisHuey", "name": "holdtrack", "url": REDIS_URL, "immediate": False}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "holdtrack",
        "filename": str(VAR_DIR / "tasks.sqlite3"),
        "immediate": False,
    }
if env_bool("HOLDTRACK_TASKS_IMMEDIATE", False):
    HUEY["immediate"] = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HOLDTRACK_LOG_LEVEL", "WARNING")},
    "loggers": {"huey": {"level": "WARNING"}},
}
