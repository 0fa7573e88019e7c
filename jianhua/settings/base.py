"""Settings for every environment, read from the process environment (see README, "Configuration").

Defaults are the embedded demo: a SQLite file in the project, no broker (Celery runs tasks
eagerly in the web process) and a local-memory cache. Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS.
"""
import os
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

DEBUG = env.bool("DEBUG", default=False)
# The fallback key is only good for a laptop; production refuses to start without a real one.
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for a local run).")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "djgeojson",
    "csp",
    "simple_history",  # who changed what in the admin (jianhua.history)
    "grids",
    "issues",
    "dispatch",
    "open311",
    "notifications",
    "stats",
    "field",
    "accounts",
    "axes",
    "health_check",  # /readyz (ops.readiness) and its `manage.py health_check` command
    "ops",  # readiness and backups; no models
]

MIDDLEWARE = [
    # The request id (X-Request-ID) and one log line per request (jianhua.logs); first, so it times the rest.
    "jianhua.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (with a nonce per request) and Permissions-Policy: see "Security headers" below.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jianhua.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Names the signed-in user in the change history of admin and API edits (jianhua.history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # 400 for a NUL character in the path, query string or form fields (PostgreSQL cannot take one).
    "jianhua.middleware.RefuseNulCharactersMiddleware",
    # Turns a sign-in refused for too many failures into its own answer (jianhua.lockout); keep it last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jianhua.urls"
WSGI_APPLICATION = "jianhua.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite in the project unless DATABASE_URL says otherwise (postgres://user@host/db).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections: opening one per request costs PostgreSQL more CPU than a whole filing.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "grids.User"

# Redis, when given, is the Celery broker and result store and the cache; without it Celery runs
# tasks eagerly inside the caller and the cache is per process.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True  # a task lost with its worker is run again, so tasks must be idempotent
# Periodic tasks (celery beat); each app adds its entries here. Every PERIODIC_SECONDS (60 by default;
# a live test sets a few seconds).
PERIODIC_SECONDS = env.float("PERIODIC_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    # The outbox's catch-up: retries, and messages whose enqueue did not reach the broker.
    "notifications-deliver-pending": {"task": "notifications.tasks.deliver_pending", "schedule": PERIODIC_SECONDS},
    # Deadlines: reminders at 75 %, overdue marks, automatic escalation (dispatch.timers).
    "dispatch-sweep-deadlines": {"task": "dispatch.sweep_deadlines", "schedule": PERIODIC_SECONDS},
    # Issues overdue for days go onto the supervision list (dispatch.supervision); every ten rounds.
    "dispatch-sweep-supervision": {"task": "dispatch.sweep_supervision", "schedule": PERIODIC_SECONDS * 10},
}

# Operations (ops app). /readyz fails "beat" when one of these sweeps (each every PERIODIC_SECONDS) has not
# run for 2 × PERIODIC_SECONDS (ops.sweeps records the last run in the cache). `manage.py backup` writes
# a dump, the media and a manifest into a directory per backup under BACKUP_DIR (README, "Backups").
READINESS_SWEEP_TASKS = ["dispatch.sweep_deadlines", "notifications.tasks.deliver_pending"]
BACKUP_DIR = Path(env("BACKUP_DIR", default=str(BASE_DIR / "var" / "backups")))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"

# Guessing passwords (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one account from one
# address, that pair is refused for AXES_COOLOFF_TIME – the web sign-in page, the admin's and the API's
# token endpoint alike (429, with when to try again: jianhua.lockout). A successful sign-in clears the
# count; an administrator unlocks earlier in the admin (Axes › Access attempts: delete) or with
# `manage.py axes_reset_username <name>`. Successful sign-ins are logged there too (Access logs).
# Behind a reverse proxy set AXES_IPWARE_PROXY_COUNT (the number of proxies) so the address is the
# client's, not the proxy's.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "jianhua.lockout.lockout_response"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0) or None
AXES_VERBOSE = False  # no banner on every manage.py command
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Chinese first, English second; every user-facing string goes through gettext.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_STORAGE",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# Without collectstatic (local runs), serve static files from the apps and static/ directly.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# HTTPS (Django's SecurityMiddleware; README, "Production"). With DEBUG off a plain-HTTP request is redirected
# to https:// – all but the liveness and readiness paths, so that a container's health check over plain HTTP
# works – and browsers are told to come back over HTTPS only, for SECURE_HSTS_SECONDS (a year; the header
# goes out over HTTPS only). Behind a TLS proxy the proxy sends X-Forwarded-Proto: https (SECURE_PROXY_SSL_HEADER
# above), else every request would be redirected again. A trial over plain http:// sets SECURE_SSL_REDIRECT=0
# (docker-compose.yml's default).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "jianhua.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "jianhua.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jianhua grid governance API (吹哨报到)",
    "DESCRIPTION": "Grids, areas and departments of Jianhua District; whistles and their dispatch.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "IssueStatusEnum": "issues.lifecycle.Status",
        "RejectReasonEnum": "issues.models.RejectReason",
        "TierEnum": "issues.models.Tier",
        "SupervisionStateEnum": "dispatch.models.supervision.SupervisionState",
        "SupervisionSourceEnum": "dispatch.models.supervision.SupervisionSource",
    },
    "COMPONENT_SPLIT_REQUEST": True,
}

# Maps (grids.map_providers). The base map's provider: osm (OpenStreetMap, WGS-84), tianditu (天地图,
# WGS-84, needs TIANDITU_KEY), amap (高德, GCJ-02: the pages convert in the browser; the server keeps
# WGS-84) or local (tiles the site draws from the grid boundaries, grids.tiles: no network; bin/demo's
# default). MAP_TILE_URL, when set, replaces the provider's tiles and keeps its coordinate system; empty
# draws the grids on a plain background, which needs no network at all.
MAP_PROVIDER = env("MAP_PROVIDER", default="osm")
TIANDITU_KEY = env("TIANDITU_KEY", default="")
# Read as it is: set but empty means "no base map" (django-environ would turn an empty value into the default).
MAP_TILE_URL = os.environ.get("MAP_TILE_URL")
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", default=None)
from grids.map_providers import admin_leaflet_config, map_provider  # noqa: E402  (plain Python, no models)

# Refuses to start (ImproperlyConfigured) on an unknown provider or Tianditu without its key.
_map_provider = map_provider(MAP_PROVIDER, tianditu_key=TIANDITU_KEY, tile_url=MAP_TILE_URL,
                             tile_attribution=MAP_TILE_ATTRIBUTION)
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (47.35, 123.95),
    "DEFAULT_ZOOM": 12,
    "MIN_ZOOM": 9,
    "MAX_ZOOM": 19,
    # The admin's boundary editor stays on WGS-84 tiles whatever the provider (it draws stored points as they are).
    **admin_leaflet_config(_map_provider),
    "RESET_VIEW": False,
}

# Security headers (README, "Security headers"). The Content-Security-Policy (django-csp) lets scripts run
# only from the site's own files and from inline scripts carrying the request's nonce (django-leaflet's admin
# widget; a template writes nonce="{{ request.csp_nonce }}"); pages hand data to their scripts with json_script,
# which is never executed. Styles may be inline: Leaflet places every tile and marker with style attributes.
# Images: the site's, data: and blob: (photo previews) and the map provider's tile servers. CSP_REPORT_URI,
# when set, is where browsers report what the policy blocked.
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE  # noqa: E402

from grids.map_providers import tile_origins  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *tile_origins(_map_provider)],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],  # nothing frames these pages (X-Frame-Options: DENY says it to old browsers)
        "report-uri": env.list("CSP_REPORT_URI", default=[]) or None,
    },
}
# The full address within the site, only the origin to others: OpenStreetMap's and Tianditu's tile servers
# refuse (or bill by) requests without a Referer naming the site, while an issue's address never leaves it.
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# Location (the filing map) and the camera (a photo taken in the filing form) for this site only; the rest off.
PERMISSIONS_POLICY = {
    "geolocation": ["self"],
    "camera": ["self"],
    **{feature: [] for feature in (
        "accelerometer", "ambient-light-sensor", "autoplay", "bluetooth", "browsing-topics", "display-capture",
        "encrypted-media", "gyroscope", "hid", "idle-detection", "interest-cohort", "local-fonts", "magnetometer",
        "microphone", "midi", "payment", "publickey-credentials-get", "screen-wake-lock", "serial", "usb",
        "xr-spatial-tracking",
    )},
}

# How long a process may answer point-in-grid lookups from its in-memory index before it checks
# whether another process changed a boundary (seconds; 0 checks on every lookup).
GRID_INDEX_CHECK_SECONDS = env.float("GRID_INDEX_CHECK_SECONDS", default=1.0)
# How often a process asks whether the routing and deadline rules changed (dispatch.rulebook).
DISPATCH_RULES_CHECK_SECONDS = env.float("DISPATCH_RULES_CHECK_SECONDS", default=1.0)

# Logs (jianhua.logs): every record on the console (stderr) with the request id of the request or Celery task
# it belongs to; one line per request (logger jianhua.request) and per task (jianhua.task). LOG_FORMAT "json"
# (the default with DEBUG off: one JSON object per line for a log collector) or "text" (the default with
# DEBUG on, bin/demo: a line for a person). The Celery worker keeps this configuration (it would replace it).
LOG_FORMAT = env("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "jianhua.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "jianhua.logs.JsonFormatter"},
        "text": {"()": "jianhua.logs.TextFormatter",
                 "format": "%(asctime)s %(levelname)s %(name)s %(request_tag)s%(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Sentry (jianhua.sentry): unhandled errors of views and tasks, and records logged at ERROR, tagged with the
# request id; only when SENTRY_DSN is set. No personal data is sent (no user, body or local variables).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from jianhua.sentry import sentry_init  # noqa: E402

    sentry_init(dsn=SENTRY_DSN, environment=env("SENTRY_ENVIRONMENT", default="production"),
                release=env("SENTRY_RELEASE", default=None),
                traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0))

# Issues (the whistle). Deadlines come from the dispatch app's rules (admin: Deadline rules); these
# numbers are the last resort when no rule matches: minutes of wall-clock time to report for duty, and
# days to resolve – working days under dispatch, calendar days if dispatch is not installed.
ISSUE_RESPONSE_MINUTES = {"normal": env.int("ISSUE_RESPONSE_MINUTES", default=120), "urgent": 30}
ISSUE_RESOLUTION_DAYS = {"normal": env.int("ISSUE_RESOLUTION_DAYS", default=7), "urgent": 1}
ISSUE_MAX_PHOTOS = 6
# Hours a grid officer has to answer an on-site check (核实 / 核查) the owning tier asked of them.
FIELD_CHECK_HOURS = env.int("FIELD_CHECK_HOURS", default=24)
# Visits door to door (走访): every household once per cycle of this many days (the visit plan's count).
FIELD_VISIT_CYCLE_DAYS = env.int("FIELD_VISIT_CYCLE_DAYS", default=90)
# Patrol positions the phone reports as less accurate than this (metres) are kept but walk no grid.
FIELD_PATROL_ACCURACY_METRES = 100
# A photo whose EXIF position is farther than this from the issue's point says so on the page (staff only).
ISSUE_PHOTO_FAR_METRES = 200
# A resident's own whistles within any hour (flooding the community's queue is refused with a 429 and
# when to try again); staff filing for callers and Open311 clients (their own per-minute budget) are
# not counted. 0: no limit.
ISSUE_FILINGS_PER_HOUR = env.int("ISSUE_FILINGS_PER_HOUR", default=20)
ISSUE_PHOTO_MAX_BYTES = env.int("ISSUE_PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
ISSUE_NEARBY_METRES = 100
ISSUE_NUMBER_PREFIX = "JH"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # form fields; files stream to disk past this
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Open311 GeoReport v2 (/open311/v2/): the jurisdiction clients may name, who integrators write to,
# and how many requests one GET answers at most.
OPEN311_JURISDICTION_ID = env("OPEN311_JURISDICTION_ID", default="jianhua.qiqihar.gov.cn")
OPEN311_CONTACT = env("OPEN311_CONTACT", default="建华区指挥中心 Jianhua District command centre, 0452-12345")
OPEN311_MAX_REQUESTS = 1000
OPEN311_DEFAULT_DAYS = 90

# E-mail: SMTP from EMAIL_URL (smtp+tls://user:password@host:587) or EMAIL_HOST, EMAIL_PORT, … in
# production; the console locally (local.py) and memory in tests (test.py).
if env("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
    EMAIL_HOST = env("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))  # the file-based backend's
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="建华区吹哨报到 <noreply@jianhua.qiqihar.gov.cn>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the site is reached from outside, for links in e-mail and text messages.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Notifications (the bell, e-mail, SMS, WeChat). The outbox sends through the adapter named for each
# channel; SMS go through the SMS gateway (SMS_BACKEND, below); a real WeChat gateway implements
# notifications.channels.Channel and is named here.
NOTIFICATION_CHANNELS = {
    "email": env("NOTIFICATION_EMAIL_CHANNEL", default="notifications.channels.EmailChannel"),
    "sms": env("NOTIFICATION_SMS_CHANNEL", default="notifications.channels.SmsChannel"),
    "wechat": env("NOTIFICATION_WECHAT_CHANNEL", default="notifications.channels.LoggingWeChatChannel"),
}
# The channels messages are queued on (e-mail always where the user has an address; SMS and WeChat
# to the user's phone once a gateway is in place).
NOTIFICATION_OUTBOX_CHANNELS = env.list("NOTIFICATION_OUTBOX_CHANNELS", default=["email"])
# A failed send is tried again after 1, 2, 4, … minutes (at most 6 hours apart), and given up after 8 tries.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=60)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=6 * 3600)
NOTIFICATION_SWEEP_BATCH = 500  # messages one sweep sends at most; the next minute's sweep sends the rest

# The SMS gateway (notifications.sms), for sign-in codes and the outbox's SMS channel alike: "file" (one
# file per message under SMS_FILE_PATH; the demo's and the tests' default), "console" (printed to the
# server's output: the production default until a gateway is named), or the dotted path of a
# deployment's own notifications.sms.SmsBackend subclass that talks to its SMS provider.
SMS_BACKEND = env("SMS_BACKEND", default="console")
SMS_FILE_PATH = env("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sms"))

# Residents sign up and sign in with a mainland mobile number and a 6-digit code by SMS
# (accounts.services); staff keep username + password. A code is good for PHONE_CODE_VALID_SECONDS, once,
# and dies after PHONE_CODE_MAX_ATTEMPTS wrong tries; a number gets one code per
# PHONE_CODE_RESEND_SECONDS and PHONE_CODES_PER_DAY a day (the Beijing-time day).
PHONE_CODE_VALID_SECONDS = env.int("PHONE_CODE_VALID_SECONDS", default=300)
PHONE_CODE_MAX_ATTEMPTS = env.int("PHONE_CODE_MAX_ATTEMPTS", default=5)
PHONE_CODE_RESEND_SECONDS = env.int("PHONE_CODE_RESEND_SECONDS", default=60)
PHONE_CODES_PER_DAY = env.int("PHONE_CODES_PER_DAY", default=10)
# Codes one client address may ask for within an hour, whatever the numbers (0: no limit). One home's or
# a community office's Wi-Fi signs in a few people an hour; a script walking through numbers (SMS bombing,
# paid for by the district) stops at 20. Behind a proxy set AXES_IPWARE_PROXY_COUNT, or every visitor
# shares the proxy's address; raise it where a carrier's NAT puts many residents behind one address.
PHONE_CODES_PER_ADDRESS_PER_HOUR = env.int("PHONE_CODES_PER_ADDRESS_PER_HOUR", default=20)
# Codes are deleted after this many days (accounts.tasks.purge_phone_codes, daily; the privacy notice says so).
PHONE_CODE_RETENTION_DAYS = env.int("PHONE_CODE_RETENTION_DAYS", default=30)
CELERY_BEAT_SCHEDULE["accounts-purge-phone-codes"] = {"task": "accounts.purge_phone_codes", "schedule": 24 * 3600}
# Personal data over time (issues.retention): the reporter's name, phone and contacts on an issue closed
# (or rejected, withdrawn) more than PERSONAL_DATA_RETENTION_DAYS ago are erased, daily; the case, its place
# and its timeline stay. The change history of hand-edited tables (jianhua.history) is only read in the
# admin: reverting a row from it is off, a change goes through the change form and its checks.
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=730)
CELERY_BEAT_SCHEDULE["issues-erase-expired-personal-data"] = {"task": "issues.erase_expired_personal_data",
                                                              "schedule": 24 * 3600}
# The same period for the residents met on visits door to door (field.retention).
CELERY_BEAT_SCHEDULE["field-erase-expired-personal-data"] = {"task": "field.erase_expired_personal_data",
                                                             "schedule": 24 * 3600}
SIMPLE_HISTORY_REVERT_DISABLED = True
# The privacy notice's version (templates/accounts/privacy.html): change it with the text, and residents
# consent to the new version at their next sign-in. PRIVACY_CONTACT: whom residents write to.
PRIVACY_NOTICE_VERSION = "2026-12-04.2"  # .2: case records lose the reporter's contacts after 730 days
PRIVACY_CONTACT = env("PRIVACY_CONTACT", default="建华区指挥中心 Jianhua District command centre, 0452-12345")
PHONENUMBER_DEFAULT_REGION = "CN"

# The supervision list (督办清单): an issue overdue by more than SUPERVISION_OVERDUE_DAYS days, or reopened
# SUPERVISION_REOPENED_TIMES times, goes on it by rule; such an item is due in SUPERVISION_DUE_WORKING_DAYS
# working days. The sweep is dispatch.supervision.supervision_sweep.
SUPERVISION_OVERDUE_DAYS = env.int("SUPERVISION_OVERDUE_DAYS", default=3)
SUPERVISION_REOPENED_TIMES = env.int("SUPERVISION_REOPENED_TIMES", default=2)
SUPERVISION_DUE_WORKING_DAYS = env.int("SUPERVISION_DUE_WORKING_DAYS", default=5)

# The accountability list (问效清单): a resident's 不满意 that reopens an issue for the N-th time (or more)
# puts the handler and the owning unit on it (dispatch.accountability).
ACCOUNTABILITY_DISSATISFIED_REOPENS = env.int("ACCOUNTABILITY_DISSATISFIED_REOPENS", default=2)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "AccountabilityKindEnum": "dispatch.models.accountability.RecordKind",
    "AccountabilityStateEnum": "dispatch.models.accountability.RecordState",
    "AccountabilityOutcomeEnum": "dispatch.models.accountability.Outcome",
    "SiteCheckKindEnum": "issues.models.CheckKind",
    "SiteCheckOutcomeEnum": "issues.models.CheckOutcome",
})

# The monthly evaluation (每月一评, /api/v1/stats/ranking/): each unit's score is the weighted mean of these
# rates (0–100); a rate a unit has no figures for leaves the mean. Beijing does not publish its weights.
EVALUATION_WEIGHTS = {
    "response_rate": env.float("EVALUATION_WEIGHT_RESPONSE", default=0.3),
    "resolution_rate": env.float("EVALUATION_WEIGHT_RESOLUTION", default=0.3),
    "on_time_resolution_rate": env.float("EVALUATION_WEIGHT_ON_TIME", default=0.1),
    "satisfaction_rate": env.float("EVALUATION_WEIGHT_SATISFACTION", default=0.3),
}
