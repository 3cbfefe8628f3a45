"""The inbox's core services: idempotent inbound, reopening, identity resolution, replies, statuses, merging."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm import services
from crm.choices import ChannelKind, ConversationStatus, MessageStatus
from crm.models import Contact, Conversation, Message
from crm.services.inbox import Inbound
from notifications.models import Delivery, OutboxEvent
from omni.exceptions import Conflict, InvalidTransition

from .factories import ChannelFactory

pytestmark = pytest.mark.django_db


def _receive(channel, external_id="m1", thread="+2348030000001", body="Hello", **contact):
    sender = services.contact_resolve(**(contact or {"phone": thread}))
    return services.inbound_receive(
        channel=channel, sender=sender, inbound=Inbound(thread_key=thread, external_id=external_id, body=body)
    )


def test_the_same_provider_id_twice_is_one_message_and_one_event():
    channel = ChannelFactory(kind=ChannelKind.SMS)
    first, created = _receive(channel)
    again, created_again = _receive(channel)
    assert created and not created_again
    assert first.pk == again.pk
    assert Message.objects.count() == 1
    assert OutboxEvent.objects.filter(event="crm.message.received").count() == 1
    assert OutboxEvent.objects.filter(event="crm.conversation.created").count() == 1


def test_identity_is_resolved_by_phone_and_email_and_unknown_senders_become_contacts():
    known = Contact.objects.create(first_name="Ada", email="ada@example.com", phone="+2348030000009")
    assert services.contact_resolve(email="ADA@example.com") == known
    assert services.contact_resolve(phone="+2348030000009") == known
    stranger = services.contact_resolve(email="new@example.com", name="New Person")
    assert (stranger.first_name, stranger.last_name, stranger.email) == ("New", "Person", "new@example.com")


def test_a_new_inbound_message_reopens_a_resolved_or_snoozed_conversation(agent):
    channel = ChannelFactory(kind=ChannelKind.SMS)
    message, _ = _receive(channel)
    conversation = message.conversation
    services.conversation_status_set(conversation_id=conversation.pk, status=ConversationStatus.RESOLVED, by=agent)
    with pytest.raises(InvalidTransition):
        services.conversation_status_set(conversation_id=conversation.pk, status=ConversationStatus.RESOLVED)
    _receive(channel, external_id="m2")
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN and conversation.resolved_at is None
    assert Conversation.objects.count() == 1
    services.conversation_status_set(
        conversation_id=conversation.pk,
        status=ConversationStatus.SNOOZED,
        snoozed_until=timezone.now() + timedelta(hours=1),
    )
    assert services.snoozed_wake(now=timezone.now()) == 0
    assert services.snoozed_wake(now=timezone.now() + timedelta(hours=2)) == 1
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN and conversation.snoozed_until is None


def test_an_automatic_message_does_not_reopen_a_resolved_conversation(agent):
    channel = ChannelFactory(kind=ChannelKind.EMAIL)
    message, _ = _receive(channel, external_id="<q@x>", thread="<q@x>", email="ooo@example.com")
    services.conversation_status_set(conversation_id=message.conversation_id, status=ConversationStatus.RESOLVED)
    sender = services.contact_resolve(email="ooo@example.com")
    out_of_office = Inbound(
        thread_key="<q@x>", external_id="<r@x>", body="I am away", metadata={"auto_submitted": True, "auto_reply": True}
    )
    services.inbound_receive(channel=channel, sender=sender, inbound=out_of_office)
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.status == ConversationStatus.RESOLVED and conversation.messages.filter(external_id="<r@x>")


def test_snoozing_needs_a_future_time():
    channel = ChannelFactory(kind=ChannelKind.SMS)
    message, _ = _receive(channel)
    with pytest.raises(ValidationError) as error:
        services.conversation_status_set(conversation_id=message.conversation_id, status=ConversationStatus.SNOOZED)
    assert "snoozed_until" in error.value.message_dict


def test_a_web_chat_reply_is_delivered_in_the_request(agent, django_capture_on_commit_callbacks):
    channel = ChannelFactory(kind=ChannelKind.WEBCHAT)
    message, _ = _receive(channel, thread="visitor-1", email="v@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_send(conversation_id=message.conversation_id, author=agent, body="Hi there")
    reply.refresh_from_db()
    assert reply.status == MessageStatus.SENT and reply.external_id == f"webchat-{reply.pk}"
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.first_reply_at is not None
    assert OutboxEvent.objects.filter(event="crm.message.sent").count() == 1


def test_notes_record_mentions_of_staff(agent, sales):
    channel = ChannelFactory(kind=ChannelKind.SMS)
    message, _ = _receive(channel)
    handle = sales.email.split("@")[0]
    note = services.note_add(conversation_id=message.conversation_id, author=agent, body=f"@{handle} can you help?")
    assert list(note.mentions.all()) == [sales]
    told = Delivery.objects.filter(event="crm.conversation.mentioned")
    assert {(d.recipient_key, d.channel) for d in told} == {
        (f"omni.user:{sales.pk}", "inapp"),
        (f"omni.user:{sales.pk}", "email"),
    }


def test_delivery_reports_only_move_forward(agent, django_capture_on_commit_callbacks):
    channel = ChannelFactory(kind=ChannelKind.WEBCHAT)
    message, _ = _receive(channel, thread="visitor-2", email="w@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_send(conversation_id=message.conversation_id, author=agent, body="Hi")
    reply.refresh_from_db()
    services.delivery_status_update(channel=channel, external_id=reply.external_id, status=MessageStatus.READ)
    services.delivery_status_update(channel=channel, external_id=reply.external_id, status=MessageStatus.DELIVERED)
    reply.refresh_from_db()
    assert reply.status == MessageStatus.READ and reply.read_at is not None and reply.delivered_at is None
    assert services.delivery_status_update(channel=channel, external_id="nope", status=MessageStatus.READ) is None


def test_merging_keeps_every_message_in_order_and_routes_the_thread(agent):
    channel = ChannelFactory(kind=ChannelKind.EMAIL)
    a, _ = _receive(channel, external_id="<a@x>", thread="<a@x>", email="c@example.com")
    b, _ = _receive(channel, external_id="<b@x>", thread="<b@x>", email="c@example.com")
    target = services.conversation_merge(source_id=a.conversation_id, target_id=b.conversation_id, by=agent)
    bodies = list(target.messages.filter(kind="message").values_list("external_id", flat=True))
    assert bodies == ["<a@x>", "<b@x>"]
    later, _ = _receive(channel, external_id="<c@x>", thread="<a@x>", email="c@example.com")
    assert later.conversation_id == target.pk
    other, _ = _receive(channel, external_id="<d@x>", thread="<d@x>", email="someone@example.com")
    with pytest.raises(Conflict):
        services.conversation_merge(source_id=other.conversation_id, target_id=target.pk, by=agent)
