"""Notifications: the SMS provider (refused in production unless chosen), Web Push's VAPID keys, outbound webhooks
(private addresses, retries, timeouts, disabling failing endpoints, secret rotation) and how long deliveries,
webhook messages, in-app notifications and outbox events are kept."""

from django.core.exceptions import ImproperlyConfigured

from .base import DEBUG, OMNI_DOMAIN, env

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
