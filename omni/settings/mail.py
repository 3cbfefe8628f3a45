"""Email: outbound through EMAIL_URL or a named EMAIL_BACKEND (refused in production when neither is set), the
sender addresses, and the inbox's inbound email (the SMTP receiver's address, the largest message accepted) with
the retention of stored SMS and WhatsApp webhook events."""

import environ
from django.core.exceptions import ImproperlyConfigured

from .base import DEBUG, OMNI_DOMAIN, OMNI_PRODUCT_NAME, env

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
# The SMS and WhatsApp webhooks answer 200 once their event is committed; true also waits for PostgreSQL to flush it
# to disk (synchronous commit; about a fifth fewer webhooks a second on two cores: README, Inbound webhooks).
INBOX_WEBHOOK_SYNCHRONOUS_COMMIT = env.bool("INBOX_WEBHOOK_SYNCHRONOUS_COMMIT", default=False)
# A webhook hands its "process what I stored" kick to its process's kicker thread (crm.services.inbox_ingest);
# True kicks in the webhook's own thread instead (tests/settings.py: tests count the tasks a webhook queues).
INBOX_WEBHOOK_KICK_INLINE = False
