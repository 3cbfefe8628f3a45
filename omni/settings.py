"""DotMac Omni settings. Every value comes from the environment (django-environ); README lists them all.

Production is the default: DEBUG is off unless the environment turns it on (`make run`, `make test` and the test
settings do). With DEBUG off the process refuses to start without a real SECRET_KEY, or without an email backend
and an SMS provider chosen on purpose, and `manage.py check --deploy` is clean.
"""

from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from django.utils.translation import to_locale

from .schedule import beat_schedule

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():  # written by `make setup` on machines that need a database password
    environ.Env.read_env(BASE_DIR / ".env")
DEV_SECRET_KEY = "dev-insecure-omni-secret-key-change-me-in-production-0123456789"

# Off unless set: a deployment that forgets it gets production settings, not the development ones.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# Channel credentials at rest (omni.crypto): their own key if set, else derived from SECRET_KEY.
SECRETS_ENCRYPTION_KEY = env.str("SECRETS_ENCRYPTION_KEY", default="")
SECRETS_ENCRYPTION_KEY_FALLBACKS = env.list("SECRETS_ENCRYPTION_KEY_FALLBACKS", default=[])
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off.")

# The product's name wherever it is shown: page titles and footers, the admin, email subjects, senders and
# signatures, the API docs, authenticator apps (TOTP issuer). Templates read it with {% product_name %}.
OMNI_PRODUCT_NAME = env.str("OMNI_PRODUCT_NAME", default="DotMac Omni")
OMNI_DOMAIN = env.str("OMNI_DOMAIN", default="localhost")
# Scheme, staff host and port as users reach them; portal links in emails swap in the portal's host.
OMNI_BASE_URL = env.str("OMNI_BASE_URL", default=f"http://{OMNI_DOMAIN}:{env.int('PORT', default=8000)}")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[OMNI_DOMAIN, f".{OMNI_DOMAIN}", "127.0.0.1"])
# Hosts of the portals: <prefix>.<OMNI_DOMAIN>; anything else is the staff console.
PORTAL_HOSTS = {
    "customer": f"portal.{OMNI_DOMAIN}",
    "reseller": f"reseller.{OMNI_DOMAIN}",
    "vendor": f"vendor.{OMNI_DOMAIN}",
}

INSTALLED_APPS = [
    "omni",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "guardian",
    "phonenumber_field",
    "django_celery_beat",
    "simple_history",
    "notifications",
    "crm",
    "network",
    "tickets",
    "workforce",
    "projects",
    "inventory",
    "portals.staff",
    "portals.customer",
    "portals.reseller",
    "portals.vendor",
]

MIDDLEWARE = [
    "omni.db.ReplicaPinMiddleware",
    "omni.middleware.MetricsMiddleware",
    "omni.api.middleware.ApiErrorMiddleware",  # every error under /api/ in the API's JSON shape
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "omni.middleware.HostRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "omni.middleware.RateLimitMiddleware",
]

ROOT_URLCONF = "omni.urls"
WSGI_APPLICATION = "omni.wsgi.application"
ASGI_APPLICATION = "omni.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "omni.context_processors.portal",
            ],
            "builtins": ["template_partials.templatetags.partials", "omni.templatetags.product"],
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                            ],
                        )
                    ],
                )
            ],
        },
    }
]

# Connections come from psycopg's pool, at most DATABASE_POOL_MAX_SIZE per process and alias, handed back when a
# request (or task) ends. Under ASGI each request runs in a thread of its own, and persistent per-thread connections
# (CONN_MAX_AGE) piled up until PostgreSQL refused every process (PERFORMANCE.md, bench/load.py). 0 turns the pool
# off: DATABASE_CONN_MAX_AGE then keeps one connection per thread, which suits only WSGI sync workers.
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=8)
DATABASE_POOL_MIN_SIZE = env.int("DATABASE_POOL_MIN_SIZE", default=1)
DATABASE_POOL_TIMEOUT = env.float("DATABASE_POOL_TIMEOUT", default=10.0)
if DATABASE_POOL_MAX_SIZE < 0 or (DATABASE_POOL_MAX_SIZE and not 0 <= DATABASE_POOL_MIN_SIZE <= DATABASE_POOL_MAX_SIZE):
    raise ImproperlyConfigured("DATABASE_POOL_MAX_SIZE takes 0 (no pool) or more; DATABASE_POOL_MIN_SIZE 0 up to it.")
if DATABASE_POOL_MAX_SIZE and env.int("DATABASE_CONN_MAX_AGE", default=0):
    raise ImproperlyConfigured("DATABASE_CONN_MAX_AGE applies only without the pool (DATABASE_POOL_MAX_SIZE=0).")


def _database(url_variable: str, default: str | None = None) -> dict:
    database = env.db(url_variable, default=default) if default else env.db(url_variable)
    if database["ENGINE"] == "django.contrib.gis.db.backends.postgis":
        database["ENGINE"] = "omni.postgis"  # PostGIS, its adapters registered once per pooled connection
    database["CONN_HEALTH_CHECKS"] = True
    if DATABASE_POOL_MAX_SIZE:
        database["CONN_MAX_AGE"] = 0  # Django's pool requires it: "closing" hands the connection back
        database.setdefault("OPTIONS", {})["pool"] = {
            "min_size": DATABASE_POOL_MIN_SIZE,
            "max_size": DATABASE_POOL_MAX_SIZE,
            "timeout": DATABASE_POOL_TIMEOUT,  # seconds a request waits for a free connection, then fails
        }
    else:
        database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    return database


DATABASES = {"default": _database("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/omni")}
if env.str("DATABASE_REPLICA_URL", default=""):
    # Reads outside transactions, before the request or task has written, go to the replica (omni.db).
    DATABASES["replica"] = _database("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["omni.db.ReplicaRouter"]
# Every model of ours has a UUID primary key (omni.models.TimeStampedModel; the omni.E001 check refuses any other).
# Django requires an AutoField subclass here, so this is only the id of tables Django creates itself: the
# auto-created many-to-many tables (User.groups, User.user_permissions). The apps set no default_auto_field.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "omni.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="omni"),
        "TIMEOUT": 300,
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Host-only cookies: a session from one portal is never sent to another.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None

AUTH_USER_MODEL = "omni.User"
# Sign-in by the user's own email (USERNAME_FIELD). Not allauth's backend: it also signs in with any address in
# allauth's address book, verified or not (a pending new email would work before it is verified), and it tells an
# inactive user's right password apart from a wrong one.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"

# django-allauth: email login, no public sign-up (staff invite portal users).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
# A new sign-in email takes effect only once verified (a link to the new address; omni.services.user_email_sync).
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_ADAPTER = "omni.auth.OmniAccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = OMNI_PRODUCT_NAME
# Email subjects start "<OMNI_PRODUCT_NAME>: " (omni.auth.OmniAccountAdapter.format_email_subject).

# The instance's locale: the language of its pages and how they write dates (en-gb: 02/12/2026 and 2 Dec 2026 for
# 2 December; en-us: 12/02/2026). LocaleMiddleware picks a browser's language from LANGUAGES, and a bare "en" is
# Django's US formats, so the English offered is this variant (en-gb on a French instance), French likewise.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en-gb").lower().replace("_", "-")
LANGUAGES = [
    (LANGUAGE_CODE if LANGUAGE_CODE.split("-")[0] == base else default, name)
    for base, default, name in [("en", "en-gb", _("English")), ("fr", "fr", _("French"))]
]
# A variant Django writes no dates for (en-ng) would silently get the US formats.
if LANGUAGE_CODE not in dict(LANGUAGES) or (
    LANGUAGE_CODE not in ("en", "en-us") and find_spec(f"django.conf.locale.{to_locale(LANGUAGE_CODE)}") is None
):
    raise ImproperlyConfigured(
        f"LANGUAGE_CODE {LANGUAGE_CODE!r}: an English or French locale Django has date formats for (en-gb, en-us, "
        "en-au, en-ie, en-ca, fr, fr-ca, ...)."
    )
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="NG")
PHONENUMBER_DEFAULT_FORMAT = "E164"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")  # uploads; never served directly (checked views)
MEDIA_URL = "/media/"
# Ticket attachments (tickets.services.replies): per file, per reply, and the extensions accepted.
# Tickets waiting for the customer (tickets.services.pending, hourly): one reminder after N days, closed M days later.
TICKETS_PENDING_REMIND_DAYS = env.int("TICKETS_PENDING_REMIND_DAYS", default=3)
TICKETS_PENDING_CLOSE_DAYS = env.int("TICKETS_PENDING_CLOSE_DAYS", default=7)
TICKET_ATTACHMENT_MAX_BYTES = env.int("TICKET_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
TICKET_ATTACHMENT_MAX_FILES = env.int("TICKET_ATTACHMENT_MAX_FILES", default=5)
_ATTACHMENT_DEFAULT = "pdf png jpg jpeg gif webp txt csv log doc docx xls xlsx odt ods zip eml"
TICKET_ATTACHMENT_EXTENSIONS = {
    e.lower() for e in env.list("TICKET_ATTACHMENT_EXTENSIONS", default=_ATTACHMENT_DEFAULT.split())
}
# Technician view (workforce.services.field): a job photo's or a signature's size limit; photos are jpg, png or webp.
WORKFORCE_PHOTO_MAX_BYTES = env.int("WORKFORCE_PHOTO_MAX_BYTES", default=10 * 1024 * 1024)

# Sales (crm.services.quotes): the organisation printed on quotes, the default currency (ISO 4217) of leads and
# quotes, how long a new quote is valid and how long a quote link sent to a lead keeps working.
OMNI_ORGANISATION_NAME = env.str("OMNI_ORGANISATION_NAME", default=OMNI_PRODUCT_NAME)
OMNI_ORGANISATION_ADDRESS = env.str("OMNI_ORGANISATION_ADDRESS", default="")
OMNI_ORGANISATION_LOGO = env.str("OMNI_ORGANISATION_LOGO", default="")  # a file path; empty: none
SALES_DEFAULT_CURRENCY = env.str("SALES_DEFAULT_CURRENCY", default="NGN").upper()
QUOTE_VALIDITY_DAYS = env.int("QUOTE_VALIDITY_DAYS", default=30)
QUOTE_LINK_MAX_AGE_DAYS = env.int("QUOTE_LINK_MAX_AGE_DAYS", default=30)

# Email: EMAIL_URL such as smtp://user:pass@host:25, smtp+tls://…:587 (STARTTLS), smtp+ssl://…:465, consolemail://.
# A provider through django-anymail is a setting away: EMAIL_BACKEND=anymail.backends.<esp>.EmailBackend and
# ANYMAIL=KEY=value,... (see README). EMAIL_URL's backend otherwise. The console backend sends nothing and prints
# every email, password-reset and invitation links included: with DEBUG off it runs only when chosen by name.
EMAIL_URL = env.str("EMAIL_URL", default="consolemail://" if DEBUG else "")
if not EMAIL_URL and not env.str("EMAIL_BACKEND", default=""):
    raise ImproperlyConfigured(
        "EMAIL_URL (or EMAIL_BACKEND) must be set when DEBUG is off, e.g. EMAIL_URL=smtp+tls://user:pass@host:587; "
        "EMAIL_URL=consolemail:// prints emails instead of sending them."
    )
globals().update(environ.Env.email_url_config(EMAIL_URL or "consolemail://"))
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=EMAIL_BACKEND)  # noqa: F821 - set by the line above
ANYMAIL = env.dict("ANYMAIL", default={})
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{OMNI_PRODUCT_NAME} <noreply@{OMNI_DOMAIN}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The inbox's email channel, inbound (crm): the SMTP receiver (`manage.py inbound_smtp`, in the Procfile) listens on
# INBOUND_SMTP_HOST:INBOUND_SMTP_PORT; it and the MTA hook (POST /hooks/email/<channel>/) refuse larger messages.
INBOUND_SMTP_HOST = env.str("INBOUND_SMTP_HOST", default="127.0.0.1")
INBOUND_SMTP_PORT = env.int("INBOUND_SMTP_PORT", default=2525)
INBOUND_EMAIL_MAX_BYTES = env.int("INBOUND_EMAIL_MAX_BYTES", default=25 * 1024 * 1024)
if INBOUND_EMAIL_MAX_BYTES <= 0:
    raise ImproperlyConfigured("INBOUND_EMAIL_MAX_BYTES must be a positive number of bytes.")
# The SMS and WhatsApp webhooks' stored events (crm.InboundWebhook: raw payloads, i.e. message bodies) are deleted
# this many days after they arrived once processed (nightly: crm.tasks.inbox_webhooks_prune); 0 keeps them forever.
# Idempotency does not need them: a message is unique per channel and provider id on its own.
INBOX_WEBHOOK_RETENTION_DAYS = env.int("INBOX_WEBHOOK_RETENTION_DAYS", default=7)
if INBOX_WEBHOOK_RETENTION_DAYS < 0:
    raise ImproperlyConfigured("INBOX_WEBHOOK_RETENTION_DAYS takes 0 (keep forever) or a number of days.")

# Maps: Leaflet (served locally) over this tile server; empty MAP_TILE_URL draws no base map (markers only).
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str(
    "MAP_TILE_ATTRIBUTION", default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
)

# REST API
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=100)
API_RATE_WINDOW = env.int("API_RATE_WINDOW", default=60)
API_TOKEN_CACHE_SECONDS = 60
# Trusted reverse proxies in front of the web processes; the client address is read from X-Forwarded-For.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# Bearer token of /metrics and of /health/'s detailed answer. Without it both are open in development only: with
# DEBUG off /metrics is refused and /health/ answers each check's status alone.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "omni.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["omni.api.permissions.ApiAccess"],
    "DEFAULT_PAGINATION_CLASS": "omni.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "omni.api.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "omni.api.renderers.OrjsonRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "omni.api.schema.AutoSchema",  # declares each operation's 4xx answers
    "EXCEPTION_HANDLER": "omni.api.errors.exception_handler",
    "ORDERING_PARAM": "ordering",
    "NUM_PROXIES": NUM_PROXIES,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if not DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["omni.api.renderers.OrjsonRenderer"]
SPECTACULAR_SETTINGS = {
    "TITLE": f"{OMNI_PRODUCT_NAME} API",
    "DESCRIPTION": f"REST API of {OMNI_PRODUCT_NAME}. Authenticate with `Authorization: Bearer <token>` "
    "(`manage.py create_api_token`). Errors are `{code, detail, fields}`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several apps have a "status"; name each enum after its TextChoices so the schema stays unambiguous.
    "ENUM_NAME_OVERRIDES": {
        "AccountStatusEnum": "crm.choices.AccountStatus",
        "DeliveryStatusEnum": "notifications.choices.DeliveryStatus",
        "WebhookMessageStatusEnum": "notifications.choices.WebhookMessageStatus",
        "EscalationKindEnum": "tickets.choices.EscalationKind",
        "KindEnum": "crm.choices.AccountKind",
        "TicketStatusEnum": "tickets.choices.TicketStatus",
        "TicketSourceEnum": "tickets.choices.TicketSource",
        "SourceEnum": "tickets.choices.HolidaySource",
        "LeadSourceEnum": "crm.choices.LeadSource",
        "PlantStatusEnum": "network.choices.PlantStatus",
        "StructureKindEnum": "network.choices.StructureKind",
        "PathwayKindEnum": "network.choices.PathwayKind",
        "CableRoleEnum": "network.choices.CableRole",
        "EnclosureKindEnum": "network.choices.EnclosureKind",
        "TrayKindEnum": "network.choices.TrayKind",
        "SplitterKindEnum": "network.choices.SplitterKind",
        "ConnectionKindEnum": "network.choices.ConnectionKind",
        "ConnectionStatusEnum": "network.choices.ConnectionStatus",
        "SplicePlanStatusEnum": "network.choices.SplicePlanStatus",
        "ServiceabilityEnum": "network.choices.Serviceability",
        "StrandStateEnum": ["lit", "reserved", "dark"],
        "RoleEnum": "crm.choices.ContactRole",
        "DispatchRunStatusEnum": "workforce.choices.DispatchRunStatus",
        "DispatchRunKindEnum": "workforce.choices.DispatchRunKind",
        "TechnicianKindEnum": "workforce.choices.TechnicianKind",
        "MembershipKindEnum": "workforce.choices.MembershipKind",
        "ShiftKindEnum": "workforce.choices.ShiftKind",
        "TimeOffStatusEnum": "workforce.choices.TimeOffStatus",
        "WorkOrderPriorityEnum": "workforce.choices.WorkOrderPriority",
        "WorkOrderStatusEnum": "workforce.choices.WorkOrderStatus",
        "AppointmentStatusEnum": "workforce.choices.AppointmentStatus",
        "ChannelKindEnum": "crm.choices.ChannelKind",
        "ConversationStatusEnum": "crm.choices.ConversationStatus",
        "ConversationPriorityEnum": "crm.choices.ConversationPriority",
        "MessageKindEnum": "crm.choices.MessageKind",
        "MessageStatusEnum": "crm.choices.MessageStatus",
        "MessageDirectionEnum": "crm.choices.MessageDirection",
        "MessageInKindEnum": ["message", "note"],
        "PrechatRuleEnum": ["required", "optional", "off"],
    },
    "APPEND_COMPONENTS": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
    },
    "SECURITY": [{"bearerAuth": []}],
}

# Celery: Redis broker, schedules in the database (django-celery-beat), editable in admin.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Every task ends: SoftTimeLimitExceeded is raised in it after the soft limit (send batches then record what
# they sent and release the rest), the process is killed at the hard one. Tasks that need more set their own
# (notifications.tasks). Both well under the broker's 1 h visibility_timeout.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < 3600:
    raise ImproperlyConfigured("Celery time limits: 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < 3600.")
# The queue tasks are sent to and workers consume: instances (or test runs) sharing one broker each use their own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# `celery beat` needs no --scheduler option; started with django-celery-beat's documented
# `--scheduler django_celery_beat.schedulers:DatabaseScheduler` it is the same. Either way omni.beat stamps the beat
# heartbeat /health/ reads each time beat sends a task (omni-heartbeat at least every HEARTBEAT_INTERVAL seconds).
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat wakes at least this often, so schedules edited in the admin apply within seconds.
CELERY_BEAT_MAX_LOOP_INTERVAL = 5
HEARTBEAT_INTERVAL = env.int("HEARTBEAT_INTERVAL", default=15)
HEALTH_WORKER_PING_TIMEOUT = env.float("HEALTH_WORKER_PING_TIMEOUT", default=1.0)
# /health/ answers from a report at most this old, shared by every web process through Redis: a monitor polling
# every web process every second costs one worker ping per period, not one per request.
HEALTH_CACHE_SECONDS = env.float("HEALTH_CACHE_SECONDS", default=5.0)
CELERY_BEAT_SCHEDULE = beat_schedule(heartbeat_interval=HEARTBEAT_INTERVAL)  # omni/schedule.py

# Security: strict in production (DEBUG off); `check --deploy` is clean then.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Cookies and origins. Served over https (always so with DEBUG off), the session and CSRF cookies are `__Host-`
# cookies: Secure, Path=/ and no Domain, so no sibling host (another portal, any other *.OMNI_DOMAIN) can read
# them or plant one of its own in their place (a browser refuses a `__Host-` cookie that has a Domain). Plain
# http (development) cannot carry the prefix: host-only cookies there. SameSite=Lax: a link from an email still
# arrives signed in; a cross-site POST carries neither cookie. Pages send the CSRF token from the template
# (hx-headers), so no script needs to read its cookie.
_BASE_URL = urlsplit(OMNI_BASE_URL)
_HTTPS = not DEBUG or _BASE_URL.scheme == "https"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _HTTPS
SESSION_COOKIE_NAME = "__Host-sessionid" if _HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if _HTTPS else "csrftoken"
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = "/"
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"  # in the session: no third cookie
# Exactly the four origins the portals are served from (with OMNI_BASE_URL's port, if any), not every subdomain.
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS",
    default=[
        f"{'https' if _HTTPS else 'http'}://{host}{f':{_BASE_URL.port}' if _BASE_URL.port else ''}"
        for host in [OMNI_DOMAIN, *PORTAL_HOSTS.values()]
    ],
)

# Notifications: SMS provider ("console" logs messages; "twilio" speaks Twilio's Messages API to SMS_API_URL, which
# any Twilio-compatible gateway can serve), Web Push, and
# outbound webhooks (Standard Webhooks). VAPID keys: `manage.py vapid_keys` prints a pair for .env.
# "console" sends nothing and logs every message's text: with DEBUG off it runs only when named.
SMS_PROVIDER = env.str("SMS_PROVIDER", default="console" if DEBUG else "")
if not SMS_PROVIDER:
    raise ImproperlyConfigured(
        "SMS_PROVIDER must be set when DEBUG is off: twilio (with SMS_ACCOUNT_SID, SMS_AUTH_TOKEN, SMS_FROM), "
        "or console to log messages instead of sending them."
    )
SMS_API_URL = env.str("SMS_API_URL", default="https://api.twilio.com")
SMS_ACCOUNT_SID = env.str("SMS_ACCOUNT_SID", default="")
SMS_AUTH_TOKEN = env.str("SMS_AUTH_TOKEN", default="")
SMS_FROM = env.str("SMS_FROM", default="")
VAPID_PUBLIC_KEY = env.str("VAPID_PUBLIC_KEY", default="")
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default=f"mailto:noreply@{OMNI_DOMAIN}")
# Webhook URLs on private/loopback addresses are refused (and re-checked on the resolved address at send time)
# unless this is on: tests and closed networks only.
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)
# Seconds after the first attempt fails before each retry: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (~27 h).
WEBHOOK_RETRY_SCHEDULE = env.list("WEBHOOK_RETRY_SCHEDULE", cast=int, default=[5, 300, 1800, 7200, 18000, 36000, 36000])
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
# An endpoint whose messages keep failing for this long (and at least this many in a row) is disabled.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=10)
WEBHOOK_DISABLE_AFTER_HOURS = env.int("WEBHOOK_DISABLE_AFTER_HOURS", default=24)
WEBHOOK_SECRET_OVERLAP_HOURS = env.int("WEBHOOK_SECRET_OVERLAP_HOURS", default=24)
# Retention (notifications.retention, nightly): days to keep, counted from creation; 0 keeps forever.
# Deliveries in a final state (they hold payloads and rendered bodies: personal data; queued/sending ones stay),
# webhook messages that succeeded or failed with their attempt log, in-app notifications that were read.
NOTIFICATIONS_RETENTION_DAYS = env.int("NOTIFICATIONS_RETENTION_DAYS", default=180)
WEBHOOK_RETENTION_DAYS = env.int("WEBHOOK_RETENTION_DAYS", default=90)
INAPP_RETENTION_DAYS = env.int("INAPP_RETENTION_DAYS", default=365)
# Dispatched outbox events (notifications.outbox): their webhook messages and deliveries are kept on their own.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=7)
if min(NOTIFICATIONS_RETENTION_DAYS, WEBHOOK_RETENTION_DAYS, INAPP_RETENTION_DAYS, OUTBOX_RETENTION_DAYS) < 0:
    raise ImproperlyConfigured("The *_RETENTION_DAYS settings take 0 (keep forever) or a number of days.")

# Django 6 reads scheme-less URLs in forms as https; say so now (no deprecation warning).
FORMS_URLFIELD_ASSUME_HTTPS = True

# django-guardian must not create its "AnonymousUser" row: our users are people with an email and an audience.
ANONYMOUS_USER_NAME = None

# GDAL 3.9+ is not in Debian 12; we never hand user-supplied data sources to GDAL.
# auth.W004: emails are unique case-insensitively by the constraint omni_user_email_unique_ci.
SILENCED_SYSTEM_CHECKS = ["gis.W001", "auth.W004"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # One line per outbound request (webhooks, SMS) at INFO would flood a fan-out's log.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = True

# Live updates (omni.sse, README "Live updates"): Server-Sent Events fed by Redis pub/sub, served by the `live`
# process (ASGI, uvicorn workers). LIVE_URL is where pages open their streams: empty for the page's own origin,
# a port alone (":8001", as `make run` sets it) for the same host name on that port, or a full origin.
LIVE_URL = env.str("LIVE_URL", default="")
LIVE_HEARTBEAT_SECONDS = env.float("LIVE_HEARTBEAT_SECONDS", default=15.0)
LIVE_STREAM_MAX_SECONDS = env.float("LIVE_STREAM_MAX_SECONDS", default=300.0)
LIVE_RETRY_MS = env.int("LIVE_RETRY_MS", default=3000)
# Web chat (crm.hooks.webchat): requests per client address and channel to the widget's public endpoints in any
# WEBCHAT_RATE_WINDOW seconds (the live stream is not counted), and the channel the customer portal's chat uses
# (a web chat channel's id; empty: the first active web chat channel whose settings say "portal": true).
WEBCHAT_RATE_LIMIT = env.int("WEBCHAT_RATE_LIMIT", default=60)
WEBCHAT_RATE_WINDOW = env.int("WEBCHAT_RATE_WINDOW", default=60)
WEBCHAT_PORTAL_CHANNEL = env.str("WEBCHAT_PORTAL_CHANNEL", default="")
# How long a web chat visitor token stays valid (seconds; the widget asks for a new session after it expires).
WEBCHAT_TOKEN_MAX_AGE = env.int("WEBCHAT_TOKEN_MAX_AGE", default=90 * 24 * 3600)
