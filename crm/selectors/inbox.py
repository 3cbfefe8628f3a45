"""Reads of the omni-channel inbox: conversations and messages as the API shows them to staff (the payloads of
crm.conversation.* and crm.message.* events), and identity lookups for inbound senders."""

from __future__ import annotations

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, F, OuterRef, Q, QuerySet
from django.db.models.functions import JSONObject

from omni.models import User

from ..models import CannedReply, Conversation, Label, Message, MessageAttachment
from .accounts import _as_json

__all__ = [
    "CONVERSATION_FIELDS",
    "canned_replies_matching",
    "labels_with_use",
    "staff_user_choices",
    "MESSAGE_FIELDS",
    "conversation_payload",
    "conversation_rows",
    "conversations_live",
    "message_payload",
    "message_rows",
]

CONVERSATION_FIELDS = (
    "id", "number", "channel", "channel_kind", "contact", "account", "subject", "status", "priority",
    "snoozed_until", "assignee", "team", "labels", "last_message_at", "last_inbound_at", "first_reply_at",
    "resolved_at", "merged_into", "created_by", "created_at", "updated_at",
)  # fmt: skip
MESSAGE_FIELDS = (
    "id", "conversation", "kind", "direction", "author", "sender", "body", "external_id", "status", "error",
    "attachments", "created_at", "sent_at", "delivered_at", "read_at",
)  # fmt: skip


def conversations_live() -> QuerySet[Conversation]:
    """Conversations that are not merged into another (a merged one keeps its row, without messages)."""
    return Conversation.objects.filter(merged_into=None)


def conversation_rows(queryset: QuerySet[Conversation]) -> list[dict]:
    """One dict per conversation with CONVERSATION_FIELDS, in one query (labels as a sorted list of names)."""
    rows = queryset.annotate(
        labels_=ArrayAgg("labels__name", filter=Q(labels__isnull=False), distinct=True, default=[], ordering=()),
    ).values(
        "id", "number", "subject", "status", "priority", "snoozed_until", "last_message_at", "last_inbound_at",
        "first_reply_at", "resolved_at", "created_at", "updated_at",
        channel_=F("channel_id"), channel_kind=F("channel__kind"), contact_=F("contact_id"),
        account_=F("account_id"), assignee_=F("assignee_id"), team_=F("team_id"),
        merged_into_=F("merged_into_id"), created_by_=F("created_by_id"), labels__=F("labels_"),
    )  # fmt: skip
    out = []
    for row in rows:
        clean = {key.rstrip("_"): value for key, value in row.items()}
        clean["labels"] = sorted(clean["labels"])
        out.append({field: clean[field] for field in CONVERSATION_FIELDS})
    return out


def conversation_payload(conversation_id) -> dict:
    """The conversation as the API shows it to staff: the payload of crm.conversation.* events."""
    [row] = conversation_rows(Conversation.objects.filter(pk=conversation_id))
    return _as_json(row)


def message_rows(queryset: QuerySet[Message]) -> list[dict]:
    """One dict per message with MESSAGE_FIELDS, in one query (attachments as a list of
    {id, filename, content_type, size})."""
    files = MessageAttachment.objects.filter(message=OuterRef("pk")).order_by("created_at")
    rows = queryset.annotate(
        attachments_=ArraySubquery(
            files.values(
                json=JSONObject(id="id", filename="filename", content_type="content_type", size="size")
            )
        )
    ).values(
        "id", "kind", "direction", "body", "external_id", "status", "error", "created_at", "sent_at",
        "delivered_at", "read_at",
        conversation_=F("conversation_id"), author_=F("author_id"), sender_=F("sender_id"),
        attachments__=F("attachments_"),
    )  # fmt: skip
    return [
        {field: {key.rstrip("_"): value for key, value in row.items()}[field] for field in MESSAGE_FIELDS}
        for row in rows
    ]


def message_payload(message_id) -> dict:
    """The message as the API shows it to staff: the payload of crm.message.* events."""
    [row] = message_rows(Message.objects.filter(pk=message_id))
    return _as_json(row)


def staff_user_choices() -> QuerySet[User]:
    """Who may be an inbox team's member or a conversation's assignee: active staff with staff access, by name
    (the console's, the API's and the admin's choices)."""
    return User.objects.working_staff().order_by("full_name", "email")


def labels_with_use() -> QuerySet[Label]:
    """Every label with `used`, the number of conversations carrying it, by name."""
    return Label.objects.annotate(used=Count("conversations")).order_by("name")


def canned_replies_matching(query: str = "") -> QuerySet[CannedReply]:
    """Canned replies by shortcode; with `query`, those whose shortcode, title or body contains it."""
    replies = CannedReply.objects.order_by("shortcode")
    query = (query or "").strip()
    if query:
        replies = replies.filter(Q(shortcode__icontains=query) | Q(title__icontains=query) | Q(body__icontains=query))
    return replies
