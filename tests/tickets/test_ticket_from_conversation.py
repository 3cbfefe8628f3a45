"""tickets.services.ticket_from_conversation: a ticket for the conversation's account and contact, its source from
the channel kind, its description from the customer's latest messages, the link kept, an activity line on the
conversation, all in one transaction; a conversation without an account is 409."""

import pytest
from django.core.exceptions import ValidationError

from crm import services as crm_services
from crm.choices import ChannelKind, ConversationPriority, MessageKind
from crm.models import Conversation
from crm.services.inbox import Inbound
from notifications.models import OutboxEvent
from omni.exceptions import Conflict
from tests.crm.factories import AccountFactory, link
from tests.crm.inbox.factories import ChannelFactory
from tickets import services
from tickets.choices import TicketPriority, TicketSource
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _conversation(kind, thread, bodies, *, account=None, **contact):
    channel = ChannelFactory(kind=kind)
    sender = crm_services.contact_resolve(**contact)
    if account is not None:
        link(sender, account)
    for n, body in enumerate(bodies):
        message, _ = crm_services.inbound_receive(
            channel=channel, sender=sender, inbound=Inbound(thread_key=thread, external_id=f"{thread}-{n}", body=body)
        )
    return Conversation.objects.select_related("contact").get(pk=message.conversation_id)


@pytest.mark.parametrize(
    ("kind", "source"),
    [
        (ChannelKind.EMAIL, TicketSource.EMAIL),
        (ChannelKind.SMS, TicketSource.PHONE),
        (ChannelKind.WHATSAPP, TicketSource.CHAT),
        (ChannelKind.WEBCHAT, TicketSource.CHAT),
    ],
)
def test_the_source_follows_the_channel_kind(agent, kind, source):
    account = AccountFactory()
    conversation = _conversation(kind, f"t-{kind}", ["Help"], account=account, email=f"{kind}@example.com")
    ticket = services.ticket_from_conversation(conversation_id=conversation.pk, by=agent)
    assert ticket.source == source and ticket.account == account and ticket.conversation == conversation


def test_the_ticket_keeps_the_contact_the_link_and_the_latest_customer_messages(agent):
    account = AccountFactory()
    bodies = [f"Message {n}" for n in range(7)]
    conversation = _conversation(ChannelKind.SMS, "+2348030000101", bodies, account=account, phone="+2348030000101")
    crm_services.note_add(conversation_id=conversation.pk, author=agent, body="internal only")
    ticket = services.ticket_from_conversation(conversation_id=conversation.pk, by=agent)
    ticket.refresh_from_db()
    assert ticket.contact == conversation.contact and ticket.conversation == conversation
    assert ticket.subject == "Message 6"  # no subject on SMS: the latest message's first line
    assert ticket.priority == TicketPriority.NORMAL
    # The five latest, oldest first; never a private note.
    assert "Message 1" not in ticket.description and "internal only" not in ticket.description
    assert ticket.description.index("Message 2") < ticket.description.index("Message 6")
    assert conversation.number in ticket.description
    line = conversation.messages.filter(kind=MessageKind.ACTIVITY).get()
    assert line.body == f"Ticket {ticket.number} opened" and line.author == agent
    assert list(conversation.tickets.all()) == [ticket]
    assert OutboxEvent.objects.filter(event="tickets.ticket.created").count() == 1


def test_subject_and_priority_given_or_from_the_conversation(agent):
    account = AccountFactory()
    conversation = _conversation(ChannelKind.EMAIL, "<q@example.com>", ["Body"], account=account, email="q@example.com")
    Conversation.objects.filter(pk=conversation.pk).update(
        subject="Invoice 42 is wrong", priority=ConversationPriority.URGENT
    )
    ticket = services.ticket_from_conversation(conversation_id=conversation.pk, by=agent)
    assert (ticket.subject, ticket.priority) == ("Invoice 42 is wrong", TicketPriority.URGENT)
    ticket = services.ticket_from_conversation(
        conversation_id=conversation.pk, by=agent, subject="  Refund  ", priority=TicketPriority.LOW
    )
    assert (ticket.subject, ticket.priority) == ("Refund", TicketPriority.LOW)
    assert Ticket.objects.filter(conversation=conversation).count() == 2


def test_a_contact_no_longer_linked_to_the_account_is_left_off(agent):
    account = AccountFactory()
    conversation = _conversation(ChannelKind.WEBCHAT, "visitor-7", ["Hi"], email="w@example.com")
    Conversation.objects.filter(pk=conversation.pk).update(account=account)  # filed there, contact not linked
    ticket = services.ticket_from_conversation(conversation_id=conversation.pk, by=agent)
    assert ticket.account == account and ticket.contact is None


def test_no_account_is_409_and_nothing_is_written(agent):
    conversation = _conversation(ChannelKind.WEBCHAT, "visitor-8", ["Hi"], email="x@example.com")
    with pytest.raises(Conflict) as error:
        services.ticket_from_conversation(conversation_id=conversation.pk, by=agent)
    assert error.value.status_code == 409 and "account" in error.value.fields
    assert not Ticket.objects.exists()
    assert not conversation.messages.filter(kind=MessageKind.ACTIVITY).exists()


def test_a_bad_priority_is_400_and_an_unknown_or_merged_conversation_is_not_found(agent):
    account = AccountFactory()
    conversation = _conversation(ChannelKind.WEBCHAT, "visitor-9", ["Hi"], account=account, email="y@example.com")
    with pytest.raises(ValidationError) as error:
        services.ticket_from_conversation(conversation_id=conversation.pk, by=agent, priority="someday")
    assert "priority" in error.value.message_dict
    other = _conversation(ChannelKind.EMAIL, "<y@example.com>", ["Again"], email="y@example.com")
    crm_services.conversation_merge(source_id=conversation.pk, target_id=other.pk, by=agent)
    with pytest.raises(Conversation.DoesNotExist):
        services.ticket_from_conversation(conversation_id=conversation.pk, by=agent)
    assert not Ticket.objects.exists()


def test_the_link_survives_without_the_conversation(agent):
    account = AccountFactory()
    conversation = _conversation(ChannelKind.WEBCHAT, "visitor-10", ["Hi"], account=account, email="z@example.com")
    ticket = services.ticket_from_conversation(conversation_id=conversation.pk, by=agent)
    conversation.messages.all().delete()
    conversation.delete()
    ticket.refresh_from_db()
    assert ticket.conversation is None
