"""What the automation's parts share: the metadata keys that mark a message nobody may answer
(`message_do_not_answer`), a value read as a UUID, a text's {{ placeholders }} filled from the conversation, and an
outbound message sent by the system (no author, `metadata["automated"]` naming why, never the first reply)."""

from __future__ import annotations

import re
from uuid import UUID

from ...models import Conversation, Message

# Metadata keys of an inbound message that must never be answered (auto-replies, bounces, DSNs).
DO_NOT_ANSWER = ("auto_submitted", "auto_reply", "bounce")


def message_do_not_answer(message: Message) -> bool:
    """Whether an inbound message was sent by a machine (auto-reply, bounce) and must not be answered."""
    metadata = message.metadata or {}
    return any(metadata.get(key) for key in DO_NOT_ANSWER)


def _uuid(value) -> UUID | None:
    try:
        return UUID(str(value))
    except (TypeError, ValueError):
        return None


def _fill_placeholders(text: str, conversation: Conversation) -> str:
    contact = conversation.contact
    values = {
        "contact.first_name": contact.first_name,
        "contact.last_name": contact.last_name,
        "contact.name": f"{contact.first_name} {contact.last_name}".strip(),
        "contact.full_name": f"{contact.first_name} {contact.last_name}".strip(),
        "conversation.number": conversation.number,
    }
    return re.sub(r"\{\{\s*([\w.]+)\s*\}\}", lambda m: str(values.get(m.group(1), "")), text)


def _automated_send(conversation: Conversation, body: str, purpose: str, metadata: dict | None = None) -> Message:
    """An outbound message from the system (no author) through reply_send; it never counts as the first reply."""
    from ..inbox import reply_send

    first_reply_at = Conversation.objects.filter(pk=conversation.pk).values_list("first_reply_at", flat=True)[0]
    message = reply_send(
        conversation_id=conversation.pk, author=None, body=body, metadata={"automated": purpose, **(metadata or {})}
    )
    if first_reply_at is None:
        Conversation.objects.filter(pk=conversation.pk).update(first_reply_at=None)
    return message
