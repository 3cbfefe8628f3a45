"""Every write of the omni-channel inbox's messages: inbound messages (idempotent per provider id), identity
resolution, the conversation of a thread, replies and notes, delivery reports, activity lines (conversations.py:
status, assignment, labels, priority, merging and starting a conversation).
Each in one transaction on locked rows, recording crm.conversation.* / crm.message.* events in the outbox and
publishing live updates after commit (crm.live).

Channel-specific work (parsing a provider's payload, sending through its API) lives in crm.providers; the
webhooks (crm.hooks) parse and call `inbound_receive` / `delivery_status_update`."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omni.exceptions import Conflict
from omni.models import User

from .. import events, live, selectors
from ..choices import (
    MESSAGE_STATUS_RANK,
    ContactChannel,
    ContactRole,
    ConversationStatus,
    MessageDirection,
    MessageKind,
    MessageStatus,
)
from ..models import Channel, Contact, Conversation, Message, MessageAttachment
from .accounts import contact_create

logger = logging.getLogger(__name__)

__all__ = [
    "Inbound",
    "InboundAttachment",
    "activity_add",
    "contact_resolve",
    "conversation_for_thread",
    "delivery_status_update",
    "inbound_receive",
    "message_deliver",
    "note_add",
    "reply_send",
]

MENTION = re.compile(r"@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[\w.+-]+)")


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content: bytes
    content_type: str = ""


@dataclass
class Inbound:
    """What a provider's parser hands to `inbound_receive`."""

    thread_key: str
    external_id: str
    body: str
    original: str = ""
    subject: str = ""
    sent_at: datetime | None = None
    metadata: dict = field(default_factory=dict)
    attachments: list[InboundAttachment] = field(default_factory=list)


def contact_resolve(*, email: str = "", phone: str = "", name: str = "", preferred_channel: str = "") -> Contact:
    """The live contact with this email (any case, primary or other) or E.164 phone (primary or other), the
    oldest when several; otherwise a new contact (a later contact merge folds it into the right person)."""
    email = (email or "").strip().lower()
    phone = str(phone or "")
    if email or phone:
        found = selectors.contact_duplicates_of(email=email, phone=phone, limit=1).first()
        if found is not None:
            return found
    first, _sep, last = (name or "").strip().partition(" ")
    if not first:
        first = email.split("@")[0] if email else (phone or _("Visitor"))
    if not preferred_channel:
        preferred_channel = ContactChannel.EMAIL if email else ContactChannel.SMS
    return contact_create(
        first_name=first[:100], last_name=last[:100], email=email, phone=phone, preferred_channel=preferred_channel
    )


def _account_of(contact: Contact):
    """The account a contact's conversation is filed under: a primary-role link first, else the oldest link."""
    links = contact.account_links.filter(account__deleted_at=None).select_related("account")
    link = links.filter(role=ContactRole.PRIMARY).order_by("created_at").first() or links.order_by("created_at").first()
    return link.account if link else None


def conversation_for_thread(
    *, channel: Channel, thread_key: str, contact: Contact, subject: str = "", by: User | None = None
) -> tuple[Conversation, bool]:
    """The live conversation of this channel thread, locked; created (with crm.conversation.created) when there
    is none. Must run inside a transaction. Two writers racing to create it meet on the unique constraint: the
    loser takes the winner's row."""
    existing = (
        Conversation.objects.select_for_update()
        .filter(channel=channel, thread_key=thread_key, merged_into=None)
        .first()
    )
    if existing is not None:
        return existing, False
    merged = Conversation.objects.filter(channel=channel, thread_key=thread_key).exclude(merged_into=None).first()
    while merged is not None and merged.merged_into_id:  # a merged thread's messages go to the survivor
        merged = Conversation.objects.select_for_update().get(pk=merged.merged_into_id)
    if merged is not None:
        return merged, False
    conversation = Conversation(
        channel=channel,
        thread_key=thread_key,
        contact=contact,
        account=_account_of(contact),
        subject=subject[:300],
        team=channel.team,
        created_by=by,
    )
    try:
        with transaction.atomic():
            conversation.save()
    except IntegrityError:
        return Conversation.objects.select_for_update().get(
            channel=channel, thread_key=thread_key, merged_into=None
        ), False
    events.conversation_changed("created", conversation.pk, by_id=by.pk if by else None)
    live.conversation_changed(conversation, "conversation.created")
    return conversation, True


def _store_attachments(message: Message, attachments) -> None:
    for item in attachments:
        row = MessageAttachment(
            message=message,
            filename=item.filename[:255] or "attachment",
            content_type=item.content_type[:255],
            size=len(item.content),
        )
        row.file.save(row.filename, ContentFile(item.content), save=False)
        row.save()


def inbound_receive(*, channel: Channel, sender: Contact, inbound: Inbound) -> tuple[Message, bool]:
    """Store a customer's message on its thread's conversation (created when new; reopened when resolved,
    pending or snoozed, unless the message is automatic: metadata auto_submitted, auto_reply or bounce).
    Idempotent: a message whose provider id is already stored on this channel is returned with created=False and
    nothing changes (a provider's retry). Returns (message, created)."""
    with transaction.atomic():
        if inbound.external_id:
            stored = Message.objects.filter(channel=channel, external_id=inbound.external_id).first()
            if stored is not None:
                return stored, False
        conversation, conversation_created = conversation_for_thread(
            channel=channel, thread_key=inbound.thread_key, contact=sender, subject=inbound.subject
        )
        now = timezone.now()
        message = Message(
            conversation=conversation,
            channel=channel,
            kind=MessageKind.MESSAGE,
            direction=MessageDirection.INBOUND,
            sender=sender,
            body=inbound.body,
            original=inbound.original or inbound.body,
            external_id=inbound.external_id[:998],
            status=MessageStatus.RECEIVED,
            metadata=inbound.metadata,
            sent_at=inbound.sent_at,
        )
        try:
            with transaction.atomic():  # a concurrent copy of the same webhook: the constraint decides
                message.save()
        except IntegrityError:
            return Message.objects.get(channel=channel, external_id=inbound.external_id), False
        _store_attachments(message, inbound.attachments)
        updates = {"last_message_at": now, "last_inbound_at": now}
        # A customer's message reopens; a machine's (an out-of-office answering our survey, a bounce) does not.
        automatic = any((inbound.metadata or {}).get(key) for key in ("auto_submitted", "auto_reply", "bounce"))
        if conversation.status != ConversationStatus.OPEN and not automatic:
            updates |= {"status": ConversationStatus.OPEN, "snoozed_until": None, "resolved_at": None}
        Conversation.objects.filter(pk=conversation.pk).update(**updates, updated_at=now)
        for name, value in updates.items():
            setattr(conversation, name, value)
        events.message_changed("received", message.pk)
        live.conversation_changed(conversation, "message.created", {"message": str(message.pk)}, visitor=True)
        # Rules, round-robin, business-hours auto-reply (crm.services.automation; in a savepoint of its own).
        from .automation.inbound import inbound_automate

        inbound_automate(message=message, conversation=conversation, conversation_created=conversation_created)
    return message, True


def activity_add(conversation: Conversation, text: str, *, by: User | None = None) -> Message:
    """An activity line in the thread ("Assigned to Ada"); the caller holds the conversation's lock."""
    line = Message.objects.create(
        conversation=conversation,
        channel_id=conversation.channel_id,
        kind=MessageKind.ACTIVITY,
        direction=MessageDirection.OUTBOUND,
        author=by,
        body=text,
        status=MessageStatus.SENT,
    )
    live.conversation_changed(conversation, "message.created", {"message": str(line.pk)})
    return line


def _locked(conversation_id: UUID) -> Conversation:
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("channel", "contact")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise Conversation.DoesNotExist(conversation_id)
    if conversation.merged_into_id:
        raise Conflict(_("This conversation was merged into another."))
    return conversation


def reply_send(
    *,
    conversation_id: UUID,
    author: User,
    body: str,
    attachments=(),
    metadata: dict | None = None,
) -> Message:
    """A staff reply on the conversation's channel: stored as queued, then delivered after commit by the
    channel's provider (crm.providers). The provider validates first (e.g. WhatsApp's 24-hour window): a
    ValidationError names the field. Records the first reply time; crm.message.sent follows the provider's
    acceptance (message_deliver)."""
    from .. import providers

    body = (body or "").strip()
    metadata = metadata or {}
    if not body and not attachments and not metadata.get("template"):
        raise ValidationError({"body": [_("Write a message.")]})
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if not conversation.channel.active:
            raise Conflict(_("The channel %(c)s is switched off.") % {"c": conversation.channel.name})
        provider = providers.for_channel(conversation.channel)
        provider.validate(conversation, body=body, metadata=metadata, attachments=attachments)
        now = timezone.now()
        message = Message.objects.create(
            conversation=conversation,
            channel_id=conversation.channel_id,
            kind=MessageKind.MESSAGE,
            direction=MessageDirection.OUTBOUND,
            author=author,
            body=body,
            original=body,
            status=MessageStatus.QUEUED,
            metadata=metadata,
        )
        _store_attachments(message, attachments)
        updates = {"last_message_at": now}
        if conversation.first_reply_at is None:
            updates["first_reply_at"] = now
        Conversation.objects.filter(pk=conversation.pk).update(**updates, updated_at=now)
        live.conversation_changed(conversation, "message.created", {"message": str(message.pk)}, visitor=True)
        transaction.on_commit(lambda: _queue_delivery(message.pk))
    return message


def _queue_delivery(message_id) -> None:
    """After commit: deliver through the provider. Providers marked `inline` (web chat) deliver in the request;
    the others in a Celery task (retried with backoff). Never raises: the reply is stored, and the beat sweep
    (tasks.inbox_outbound_sweep) sends what could not be queued."""
    from .. import providers
    from ..tasks import inbox_message_send

    message = Message.objects.select_related("channel").filter(pk=message_id).first()
    if message is None:
        return
    try:
        if providers.for_channel(message.channel).inline:
            message_deliver(message_id=message_id)
        else:
            inbox_message_send.apply_async((str(message_id),), retry=True, retry_policy={"max_retries": 1})
    except Exception:
        logger.warning("inbox message %s not queued; the sweep will send it", message_id, exc_info=True)


def message_deliver(*, message_id: UUID) -> Message | None:
    """Hand a queued outbound message to its channel's provider, once: the row is locked (SKIP LOCKED) and only
    a queued message is sent. TransientError propagates (the task retries); PermanentError marks it failed."""
    from notifications.channels.base import PermanentError

    from .. import providers

    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("channel", "conversation", "conversation__contact")
            .filter(pk=message_id, status=MessageStatus.QUEUED)
            .first()
        )
        if message is None:
            return None
        try:
            external_id = providers.for_channel(message.channel).send(message)
        except PermanentError as exc:
            message.status, message.error = MessageStatus.FAILED, str(exc)[:2000]
            message.save(update_fields=["status", "error"])
            live.conversation_changed(message.conversation, "message.status", _status_data(message))
            return message
        message.status, message.sent_at = MessageStatus.SENT, timezone.now()
        message.external_id = (external_id or "")[:998]
        message.save(update_fields=["status", "sent_at", "external_id"])
        events.message_changed("sent", message.pk, by_id=message.author_id)
        live.conversation_changed(message.conversation, "message.status", _status_data(message), visitor=True)
    return message


def _status_data(message: Message) -> dict:
    return {"message": str(message.pk), "message_status": message.status}


def delivery_status_update(*, channel: Channel, external_id: str, status: str, error: str = "") -> Message | None:
    """A provider's delivery report (sent, delivered, read, failed) for one of our messages on this channel.
    Statuses only move forward (MESSAGE_STATUS_RANK); an unknown id changes nothing (None)."""
    if status not in MESSAGE_STATUS_RANK:
        raise ValueError(status)
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("conversation")
            .filter(channel=channel, external_id=external_id, direction=MessageDirection.OUTBOUND)
            .first()
        )
        if message is None:
            return None
        if (
            message.status == MessageStatus.FAILED
            or MESSAGE_STATUS_RANK.get(message.status, -1) >= MESSAGE_STATUS_RANK[status]
        ):
            return message
        now = timezone.now()
        message.status = status
        fields = ["status"]
        stamp = {MessageStatus.SENT: "sent_at", MessageStatus.DELIVERED: "delivered_at", MessageStatus.READ: "read_at"}
        if status in stamp and getattr(message, stamp[status]) is None:
            setattr(message, stamp[status], now)
            fields.append(stamp[status])
        if status == MessageStatus.FAILED:
            message.error = error[:2000]
            fields.append("error")
        message.save(update_fields=fields)
        live.conversation_changed(message.conversation, "message.status", _status_data(message))
    return message


def note_add(*, conversation_id: UUID, author: User, body: str) -> Message:
    """A private note (never sent to the customer). `@email` or `@local-part` mentions of active staff are
    recorded and each mentioned person is told (crm.conversation.mentioned: in-app and email, as their
    preferences say)."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write a note.")]})
    with transaction.atomic():
        conversation = _locked(conversation_id)
        message = Message.objects.create(
            conversation=conversation,
            channel_id=conversation.channel_id,
            kind=MessageKind.NOTE,
            direction=MessageDirection.OUTBOUND,
            author=author,
            body=body,
            status=MessageStatus.SENT,
        )
        mentioned = _mentioned_staff(body, exclude=author)
        if mentioned:
            message.mentions.set(mentioned)
            events.conversation_mentioned(message, mentioned=mentioned, by=author)
        live.conversation_changed(conversation, "message.created", {"message": str(message.pk)})
    return message


def _mentioned_staff(body: str, *, exclude: User | None) -> list[User]:
    from django.db.models import Q

    handles = {handle.lower().rstrip(".") for handle in MENTION.findall(body)}
    if not handles:
        return []
    match = Q(pk__in=[])
    for handle in handles:
        match |= Q(email__iexact=handle) if "@" in handle else Q(email__istartswith=f"{handle}@")
    staff = User.objects.working_staff().filter(match)
    if exclude is not None:
        staff = staff.exclude(pk=exclude.pk)
    return list(staff)
