"""casebook settings: one module, every deployment-specific value read from the environment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from casebook.common.databases import database_settings
from casebook.common.redis_backends import redis_settings
from casebook.env import env_bool, env_int, env_list, env_str, env_time

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
# Without DEBUG casebook refuses to start on a missing key rather than sign sessions with a
# key anyone can read here (docs/security.md, finding 11).
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)"
        )
    SECRET_KEY = "django-insecure-casebook-development-key"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "channels",
    "axes",
    "casebook.accounts",
    "casebook.satellites",
    "casebook.intake",
    "casebook.referrals",
    "casebook.experts",
    "casebook.notifications",
    "casebook.exits",
    "casebook.attachments",
    "casebook.reports",
    "casebook.api",
]

MIDDLEWARE = [
    # First, so that its closer is added to every answer (docs/performance.md, "A request's
    # objects freed when its answer is sent").
    "casebook.common.runtime.FreeWhenSentMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "casebook.accounts.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into the 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "casebook.urls"
# Django's database sessions, their row read by a statement compiled once per process
# (casebook/accounts/sessions.py).
SESSION_ENGINE = "casebook.accounts.sessions"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        # Django's, its render contexts let go once rendered (casebook/common/template_engine.py).
        "BACKEND": "casebook.common.template_engine.DjangoTemplates",
        "NAME": "django",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

ASGI_APPLICATION = "casebook.asgi.application"

# An SQLite file by default, so a laptop needs no database server; on PostgreSQL, a connection
# per request, kept ones or a pool (casebook/common/databases.py).
DATABASES = {"default": database_settings(BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # The live pages' channel layer, and the cache shared by every worker (one-time form
    # tokens and other short-lived state); both give up on a Redis that went away instead of
    # failing the request (casebook/common/redis_backends.py).
    _redis = redis_settings(REDIS_URL)
    CHANNEL_LAYERS = _redis["CHANNEL_LAYERS"]
    CACHES = _redis["CACHES"]
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Password guessing (docs/security.md, finding 5): django-axes counts failed logins per user
# name in the database, for the web login and the API's token exchange alike.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "casebook.accounts.backends.UserBackend",
    # The backend the sessions made before `UserBackend` name: listed so that they stay
    # valid until they expire (casebook/accounts/backends.py).
    "django.contrib.auth.backends.ModelBackend",
]
CASEBOOK_LOGIN_FAILURE_LIMIT = env_int("CASEBOOK_LOGIN_FAILURE_LIMIT", 10)
CASEBOOK_LOGIN_COOLOFF_MINUTES = env_int("CASEBOOK_LOGIN_COOLOFF_MINUTES", 15)
# How many reverse proxies in front of casebook append to X-Forwarded-For (0: none, the
# header is ignored). Only their entries are believed.
CASEBOOK_TRUSTED_PROXY_COUNT = env_int("CASEBOOK_TRUSTED_PROXY_COUNT", 0)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_FAILURE_LIMIT = CASEBOOK_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(minutes=CASEBOOK_LOGIN_COOLOFF_MINUTES)
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every manage.py command's output
AXES_CLIENT_IP_CALLABLE = "casebook.accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "casebook.accounts.lockout.lockout_response"
AXES_IPWARE_PROXY_COUNT = CASEBOOK_TRUSTED_PROXY_COUNT

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# Every asset is served from this origin; inline scripts need the per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    # 'self' covers this host's own ws:/wss: sockets; no other host is reached.
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Served over HTTPS unless DEBUG (HTTPS=0 only for a plain-HTTP run on one machine): secure
# cookies, a redirect to https and HSTS (docs/security.md, finding 11).
HTTPS = env_bool("HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Entering the browsers' preload list binds every subdomain for months: the organisation
# decides that (SECURE_HSTS_PRELOAD), so the check that asks for it stays silent. axes.W006
# asks to lock out addresses too: the staff of a satellite office share one address behind its
# router, and one mistyped password there must not lock out the office; locking the user name
# is what stops guessing, and no header or cookie changes it.
SILENCED_SYSTEM_CHECKS = ["security.W021", "axes.W006"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # models.W040: SQLite ignores the non-key columns of a covering index; PostgreSQL, where
    # casebook is deployed, reads them (docs/performance.md, "The FY KPI report").
    SILENCED_SYSTEM_CHECKS.append("models.W040")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", default=False) else None
)

# Mail: printed to the console in development (DEBUG), sent over SMTP otherwise.
_smtp_backend = "django.core.mail.backends.smtp.EmailBackend"
_mail_backend = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else _smtp_backend,
)
MAILERS = {"default": {"BACKEND": _mail_backend}}
if _mail_backend == _smtp_backend:
    _use_ssl = env_bool("EMAIL_USE_SSL", default=False)
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 587),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", default=not _use_ssl),
        "use_ssl": _use_ssl,
        "timeout": env_int("EMAIL_TIMEOUT", 30),
    }
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "casebook@localhost")
# Where the links in e-mails point: the address staff open casebook at.
CASEBOOK_SITE_URL = env_str("CASEBOOK_SITE_URL", "http://127.0.0.1:8000")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated API call answers 401 with WWW-Authenticate.
        "casebook.api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["casebook.api.filters.QueryStringFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "casebook.api.schema.CasebookAutoSchema",
    "EXCEPTION_HANDLER": "casebook.api.exceptions.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "casebook.api.pagination.CasebookCursorPagination",
    "PAGE_SIZE": 50,
    # The throttles' client address: only the trusted proxies' X-Forwarded-For entries.
    "NUM_PROXIES": CASEBOOK_TRUSTED_PROXY_COUNT,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "casebook API",
    "DESCRIPTION": "Consultation cases, clients, sessions, referrals and expert dispatch.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The description and its docs are for logged-in staff and integrations only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # One name per choice set wherever its field appears (`check --deploy` stays clean).
    "ENUM_NAME_OVERRIDES": {
        "ClosureReasonEnum": "casebook.intake.models.ClosureReason",
        "ClientKindEnum": "casebook.intake.models.ClientKind",
        "ReferralKindEnum": "casebook.referrals.models.ReferralKind",
        "PartnerKindEnum": "casebook.referrals.models.PartnerKind",
        "OfficeKindEnum": "casebook.satellites.models.OfficeKind",
        "ActivityKindEnum": "casebook.reports.models.ActivityKind",
        "ScheduleExceptionKindEnum": "casebook.satellites.models.ExceptionKind",
    },
    # Links from each create to its object's operations (stateful clients, tests/api/).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "casebook.api.schema.add_links",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Attachments (docs/security.md, "Attachments"): their store, a directory outside the web root
# that nothing serves but the permission-checked download, and the largest file accepted.
CASEBOOK_ATTACHMENTS_DIR = env_str(
    "CASEBOOK_ATTACHMENTS_DIR", str(BASE_DIR / "var" / "attachments")
)
CASEBOOK_ATTACHMENT_MAX_MB = env_int("CASEBOOK_ATTACHMENT_MAX_MB", 20)
CASEBOOK_ATTACHMENT_MAX_BYTES = CASEBOOK_ATTACHMENT_MAX_MB * 1024 * 1024

# The retention period (docs/security.md, "Retention"): `manage.py retention` anonymises the
# clients with no activity for this many years.
CASEBOOK_RETENTION_YEARS = env_int("CASEBOOK_RETENTION_YEARS", 5)

# How long an API token lives, in days (docs/security.md, finding 8).
CASEBOOK_API_TOKEN_DAYS = env_int("CASEBOOK_API_TOKEN_DAYS", 90)

# The organisation's own closed days (年末年始), on top of Japanese public holidays.
CASEBOOK_CLOSED_DAYS = env_list(
    "CASEBOOK_CLOSED_DAYS", ["12-29", "12-30", "12-31", "01-01", "01-02", "01-03"]
)
CASEBOOK_PREFECTURE = env_str("CASEBOOK_PREFECTURE", "茨城県")
# The organisation's name on what it hands to its funders and signed under the satisfaction
# survey's mail and page (docs/reports.md).
CASEBOOK_ORGANISATION = env_str(
    "CASEBOOK_ORGANISATION", "公益財団法人いばらき中小企業グローバル推進機構"
)
# Referral deadlines, in business days (docs/rules.md, "Referrals").
CASEBOOK_REFERRAL_ACCEPT_BUSINESS_DAYS = env_int("CASEBOOK_REFERRAL_ACCEPT_BUSINESS_DAYS", 3)
CASEBOOK_REFERRAL_ACKNOWLEDGE_BUSINESS_DAYS = env_int(
    "CASEBOOK_REFERRAL_ACKNOWLEDGE_BUSINESS_DAYS", 5
)
CASEBOOK_REFERRAL_OUTCOME_BUSINESS_DAYS = env_int("CASEBOOK_REFERRAL_OUTCOME_BUSINESS_DAYS", 20)
# Scheduled jobs (`manage.py run_jobs`): local times of the daily runs, and how many days back
# a reminder run looks for occasions a stopped scheduler missed.
# The public satellite booking form (docs/satellites.md): how far ahead it offers slots, the
# fewest seconds a person takes to fill it, and the bookings an address may send per hour.
CASEBOOK_BOOKING_DAYS_AHEAD = env_int("CASEBOOK_BOOKING_DAYS_AHEAD", 60)
CASEBOOK_BOOKING_MIN_FILL_SECONDS = env_int("CASEBOOK_BOOKING_MIN_FILL_SECONDS", 5)
CASEBOOK_BOOKING_RATE_PER_HOUR = env_int("CASEBOOK_BOOKING_RATE_PER_HOUR", 5)
# The desk board shows this many cards per column, then a "more" control (docs/performance.md).
CASEBOOK_BOARD_COLUMN_SIZE = env_int("CASEBOOK_BOARD_COLUMN_SIZE", 20)
CASEBOOK_REMINDERS_AT = env_time("CASEBOOK_REMINDERS_AT", "07:00")
CASEBOOK_DIGEST_AT = env_time("CASEBOOK_DIGEST_AT", "07:30")
CASEBOOK_REMINDER_CATCH_UP_DAYS = env_int("CASEBOOK_REMINDER_CATCH_UP_DAYS", 7)
# The satisfaction survey (docs/reports.md, "Satisfaction survey"): the days after a case's
# closure its client is sent the link, the days the link stays open, the answers an address
# may send per hour, and the organisation's name the public page signs with.
CASEBOOK_SURVEY_DAYS_AFTER_CLOSURE = env_int("CASEBOOK_SURVEY_DAYS_AFTER_CLOSURE", 7, minimum=0)
CASEBOOK_SURVEY_OPEN_DAYS = env_int("CASEBOOK_SURVEY_OPEN_DAYS", 60, minimum=1)
CASEBOOK_SURVEY_RATE_PER_HOUR = env_int("CASEBOOK_SURVEY_RATE_PER_HOUR", 10, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
