"""Tickets opened from an inbox conversation (issue 11): the tickets app owns the action, the console's button and
the API call it. The ticket keeps the link (Ticket.conversation) and the conversation gets an activity line."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import live
from crm import services as crm_services
from crm.choices import ChannelKind, ConversationPriority, MessageDirection, MessageKind
from crm.models import Contact, Conversation, Message
from omni.exceptions import Conflict
from omni.models import User

from ..choices import TicketPriority, TicketSource
from ..models import Ticket
from .desk import ticket_create

__all__ = ["ticket_from_conversation"]

# The ticket's source per channel kind: SMS is the customer's phone number, WhatsApp and web chat are chats.
SOURCE_OF_CHANNEL = {
    ChannelKind.EMAIL: TicketSource.EMAIL,
    ChannelKind.SMS: TicketSource.PHONE,
    ChannelKind.WHATSAPP: TicketSource.CHAT,
    ChannelKind.WEBCHAT: TicketSource.CHAT,
}
# The conversation's priority carried over when none is given ("none" and "medium" are the desk's "normal").
PRIORITY_OF_CONVERSATION = {
    ConversationPriority.NONE: TicketPriority.NORMAL,
    ConversationPriority.LOW: TicketPriority.LOW,
    ConversationPriority.MEDIUM: TicketPriority.NORMAL,
    ConversationPriority.HIGH: TicketPriority.HIGH,
    ConversationPriority.URGENT: TicketPriority.URGENT,
}
# How many of the customer's latest messages make the description, and how long each may be.
RECENT_MESSAGES = 5
MESSAGE_CHARS = 2000
SUBJECT_CHARS = 200


def _description(conversation: Conversation, recent: list[Message]) -> str:
    lines = [
        _("From conversation %(number)s on %(channel)s.")
        % {"number": conversation.number, "channel": conversation.channel.name},
        "",
    ]
    for message in recent:
        when = timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M")
        lines += [f"[{when}]", message.body.strip()[:MESSAGE_CHARS], ""]
    return "\n".join(lines).strip()


def _subject(conversation: Conversation, recent: list[Message]) -> str:
    if conversation.subject.strip():
        return conversation.subject.strip()[:SUBJECT_CHARS]
    for message in reversed(recent):  # the latest message that says something
        first_line = message.body.strip().splitlines()[0] if message.body.strip() else ""
        if first_line:
            return first_line[:SUBJECT_CHARS]
    return _("Conversation %(number)s") % {"number": conversation.number}


@transaction.atomic
def ticket_from_conversation(
    *, conversation_id: UUID, by: User | None, subject: str = "", priority: str = ""
) -> Ticket:
    """Open a ticket for the conversation's account and contact, in one transaction: source from the channel kind
    (SOURCE_OF_CHANNEL), description from the customer's latest messages, the link kept (Ticket.conversation) and
    an activity line on the conversation. Locks the conversation. Conflict (409, naming `account`) when the
    conversation has no account; 400 naming `priority` for an unknown priority; Conversation.DoesNotExist for an
    unknown or merged conversation. Not idempotent: each call opens a ticket (a conversation may raise several)."""
    if priority and priority not in TicketPriority.values:
        raise ValidationError({"priority": [_("Unknown priority %(p)s.") % {"p": priority}]})
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("channel")
        .filter(pk=conversation_id, merged_into=None)
        .first()
    )
    if conversation is None:
        raise Conversation.DoesNotExist(conversation_id)
    if conversation.account_id is None:
        message = _("This conversation has no account: link the contact to an account first.")
        raise Conflict(message, fields={"account": [message]})
    recent = list(
        Message.objects.filter(
            conversation=conversation, kind=MessageKind.MESSAGE, direction=MessageDirection.INBOUND
        ).order_by("-created_at")[:RECENT_MESSAGES]
    )[::-1]
    # The contact goes on the ticket only while linked to the account (tickets' own rule, services._check_links).
    linked = (
        Contact.objects.live()
        .filter(pk=conversation.contact_id, account_links__account_id=conversation.account_id)
        .exists()
    )
    ticket = ticket_create(
        account_id=conversation.account_id,
        subject=(subject or "").strip()[:SUBJECT_CHARS] or _subject(conversation, recent),
        by=by,
        contact_id=conversation.contact_id if linked else None,
        description=_description(conversation, recent),
        priority=priority or PRIORITY_OF_CONVERSATION.get(conversation.priority, TicketPriority.NORMAL),
        source=SOURCE_OF_CHANNEL.get(conversation.channel.kind, TicketSource.SYSTEM),
        conversation_id=conversation.pk,
    )
    line = crm_services.activity_add(conversation, _("Ticket %(number)s opened") % {"number": _number(ticket)}, by=by)
    live.conversation_changed(conversation, "message.created", {"message": str(line.pk)})
    return ticket


def _number(ticket: Ticket) -> str:
    """The ticket's number (a database default: read back once after the insert)."""
    if not isinstance(ticket.number, str):
        ticket.refresh_from_db(fields=["number"])
    return ticket.number
