"""Every write of the notifications app, one module per subject; call them through this package
(`from notifications import services; services.notify(...)`). Reads are in notifications.selectors.

- notifying: notify(), the one way to send to people
- sending, recording: claiming, sending and recording deliveries (workers)
- deliveries: retries, provider reports, the due scan
- template_test: the admin's test send of a template
- preferences: preferences and quiet hours
- inbox, push: the in-app inbox and Web Push subscriptions
- fanout: domain events to followers and webhooks (called by the outbox)
- webhook_endpoints, webhook_sending, webhook_outcomes, webhook_signing: outbound webhooks
"""

from .deliveries import (
    deliveries_dispatch_due,
    deliveries_due,
    deliveries_retry,
    delivery_retry,
    delivery_status_update,
)
from .fanout import STAFF_KEY, event_publish, notify_followers
from .inbox import notification_mark_read, notifications_mark_all_read
from .notifying import QUIET_CHANNELS, notify
from .preferences import (
    UNSUBSCRIBE_SCOPES,
    email_unsubscribe,
    person_settings_save,
    preference_set,
    preference_validate,
    preferences_save,
    quiet_hours_clear,
    quiet_hours_set,
    recipient_time_zone_set,
)
from .push import push_subscription_delete, push_subscription_save
from .recording import backoff
from .sending import (
    CLAIM_SECONDS,
    PUSH_SUBSCRIPTIONS_MAX,
    QUEUE_LEASE_SECONDS,
    SEND_BUDGET_SECONDS,
    SEND_MAX_SECONDS,
    deliveries_claim,
    deliveries_send,
    delivery_send,
)
from .template_test import template_test_send
from .webhook_endpoints import (
    TEST_EVENT,
    events_clean,
    url_clean,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_secret_rotate,
    webhook_endpoint_set_active,
    webhook_endpoint_update,
    webhook_message_redeliver,
    webhook_test_send,
)
from .webhook_sending import (
    webhook_dispatch_due,
    webhook_messages_claim,
    webhook_messages_send,
    webhook_post,
    webhook_publish,
)
from .webhook_signing import secret_generate

__all__ = [
    "UNSUBSCRIBE_SCOPES",
    "email_unsubscribe",
    "CLAIM_SECONDS",
    "PUSH_SUBSCRIPTIONS_MAX",
    "QUEUE_LEASE_SECONDS",
    "QUIET_CHANNELS",
    "SEND_BUDGET_SECONDS",
    "SEND_MAX_SECONDS",
    "STAFF_KEY",
    "TEST_EVENT",
    "backoff",
    "deliveries_claim",
    "deliveries_dispatch_due",
    "deliveries_due",
    "deliveries_retry",
    "deliveries_send",
    "delivery_retry",
    "delivery_send",
    "delivery_status_update",
    "event_publish",
    "events_clean",
    "notification_mark_read",
    "notifications_mark_all_read",
    "notify",
    "notify_followers",
    "person_settings_save",
    "preference_set",
    "preference_validate",
    "preferences_save",
    "push_subscription_delete",
    "push_subscription_save",
    "quiet_hours_clear",
    "quiet_hours_set",
    "recipient_time_zone_set",
    "secret_generate",
    "template_test_send",
    "url_clean",
    "webhook_dispatch_due",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_secret_rotate",
    "webhook_endpoint_set_active",
    "webhook_endpoint_update",
    "webhook_message_redeliver",
    "webhook_messages_claim",
    "webhook_messages_send",
    "webhook_post",
    "webhook_publish",
    "webhook_test_send",
]
