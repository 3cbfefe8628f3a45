"""Domain events fanned out: to the staff who follow an event, and to the webhook endpoints subscribed to it.
Apps do not call these: they record the event (outbox.event_record) and the outbox worker calls them."""

from __future__ import annotations

import uuid

from django.contrib.auth.backends import ModelBackend

from omni.models import User

from .. import registry
from ..models import Delivery, Preference
from ..recipients import Recipient
from .notifying import notify
from .webhook_sending import webhook_publish

STAFF_KEY = "omni.user:"  # Recipient.for_user's key prefix


def notify_followers(
    event: str,
    context: dict,
    *,
    url: str = "",
    permission: str = "",
    exclude_user_id=None,
    idempotency_key: str | None = None,
) -> list[Delivery]:
    """Notify the staff who follow `event`: those who switched a channel on for it on their preferences page
    (events registered with no default channels, such as crm.account.created, reach nobody else). Only active
    staff holding `permission` (e.g. "crm.view_account"), never the person who caused the event
    (`exclude_user_id`). One query when nobody follows the event. Apps do not call it: they record the event
    (outbox.event_record) and the outbox worker calls this."""

    ids = []
    for key in Preference.objects.filter(event=event, enabled=True, recipient_key__startswith=STAFF_KEY).values_list(
        "recipient_key", flat=True
    ):
        try:
            ids.append(uuid.UUID(key.removeprefix(STAFF_KEY)))
        except ValueError:  # a hand-made key in the admin
            continue
    if not ids:
        return []
    users = ModelBackend().with_perm(permission) if permission else User.objects.all()  # groups, user or superuser
    users = users.filter(pk__in=ids, is_active=True, is_staff=True).exclude(pk=exclude_user_id)
    recipients = [Recipient.for_user(user) for user in users]
    return notify(event, recipients, context, url=url, idempotency_key=idempotency_key) if recipients else []


def event_publish(event: str, data: dict) -> None:
    """An app's domain event: outbound webhooks for every endpoint that subscribed to it, with `data` the resource
    as the API serializes it. Apps do not call it: they record the event (outbox.event_record) in the transaction
    of their change, and the outbox worker calls this."""
    if not registry.get(event).webhooks:
        raise ValueError(f"{event} is registered as sent to people only (webhooks=False).")

    webhook_publish(event=event, data=data)
