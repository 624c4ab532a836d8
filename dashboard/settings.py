"""Settings come from the environment; the defaults run a development copy with no setup."""

import os
import tempfile
import warnings
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """`NAME`, or the contents of the file named by `NAME_FILE` (mounted secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    return default if value == "" else value.lower() in ("1", "true", "yes", "on")


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value == "" else int(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production-0123456789"  # noqa: S105
SECRET_KEY = env("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "jobs",
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
    "jobs.web.middleware.TimezoneMiddleware",
    "jobs.accounts.language.AccountLanguageMiddleware",
    "jobs.web.middleware.ContentSecurityPolicyMiddleware",
    "jobs.web.middleware.PrivatePagesMiddleware",
    "jobs.web.errors.ErrorPagesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"
ASGI_APPLICATION = "dashboard.asgi.application"

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
                "jobs.web.context.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Readers never wait for the writer (WAL); writers queue instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not shared-cache memory, so tests see the same locking as a real deployment.
    DATABASES["default"]["TEST"] = {
        "NAME": Path(tempfile.gettempdir()) / f"drs-dashboard-test-{os.getpid()}.sqlite3"
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "dashboard.cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)
# Sessions and signed-in users are read from the cache first: a poll needs no query for them.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
AUTHENTICATION_BACKENDS = ["jobs.accounts.backends.CachedModelBackend"]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security: production (DEBUG off) gets the strict set; behind TLS-terminating proxies set
# DJANGO_SECURE_PROXY_SSL_HEADER=1.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # health checks from the proxy come over plain HTTP
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies of ours stand in front (each appending to X-Forwarded-For): the client's
# address for the audit log and the per-address sign-in limit is the one the outermost saw.
# 0: REMOTE_ADDR, X-Forwarded-For ignored (anyone can write it).
DASHBOARD_TRUSTED_PROXIES = env_int("DASHBOARD_TRUSTED_PROXIES", 0)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# DRS: how we talk to the cloud.
DRS_CONNECT_TIMEOUT = float(env("DRS_CONNECT_TIMEOUT", "3.05"))
DRS_READ_TIMEOUT = float(env("DRS_READ_TIMEOUT", "10"))
DRS_DEADLINE = float(env("DRS_DEADLINE", "25"))
# Opt-in (the demo and the tests): lets a tenant admin point the server at any endpoint.
DRS_ALLOW_CUSTOM_ENDPOINTS = env_bool("DRS_ALLOW_CUSTOM_ENDPOINTS", False)
JOB_REFRESH_SECONDS = env_int("JOB_REFRESH_SECONDS", 5)
# Forced refreshes and lookups that ask DRS, per person per minute.
USER_UPSTREAM_ACTIONS_PER_MINUTE = env_int("USER_UPSTREAM_ACTIONS_PER_MINUTE", 12)
EXPORT_MAX_JOBS = env_int("EXPORT_MAX_JOBS", 10000)

# Tenant credentials are encrypted with the first key; every key decrypts (rotation).
CREDENTIAL_KEYS = env_list("DASHBOARD_CREDENTIAL_KEYS")
if not CREDENTIAL_KEYS and not DEBUG:
    raise RuntimeError("DASHBOARD_CREDENTIAL_KEYS must be set when DJANGO_DEBUG is off")
if not CREDENTIAL_KEYS:
    warnings.warn(
        "DASHBOARD_CREDENTIAL_KEYS is not set: tenant credentials are encrypted with a key "
        "derived from the development SECRET_KEY. Never run like this in production.",
        stacklevel=1,
    )

# Error reports (the DEBUG page too) never show secrets: see jobs/error_reporting.py.
DEFAULT_EXCEPTION_REPORTER_FILTER = "jobs.web.error_reporting.SecretSafeExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Request ids and upstream text reach log lines: control characters are escaped.
    "filters": {"controls": {"()": "jobs.lib.terminal.ControlCharacterFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["controls"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# Sync: the background mirror of every tenant's jobs (jobs/sync/, `manage.py sync`, Celery).
SYNC_CALLS_PER_MINUTE = env_int("SYNC_CALLS_PER_MINUTE", 30)  # per tenant, across all workers
SYNC_RUNNING_SECONDS = env_int("SYNC_RUNNING_SECONDS", 15)  # interval while jobs run
SYNC_IDLE_SECONDS = env_int("SYNC_IDLE_SECONDS", 120)
SYNC_FULL_WALK_SECONDS = env_int("SYNC_FULL_WALK_SECONDS", 3600)  # catches deletions, renames
SYNC_PAGE_SIZE = env_int("SYNC_PAGE_SIZE", 1000)
SYNC_MAX_PAGES = env_int("SYNC_MAX_PAGES", 100)
SYNC_DETAILS_PER_RUN = env_int("SYNC_DETAILS_PER_RUN", 20)
SYNC_MAX_BACKOFF_SECONDS = env_int("SYNC_MAX_BACKOFF_SECONDS", 1800)
SYNC_CONCURRENCY = env_int("SYNC_CONCURRENCY", 4)  # tenants at once in `manage.py sync --loop`
SYNC_STALL_MIN_SECONDS = env_int("SYNC_STALL_MIN_SECONDS", 7200)
SYNC_STALL_FACTOR = float(env("SYNC_STALL_FACTOR", "3"))
LOOKUP_TENANT_TIMEOUT = env_int("LOOKUP_TENANT_TIMEOUT", 5)
METRICS_TOKEN = env("METRICS_TOKEN")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-syncs": {"task": "jobs.tasks.dispatch_due_syncs", "schedule": 5.0},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the sync process share the file: readers never wait for the writer.
    DATABASES["default"]["OPTIONS"]["init_command"] += "PRAGMA journal_mode=WAL;"
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "celery")  # tests run their own queue

# Notifications (jobs/notify/): channels through Apprise, an outbox delivered by Celery or by
# `manage.py sync --loop`.
DASHBOARD_BASE_URL = env("DASHBOARD_BASE_URL", "http://127.0.0.1:8000")  # links in messages
NOTIFY_ALLOW_PRIVATE_TARGETS = env_bool("NOTIFY_ALLOW_PRIVATE_TARGETS", False)
NOTIFY_TIMEOUT = float(env("NOTIFY_TIMEOUT", "10"))  # wall clock per send
NOTIFY_WORKERS = env_int("NOTIFY_WORKERS", 4)  # sends at once per process
NOTIFY_BATCH = env_int("NOTIFY_BATCH", 50)  # deliveries claimed per Celery task run
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 8)
NOTIFY_RETRY_SECONDS = float(env("NOTIFY_RETRY_SECONDS", "30"))  # doubled per attempt
NOTIFY_MAX_RETRY_SECONDS = float(env("NOTIFY_MAX_RETRY_SECONDS", "3600"))
NOTIFY_FROM_EMAIL = env("NOTIFY_FROM_EMAIL", "drs-dashboard@localhost")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = NOTIFY_TIMEOUT
# Quieter terminals on request (`make run` sets both to WARNING): runserver's line per request,
# and the line per call to DRS (its sync would print one a second). Unset: as configured above.
if env("REQUEST_LOG_LEVEL"):
    LOGGING["loggers"]["django.server"] = {"level": env("REQUEST_LOG_LEVEL")}
if env("DRS_CALL_LOG_LEVEL"):
    LOGGING["loggers"]["jobs.drs"] = {"level": env("DRS_CALL_LOG_LEVEL")}
LOGGING["loggers"]["apprise"] = {"level": env("NOTIFY_APPRISE_LOG_LEVEL", "WARNING")}
CELERY_IMPORTS = ["jobs.notify.tasks"]
CELERY_BEAT_SCHEDULE["deliver-notifications"] = {
    "task": "jobs.notify.tasks.deliver_notifications",
    "schedule": 5.0,
}

# Single sign-on with OpenID Connect (jobs/accounts/oidc.py, README "Single sign-on"): off while
# OIDC_ISSUER is unset. The endpoints come from the issuer's discovery document.
OIDC_ISSUER = env("OIDC_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("OIDC_CLIENT_SECRET")  # or OIDC_CLIENT_SECRET_FILE
OIDC_RP_SCOPES = env("OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = env("OIDC_SIGN_ALGO", "RS256")
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME")  # "Sign in with …"; empty: "single sign-on"
OIDC_TIMEOUT = float(env("OIDC_TIMEOUT", "5"))  # seconds per call to the provider, body included
OIDC_USERNAME_CLAIM = env("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = env("OIDC_GROUPS_CLAIM", "groups")
OIDC_GROUP_ROLES = env("OIDC_GROUP_ROLES")  # "group=tenant-slug:role,…"
OIDC_USE_PKCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_callback"
LOGIN_REDIRECT_URL_FAILURE = "login"
if OIDC_ISSUER and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    raise RuntimeError("OIDC_ISSUER is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be too")
AUTHENTICATION_BACKENDS.append("jobs.accounts.oidc.OIDCBackend")
# Local passwords off: only the usernames in LOCAL_PASSWORD_USERS (a break-glass superuser) may
# sign in with one; everyone else signs in through the identity provider.
LOCAL_PASSWORDS = env_bool("LOCAL_PASSWORDS", True)
LOCAL_PASSWORD_USERS = env_list("LOCAL_PASSWORD_USERS")
if not LOCAL_PASSWORDS and not OIDC_ISSUER:
    warnings.warn(
        "LOCAL_PASSWORDS is off and OIDC_ISSUER is unset: only LOCAL_PASSWORD_USERS can sign in.",
        stacklevel=1,
    )

# The read API (/api/v1/, jobs/api/): personal tokens, a rate limit per token.
INSTALLED_APPS.append("ninja")  # for its bundled Swagger UI files (no CDN)
NINJA_PAGINATION_PER_PAGE = 25
API_REQUESTS_PER_MINUTE = env_int("API_REQUESTS_PER_MINUTE", 120)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
