"""Web Push subscriptions of the browsers people enabled push in (api/push.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from omni.models import User

from ..channels.push import subscription_errors
from ..models import PushSubscription
from .sending import PUSH_SUBSCRIPTIONS_MAX


def push_subscription_save(*, user, endpoint: str, p256dh: str, auth: str, user_agent: str = ""):
    """Store a browser's Web Push subscription for `user`; returns (subscription, created). Upserts on the
    endpoint: a browser subscribing again refreshes it, a shared browser signed in by someone else moves to
    them. A user keeps at most PUSH_SUBSCRIPTIONS_MAX: past it, the least recently (re)subscribed are dropped
    (browsers are replaced and rarely say so; refusing would lock the user out of push on a new one, and a
    push delivery tries every subscription, so their number bounds its time). Locks the user's row, so
    concurrent subscribes cannot pass the cap. ValidationError keyed by field (an endpoint on a private
    address, keys that cannot encrypt)."""

    errors = subscription_errors(endpoint=endpoint, p256dh=p256dh, auth=auth)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        list(User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk", flat=True))
        subscription, created = PushSubscription.objects.update_or_create(
            endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300]}
        )
        others = PushSubscription.objects.filter(user=user).exclude(pk=subscription.pk).order_by("-updated_at", "-pk")
        dropped = list(others.values_list("pk", flat=True)[PUSH_SUBSCRIPTIONS_MAX - 1 :])
        if dropped:
            PushSubscription.objects.filter(pk__in=dropped).delete()
    return subscription, created


def push_subscription_delete(*, user, endpoint: str = "", subscription_id=None) -> int:
    """Forget one of `user`'s subscriptions, by endpoint or id; returns rows deleted (0: not theirs, or
    already gone — a repeat is a no-op)."""

    if not endpoint and subscription_id is None:
        raise ValidationError({"endpoint": [_("Name the subscription to delete.")]})
    mine = PushSubscription.objects.filter(user=user)
    mine = mine.filter(endpoint=endpoint) if endpoint else mine.filter(pk=subscription_id)
    return mine.delete()[0]
