"""Live updates of the inbox: after a change commits, a small JSON event is published on Redis pub/sub; the
Server-Sent Events streams (portals, served by the ASGI live process) subscribe and pass it on to every agent
looking, and to the web chat visitor of the conversation.

Topics (`topic()` adds the instance's key prefix):
- `inbox`: every change an inbox list shows (new conversation, new message, assignment, status) for staff;
- `conversation:<id>`: the same for one conversation page, plus typing indicators;
- `visitor:<conversation id>`: what the customer's web chat shows (public messages only, never notes).

A publish never fails the request: Redis down means live views miss an update, which the next reload shows.
"""

from __future__ import annotations

import logging

import orjson
from django.db import transaction

from omni import redis as omni_redis

logger = logging.getLogger(__name__)


def topic(*parts: str) -> str:
    return omni_redis.key("live", *parts)


def publish_now(topics: list[str], event: str, data: dict) -> None:
    """Publish at once (typing indicators: nothing to commit)."""
    payload = orjson.dumps({"event": event, "data": data}, default=str)
    try:
        client = omni_redis.client()
        for name in topics:
            client.publish(topic(name), payload)
    except Exception:
        logger.warning("live publish of %s failed", event, exc_info=True)


def publish(topics: list[str], event: str, data: dict) -> None:
    """Publish after the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: publish_now(topics, event, data))


def conversation_changed(conversation, event: str, extra: dict | None = None, *, visitor: bool = False) -> None:
    """A conversation changed (`event`: message, status, assigned, labels, merged...): tell the inbox lists and
    the conversation's page; `visitor=True` also tells the web chat visitor (public messages, status)."""
    data = {
        "conversation": str(conversation.pk),
        "number": conversation.number,
        "status": conversation.status,
        "assignee": str(conversation.assignee_id) if conversation.assignee_id else None,
        "team": str(conversation.team_id) if conversation.team_id else None,
        **(extra or {}),
    }
    topics = ["inbox", f"conversation:{conversation.pk}"]
    if visitor:
        topics.append(f"visitor:{conversation.pk}")
    publish(topics, event, data)
