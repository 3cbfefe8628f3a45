"""Outbound webhook endpoints (Standard Webhooks, https://www.standardwebhooks.com/): create, change, enable and
disable, rotate the secret, delete; the console's test event and the redelivery of a message. Endpoints
subscribe to event keys or to `["*"]`. Sending is in webhook_sending.py, signing in webhook_signing.py."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.exceptions import Conflict

from .. import net, registry
from ..choices import WebhookMessageStatus
from ..models import WebhookEndpoint, WebhookMessage
from .webhook_outcomes import endpoint_deactivate
from .webhook_sending import QUEUE_LEASE_SECONDS, messages_create, messages_queue
from .webhook_signing import secret_generate

TEST_EVENT = "notifications.webhook_endpoint.test"  # the console's "Send test event"; sent whatever the subscription


def url_clean(url) -> str:
    """A valid http(s) URL on public addresses (unless WEBHOOK_ALLOW_PRIVATE_URLS). ValidationError on `url`."""
    url = str(url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": [_("Enter a valid http or https URL.")]}) from None
    if len(url) > WebhookEndpoint._meta.get_field("url").max_length:
        raise ValidationError({"url": [_("The URL is too long (1000 characters at most).")]})
    try:
        net.url_check(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS)
    except net.UnsafeURL as exc:
        raise ValidationError({"url": [str(exc)]}) from None
    return url


def events_clean(events) -> list[str]:
    """Webhook event keys from the catalogue (sorted, without repeats), or `["*"]` alone (every webhook event).
    Events sent only to people (`webhooks=False`) and the test event are refused. ValidationError on `events`."""
    if isinstance(events, str) or not isinstance(events, list | tuple) or not events:
        raise ValidationError({"events": [_('Give a list of event keys, or ["*"] for every event.')]})
    keys = list(dict.fromkeys(str(key).strip() for key in events))
    if "*" in keys:
        if len(keys) > 1:
            raise ValidationError({"events": [_('"*" already means every event: send it alone.')]})
        return ["*"]
    catalogue = {event.key: event for event in registry.all_events()}
    errors = []
    unknown = [key for key in keys if key not in catalogue and key != TEST_EVENT]
    if unknown:
        errors.append(_("Unknown events: %(keys)s.") % {"keys": ", ".join(unknown)})
    # A subscription that can never receive anything is a mistake the subscriber should hear about now.
    people_only = [key for key in keys if key in catalogue and not catalogue[key].webhooks]
    if people_only:
        errors.append(_("Sent to people only, never to webhooks: %(keys)s.") % {"keys": ", ".join(people_only)})
    if TEST_EVENT in keys:
        errors.append(
            _(
                "%(key)s needs no subscription: it is sent when asked for (the endpoint's test action), whatever the "
                "endpoint subscribed to."
            )
            % {"key": TEST_EVENT}
        )
    if errors:
        raise ValidationError({"events": errors})
    return sorted(keys)


def _activate(endpoint: WebhookEndpoint) -> None:
    endpoint.is_active, endpoint.disabled_at, endpoint.disabled_reason = True, None, ""
    endpoint.consecutive_failures = 0  # a fresh start: the next failures count from here


def webhook_endpoint_create(
    *, url: str, events, description: str = "", is_active: bool = True, owner=None, now: datetime | None = None
) -> WebhookEndpoint:
    """Create an endpoint with a fresh `whsec_` secret (the caller shows `endpoint.secret` once). The URL must
    resolve to public addresses unless WEBHOOK_ALLOW_PRIVATE_URLS. ValidationError keyed by field."""
    now = now or timezone.now()
    errors = {}
    try:
        url = url_clean(url)  # DNS: outside any transaction
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        events = events_clean(events)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    endpoint = WebhookEndpoint(
        url=url, events=events, description=(description or "").strip(), owner=owner, secret=secret_generate()
    )
    if not is_active:
        endpoint_deactivate(endpoint, reason=_("Created disabled."), now=now)
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def webhook_endpoint_update(*, endpoint_id, by=None, now: datetime | None = None, **changes) -> WebhookEndpoint:
    """Change `url`, `events`, `description`, `owner` and/or `is_active` (only those given). Enabling clears the failure
    count and the disabled reason; a changed URL is checked like a new one. Locks the row."""
    now = now or timezone.now()
    unknown = set(changes) - {"url", "events", "description", "is_active", "owner"}
    if unknown:
        raise TypeError(f"Unknown fields: {sorted(unknown)}")
    errors = {}
    if "url" in changes:
        try:
            changes["url"] = url_clean(changes["url"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "events" in changes:
        try:
            changes["events"] = events_clean(changes["events"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        if "url" in changes and changes["url"] != endpoint.url:
            endpoint.url, endpoint.consecutive_failures = changes["url"], 0
        if "events" in changes:
            endpoint.events = changes["events"]
        if "description" in changes:
            endpoint.description = (changes["description"] or "").strip()
        if "owner" in changes:
            endpoint.owner = changes["owner"]
        active = changes.get("is_active", endpoint.is_active)
        if active and not endpoint.is_active:
            _activate(endpoint)
        elif not active and endpoint.is_active:
            who = getattr(by, "email", "") or _("staff")
            endpoint_deactivate(endpoint, reason=_("Disabled by %(who)s.") % {"who": who}, now=now)
        endpoint.full_clean()
        endpoint.save()
    return endpoint


def webhook_endpoint_set_active(*, endpoint_id, active: bool, by=None, now: datetime | None = None) -> WebhookEndpoint:
    """Enable or disable an endpoint; a repeat is a no-op."""
    return webhook_endpoint_update(endpoint_id=endpoint_id, by=by, now=now, is_active=active)


@transaction.atomic
def webhook_endpoint_secret_rotate(*, endpoint_id, now: datetime | None = None) -> WebhookEndpoint:
    """A new secret (the caller shows it once). The old one keeps signing, beside the new, for
    WEBHOOK_SECRET_OVERLAP_HOURS; rotating again within that time retires the oldest at once."""
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    endpoint.secret = secret_generate()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return endpoint


def webhook_endpoint_delete(*, endpoint_id) -> None:
    """Delete an endpoint with its messages and delivery log."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).delete()


def webhook_test_send(*, endpoint_id, now: datetime | None = None) -> WebhookMessage:
    """Queue a test message (type TEST_EVENT) to one endpoint, whatever it subscribed to. Conflict when the
    endpoint is disabled."""
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    if not endpoint.is_active:
        message = _("The endpoint is disabled: enable it before sending to it.")
        raise Conflict(message, fields={"active": [message]})
    data = {
        "endpoint": {"id": str(endpoint.pk), "url": endpoint.url},
        "message": "A test event from DotMac Omni. Answer with a 2xx status to acknowledge it.",
    }
    return messages_create([endpoint.pk], event=TEST_EVENT, data=data, now=now)[0]


def webhook_message_redeliver(*, message_id, now: datetime | None = None) -> WebhookMessage:
    """A new attempt of a message, due now, with the same webhook-id. A failed message gets one more attempt;
    a pending one is brought forward. Conflict when the endpoint is disabled or the message is being sent."""
    now = now or timezone.now()
    with transaction.atomic():
        message = WebhookMessage.objects.select_for_update(of=("self",)).select_related("endpoint").get(pk=message_id)
        if not message.endpoint.is_active:
            text = _("The endpoint is disabled: enable it before redelivering.")
            raise Conflict(text, fields={"active": [text]})
        if message.status == WebhookMessageStatus.SENDING and message.locked_until and message.locked_until > now:
            raise Conflict(_("This message is being sent right now."))
        message.status, message.next_attempt_at = WebhookMessageStatus.PENDING, now
        message.locked_until = now + timedelta(seconds=QUEUE_LEASE_SECONDS)
        message.save(update_fields=["status", "next_attempt_at", "locked_until", "updated_at"])
        messages_queue([message.pk])
    return message
