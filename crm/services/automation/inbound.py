"""After a new inbound message (`inbound_automate`, called by inbound_receive inside its transaction): the
conversation_created rules and the channel team's round-robin for a new conversation, the message_received rules,
then the channel's business-hours auto-reply (once per conversation and closed period, never to an automatic
message). In a savepoint: a failure is logged and rolled back alone, the customer's message is kept."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from ...choices import AutomatedPurpose, ConversationStatus, RuleEvent
from ...hours import business_hours_open, closed_period_key
from ...models import AutomatedMessage, Conversation, Message, Rule
from .assignment import conversation_auto_assign
from .common import _automated_send, _fill_placeholders, message_do_not_answer
from .evaluation import _Context, _rules_run

logger = logging.getLogger(__name__)


def auto_reply_text(channel) -> str:
    """The channel's business-hours auto-reply: config "auto_reply" as text (empty: none), as the API and the
    console set it, or {"enabled", "text"}."""
    value = (channel.config or {}).get("auto_reply") or ""
    if isinstance(value, dict):
        value = value.get("text") if value.get("enabled") else ""
    return str(value or "").strip()


def _auto_reply(conversation: Conversation, message: Message) -> Message | None:
    """Outside the channel's business hours, the channel's auto-reply, once per conversation and closed period
    (AutomatedMessage's unique key: the next opening time); never to an automatic message."""
    channel = conversation.channel
    text = auto_reply_text(channel)
    if not text or message_do_not_answer(message):
        return None
    at = message.created_at or timezone.now()
    if business_hours_open(channel, at):
        return None
    claim = AutomatedMessage(conversation=conversation, purpose=AutomatedPurpose.AUTO_REPLY)
    claim.key = closed_period_key(channel, at)
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:
        return None  # answered once in this closed period
    claim.message = _automated_send(conversation, _fill_placeholders(text, conversation), AutomatedPurpose.AUTO_REPLY)
    claim.save(update_fields=["message"])
    return claim.message


def inbound_automate(*, message: Message, conversation: Conversation, conversation_created: bool) -> None:
    """After inbound_receive stored a new customer message (inside its transaction): conversation_created rules
    and the channel team's round-robin for a new conversation, message_received rules, then the business-hours
    auto-reply. In a savepoint: whatever fails is logged and undone alone, the message stays stored. With no
    active rule, no team to assign and no auto-reply configured, it costs one query (the rules)."""
    events = [RuleEvent.MESSAGE_RECEIVED, *([RuleEvent.CONVERSATION_CREATED] if conversation_created else [])]
    rules = list(Rule.objects.filter(active=True, event__in=events).order_by("position", "name"))
    auto_reply = bool(auto_reply_text(message.channel))
    if not (rules or auto_reply or (conversation_created and conversation.team_id)):
        return
    try:
        with transaction.atomic():
            conversation = Conversation.objects.select_related("channel", "contact", "account").get(pk=conversation.pk)
            context = _Context(conversation=conversation, message=message, at=message.created_at or timezone.now())
            if conversation_created:
                _rules_run(RuleEvent.CONVERSATION_CREATED, rules, context)
                conversation_auto_assign(conversation_id=conversation.pk)
            _rules_run(RuleEvent.MESSAGE_RECEIVED, rules, context)
            if auto_reply:
                conversation.refresh_from_db()
                if conversation.status != ConversationStatus.RESOLVED:
                    _auto_reply(conversation, message)
    except Exception:
        logger.exception("inbox automation failed for message %s; the message is kept", message.pk)
