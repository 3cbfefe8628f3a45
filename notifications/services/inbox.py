"""The in-app inbox (the bell, api/inbox.py): marking notifications read."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ..models import Notification


def notification_mark_read(*, user, notification_id, now: datetime | None = None):
    """Mark one of `user`'s in-app notifications read (the first read time is kept: idempotent).
    Notification.DoesNotExist (404) for anyone else's."""

    now = now or timezone.now()
    mine = Notification.objects.filter(pk=notification_id, user=user)
    mine.filter(read_at__isnull=True).update(read_at=now, updated_at=now)
    return mine.get()


def notifications_mark_all_read(*, user, now: datetime | None = None) -> int:
    """Mark every unread in-app notification of `user` read; returns how many changed (0 on a repeat)."""

    now = now or timezone.now()
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now, updated_at=now)
