"""Preferences (per person, event and channel) and quiet hours: the writes behind the preferences page, the
unsubscribe link and the admin. The reads are in selectors.py."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import registry
from ..choices import DELIVERY_OPEN, Channel
from ..models import Delivery, Preference, QuietHours
from ..selectors import preference_channels


def preference_validate(*, event: str, channel: str, enabled: bool) -> None:
    """ValidationError (keyed by field) unless the choice can be stored: a known channel, a registered event
    (or `*`), and not switching a mandatory event off on one of its channels."""
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("Unknown channel %(channel)s.") % {"channel": channel}]})
    if event == "*":
        return
    try:
        event_type = registry.get(event)
    except LookupError as exc:
        raise ValidationError({"event": [str(exc)]}) from None
    if event_type.mandatory and not enabled and channel in event_type.channels:
        raise ValidationError(
            {"enabled": [_("%(event)s is service-critical: it cannot be switched off.") % {"event": event}]}
        )


def preference_set(*, recipient_key: str, event: str, channel: str, enabled: bool) -> Preference:
    """Switch one event (or `*`: every event) on one channel on or off for a person. A mandatory
    (service-critical) event cannot be switched off on its channels (ValidationError). Idempotent."""
    preference_validate(event=event, channel=channel, enabled=enabled)
    preference, _created = Preference.objects.update_or_create(
        recipient_key=recipient_key, event=event, channel=channel, defaults={"enabled": enabled}
    )
    return preference


UNSUBSCRIBE_SCOPES = ("event", "all", "resubscribe", "resubscribe_all")


@transaction.atomic
def email_unsubscribe(*, recipient_key: str, event: str, scope: str) -> None:
    """The unsubscribe link's answer: `event` stops this event's emails, `all` every email the person may leave
    (`*`); `resubscribe` and `resubscribe_all` undo those. A mandatory event cannot be left (ValidationError)."""
    if scope not in UNSUBSCRIBE_SCOPES:
        raise ValidationError({"scope": [_("Choose one of %(scopes)s.") % {"scopes": ", ".join(UNSUBSCRIBE_SCOPES)}]})
    if scope.startswith("resubscribe"):
        for key in [event, "*"] if scope == "resubscribe_all" else [event]:
            preference_set(recipient_key=recipient_key, event=key, channel=Channel.EMAIL, enabled=True)
    else:
        key = "*" if scope == "all" else event
        preference_set(recipient_key=recipient_key, event=key, channel=Channel.EMAIL, enabled=False)


@transaction.atomic
def preferences_save(
    *,
    recipient_key: str,
    muted: Iterable[str],
    enabled: Iterable[tuple[str, str]],
    events: Iterable[str] | None = None,
    channels: Iterable[str] | None = None,
) -> None:
    """Save the preferences page in one transaction: `muted` channels are off for every event (`*`); each
    choosable (event, channel) is on when in `enabled`, off otherwise. Only choices that differ from the
    default are stored, so a person who changes nothing keeps following the defaults as they evolve.
    Mandatory events stay on whatever was sent.

    `events` and `channels` narrow the page to those (the customer portal offers a contact the customer-facing
    events on email and SMS): choices outside them, and the `*` rows, are left as they are; `muted` must then be
    empty. A pair outside them in `enabled` is a ValidationError."""
    muted, enabled = set(muted), set(enabled)
    scoped = events is not None or channels is not None
    scope_events = set(events) if events is not None else None
    scope_channels = set(channels) if channels is not None else set(Channel.values)

    def in_scope(event: str, channel: str) -> bool:
        return (scope_events is None or event in scope_events) and channel in scope_channels

    unknown = muted - set(Channel.values)
    if unknown:
        raise ValidationError({"muted": [_("Unknown channel %(channel)s.") % {"channel": sorted(unknown)[0]}]})
    if scoped and muted:
        raise ValidationError({"muted": [_("Channels cannot be muted for every event here.")]})
    available = preference_channels()
    for pair in enabled:
        if pair[1] not in available.get(pair[0], []) or not in_scope(*pair):
            message = _("%(event)s cannot be sent by %(channel)s.") % {"event": pair[0], "channel": pair[1]}
            raise ValidationError({"enabled": [message]})
    existing = {
        (p.event, p.channel): p for p in Preference.objects.select_for_update().filter(recipient_key=recipient_key)
    }
    if scoped:
        existing = {pair: p for pair, p in existing.items() if in_scope(*pair)}
    wanted: dict[tuple[str, str], bool] = {("*", channel): False for channel in muted}
    for event_type in registry.all_events():
        for channel in available[event_type.key]:
            if not in_scope(event_type.key, channel):
                continue
            default_on = channel in event_type.channels
            if event_type.mandatory and default_on:
                continue  # always on: no choice to store
            baseline = default_on and channel not in muted
            on = (event_type.key, channel) in enabled
            if on != baseline:
                wanted[(event_type.key, channel)] = on
    stale = [p.pk for pair, p in existing.items() if pair not in wanted]
    Preference.objects.filter(pk__in=stale).delete()
    changed = [
        Preference(recipient_key=recipient_key, event=event, channel=channel, enabled=on)
        for (event, channel), on in wanted.items()
        if (event, channel) not in existing or existing[(event, channel)].enabled != on
    ]
    Preference.objects.bulk_create(
        changed,
        update_conflicts=True,
        unique_fields=["recipient_key", "event", "channel"],
        update_fields=["enabled", "updated_at"],
    )


def quiet_hours_set(*, recipient_key: str, start: time, end: time, time_zone: str = "") -> QuietHours:
    """No SMS or push between `start` and `end` (local to `time_zone`, else the person's, else the
    instance's); those wait until `end`. Replaces the person's previous window."""
    errors = {}
    if start == end:
        errors["end"] = [_("The quiet hours must end at another time than they start.")]
    if time_zone and time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = [_("Unknown time zone %(tz)s.") % {"tz": time_zone}]
    if errors:
        raise ValidationError(errors)
    quiet, _created = QuietHours.objects.update_or_create(
        recipient_key=recipient_key, defaults={"start": start, "end": end, "time_zone": time_zone}
    )
    return quiet


def recipient_time_zone_set(*, recipient_key: str, time_zone: str) -> int:
    """The person's own time zone changed (a contact's, on their Notifications page): their deliveries still
    waiting (queued, or deferred by quiet hours) are checked in the new one when their time comes. Returns how
    many were changed. ValidationError for a zone zoneinfo does not know."""
    if time_zone and time_zone not in zoneinfo.available_timezones():
        raise ValidationError({"time_zone": [_("Unknown time zone %(tz)s.") % {"tz": time_zone}]})
    waiting = Delivery.objects.filter(recipient_key=recipient_key, status__in=DELIVERY_OPEN)
    return waiting.exclude(time_zone=time_zone).update(time_zone=time_zone, updated_at=timezone.now())


def quiet_hours_clear(*, recipient_key: str) -> None:
    QuietHours.objects.filter(recipient_key=recipient_key).delete()


@transaction.atomic
def person_settings_save(
    *,
    recipient_key: str,
    muted: Iterable[str],
    enabled: Iterable[tuple[str, str]],
    quiet: tuple[time, time, str] | None,
    events: Iterable[str] | None = None,
    channels: Iterable[str] | None = None,
) -> None:
    """The "My notification preferences" page in one transaction: channel choices (preferences_save, narrowed
    to `events` and `channels` when given) and quiet hours (`quiet` = (start, end, time zone), None: no quiet
    hours; an empty time zone follows the person's own)."""
    preferences_save(recipient_key=recipient_key, muted=muted, enabled=enabled, events=events, channels=channels)
    if quiet is None:
        quiet_hours_clear(recipient_key=recipient_key)
    else:
        start, end, time_zone = quiet
        quiet_hours_set(recipient_key=recipient_key, start=start, end=end, time_zone=time_zone)
