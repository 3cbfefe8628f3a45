"""The inbox's email channel, inbound: one raw RFC 822 message in, one stored message out. Both ways in use it: the
MTA pipe (`POST /hooks/email/<channel>/`, crm.hooks.email) and the SMTP receiver (`manage.py inbound_smtp`).

Threading: a mail whose In-Reply-To or References names a Message-ID stored on this channel (a message we received
or sent, or a thread's root id) joins that message's conversation; otherwise it starts a thread keyed by its own
Message-ID. Automatic mail (auto-replies, bounces; crm.providers.email) is stored flagged
`metadata["auto_submitted"]` and must never be answered automatically: whatever answers by itself (rules, business
hours auto-replies, CSAT) asks `message_auto_answer_allowed(message)` first. A bounce that names one of our
outbound Message-IDs marks that message failed."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q

from ..choices import ChannelKind, MessageDirection, MessageKind, MessageStatus
from ..models import Channel, Conversation, Message
from ..providers import email as email_provider
from .inbox import Inbound, InboundAttachment, contact_resolve, delivery_status_update, inbound_receive

__all__ = ["email_channels_for", "email_receive", "message_auto_answer_allowed"]


def email_channels_for(addresses) -> list[Channel]:
    """The active email channels whose address is one of these (any case)."""
    wanted = {address.strip().lower() for address in addresses if address and "@" in address}
    if not wanted:
        return []
    match = Q()
    for address in wanted:
        match |= Q(address__iexact=address)
    return list(Channel.objects.filter(match, kind=ChannelKind.EMAIL, active=True))


def message_auto_answer_allowed(message: Message) -> bool:
    """May anything answer this message automatically (rules, auto-replies, surveys)? Only a customer's inbound
    message that is not itself automatic: an auto-reply, a bounce or a mail asking for no automatic answers
    (metadata["auto_submitted"]) never gets one, so two robots cannot answer each other forever (RFC 3834)."""
    return (
        message.kind == MessageKind.MESSAGE
        and message.direction == MessageDirection.INBOUND
        and not (message.metadata or {}).get("auto_submitted")
    )


def _conversation_named(channel: Channel, ids: list[str]) -> Conversation | None:
    """The conversation of the nearest Message-ID in `ids` that this channel knows: a stored message's (inbound or
    outbound), else a thread's root id (a merged thread's key: inbound_receive follows it to the survivor)."""
    if not ids:
        return None
    by_message = {
        row.external_id: row.conversation
        for row in Message.objects.filter(channel=channel, external_id__in=ids).select_related("conversation")
    }
    by_thread = {row.thread_key: row for row in Conversation.objects.filter(channel=channel, thread_key__in=ids)}
    for message_id in ids:
        found = by_message.get(message_id) or by_thread.get(message_id)
        if found is not None:
            return found
    return None


def email_receive(*, channel: Channel, raw: bytes, envelope_from: str | None = None) -> tuple[Message, bool]:
    """Parse and store one inbound email on `channel` in one transaction. Idempotent: a Message-ID already stored
    on this channel returns that message with created=False and changes nothing (an MTA's retry). ValidationError
    naming `message` when it cannot be read (empty, no sender). A bounce of our outbound marks it failed. Copies of one
    mail arriving at once are serialised on a transaction-level advisory lock (channel, Message-ID)."""
    try:
        parsed = email_provider.parse(raw, envelope_from=envelope_from)
    except email_provider.Unparsable as exc:
        raise ValidationError({"message": [str(exc)]}) from exc
    if not parsed.auto_submitted and email_channels_for([parsed.from_address]):
        # Mail from one of our own addresses (a loop through a forwarder): stored, never answered.
        parsed.auto_submitted, parsed.auto_reason = True, "sent from one of our channel addresses"
    with transaction.atomic():
        # The same mail posted twice at once (an MTA retrying a slow answer, two MX relays): the second waits here,
        # then finds the first's message, instead of resolving (creating) the sender's contact a second time.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"crm_email:{channel.pk}:{parsed.message_id}"]
            )
        stored = Message.objects.filter(channel=channel, external_id=parsed.message_id).first()
        if stored is not None:
            return stored, False
        conversation = _conversation_named(channel, parsed.bounced_ids if parsed.bounce else parsed.thread_ids)
        if parsed.bounce and parsed.bounce_failed:
            for message_id in parsed.bounced_ids:
                delivery_status_update(
                    channel=channel,
                    external_id=message_id,
                    status=MessageStatus.FAILED,
                    error=parsed.bounce_diagnostic or f"bounced: {parsed.subject}",
                )
        if parsed.bounce and conversation is not None:
            sender = conversation.contact  # a mail daemon is nobody's contact: the bounce is filed with the thread's
        else:
            sender = contact_resolve(email=parsed.from_address, name=parsed.from_name)
        inbound = Inbound(
            thread_key=conversation.thread_key if conversation is not None else parsed.message_id,
            external_id=parsed.message_id,
            body=parsed.body,
            original=parsed.text,
            subject=parsed.subject,
            sent_at=parsed.sent_at,
            metadata=parsed.metadata(),
            attachments=[
                InboundAttachment(filename=item.filename, content=item.content, content_type=item.content_type)
                for item in parsed.attachments
            ],
        )
        return inbound_receive(channel=channel, sender=sender, inbound=inbound)
