"""Settings every other module builds on: the environment (django-environ, .env when present), DEBUG, the secret
keys (refused in production when left at the development value), the product's name, domain and hosts, the
installed apps, middleware, URL configuration and templates; and Django's own odds and ends (forms, guardian's
anonymous user, silenced checks, logging, history ids)."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # omni/settings/base.py -> the checkout

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
