"""The event catalogue. Each app declares its events in its `events.py` (imported when Django starts) with
`register(...)`; notifications never imports those apps, they import this.

An event key is `<app>.<model>.<verb>`, e.g. `crm.account.created`. A domain event (`webhooks=True`, the default)
is published to webhook endpoints by `services.event_publish` and may notify people too; an event registered with
`webhooks=False` only ever reaches people (`services.notify`), so endpoints may not subscribe to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .choices import Channel

KEY = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class DefaultTemplate:
    """The text an app ships for one channel, in the default language (LANGUAGE_CODE). Jinja2 syntax over
    the event's payload. Staff override it per language in the admin (notifications.Template)."""

    subject: str = ""
    text: str = ""
    html: str = ""


@dataclass(frozen=True)
class EventType:
    key: str
    description: str
    payload: tuple[str, ...] = ()  # documented fields of the payload (the resource as the API serializes it)
    channels: tuple[str, ...] = (Channel.EMAIL,)  # default channels of notify()
    mandatory: bool = False  # service-critical: people cannot opt out
    templates: dict[str, DefaultTemplate] = field(default_factory=dict)  # channel -> default template
    webhooks: bool = True  # published to webhook endpoints (event_publish); False: sent to people only

    def default_template(self, channel: str) -> DefaultTemplate | None:
        return self.templates.get(channel)


_events: dict[str, EventType] = {}


def register(
    key: str,
    description: str,
    *,
    payload: tuple[str, ...] | list[str] = (),
    channels: tuple[str, ...] | list[str] = (Channel.EMAIL,),
    mandatory: bool = False,
    templates: dict[str, DefaultTemplate] | None = None,
    webhooks: bool = True,
) -> EventType:
    """Declare an event type. Registering the same key twice with the same definition is harmless.
    `webhooks=False` for an event that is never published to webhook endpoints (only notify() sends it)."""
    if not KEY.match(key):
        raise ValueError(f"Event keys look like app.model.verb, not {key!r}.")
    unknown = set(channels) - set(Channel.values)
    if unknown:
        raise ValueError(f"Unknown channels for {key}: {sorted(unknown)}")
    event = EventType(key, description, tuple(payload), tuple(channels), mandatory, dict(templates or {}), webhooks)
    previous = _events.get(key)
    if previous is not None and previous != event:
        raise ValueError(f"Event {key} is registered twice with different definitions.")
    _events[key] = event
    return event


def get(key: str) -> EventType:
    try:
        return _events[key]
    except KeyError:
        raise LookupError(f"Unknown event {key!r}: register it in its app's events.py.") from None


def all_events() -> list[EventType]:
    return sorted(_events.values(), key=lambda event: event.key)


def webhook_events() -> list[EventType]:
    """The events webhook endpoints may subscribe to (what `["*"]` means), by key."""
    return [event for event in all_events() if event.webhooks]


def choices() -> list[tuple[str, str]]:
    return [(event.key, event.key) for event in all_events()]
