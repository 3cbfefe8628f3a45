"""The staff console's inbox list: who may open it, the views (mine, unassigned, my teams, all) with their counts
per status, the filters, sorts and pages, the htmx table, and a fixed number of queries for 10 and 1,000
conversations."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import services
from crm.choices import ChannelKind, ConversationStatus, MessageDirection, MessageKind, MessageStatus
from crm.models import Conversation, Message
from crm.services.inbox import Inbound
from tests.omni.factories import StaffFactory

from .factories import ChannelFactory, InboxTeamFactory, LabelFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _receive(channel, thread, body="Hello", external_id=None, **contact):
    sender = services.contact_resolve(**(contact or {"phone": thread}))
    message, _created = services.inbound_receive(
        channel=channel,
        sender=sender,
        inbound=Inbound(thread_key=thread, external_id=external_id or f"ext-{thread}-{body}", body=body),
    )
    return Conversation.objects.get(pk=message.conversation_id)


@pytest.mark.parametrize("role", ["Agent", "Sales"])
def test_agents_and_sales_open_the_list(client_as, role):
    response = client_as(StaffFactory(roles=[role])).get("/inbox/")
    assert response.status_code == 200
    assert 'data-inbox-list data-live-url="/inbox/live/"' in response.content.decode()


@pytest.mark.parametrize("role", ["Dispatcher", "Technician"])
def test_other_roles_get_403(client_as, role):
    assert client_as(StaffFactory(roles=[role])).get("/inbox/").status_code == 403


def test_portal_users_get_403_and_anonymous_signs_in(client, client_as, customer, reseller, vendor):
    for user in (customer, reseller, vendor):
        assert client_as(user).get("/inbox/").status_code == 403
    response = client.get("/inbox/", HTTP_HOST="localhost")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("rows", [10, 1000])
def test_list_query_count_does_not_grow(client_as, agent, rows, django_assert_max_num_queries):
    channels = [ChannelFactory(kind=kind) for kind in ChannelKind.values]
    team = InboxTeamFactory()
    team.members.add(agent)
    labels = [LabelFactory(), LabelFactory()]
    contact = services.contact_resolve(email="many@example.com", name="Many Threads")
    now = timezone.now()
    conversations = Conversation.objects.bulk_create(
        [
            Conversation(
                channel=channels[i % 4],
                thread_key=f"thread-{i}",
                contact=contact,
                subject=f"Subject {i}" if i % 2 else "",
                assignee=agent if i % 3 == 0 else None,
                team=team if i % 5 == 0 else None,
                status=ConversationStatus.OPEN if i % 4 else ConversationStatus.PENDING,
                last_message_at=now - timedelta(minutes=i),
                last_inbound_at=now - timedelta(minutes=i),
            )
            for i in range(rows)
        ]
    )
    Message.objects.bulk_create(
        [
            Message(
                conversation=conversation,
                channel_id=conversation.channel_id,
                kind=MessageKind.MESSAGE,
                direction=MessageDirection.INBOUND,
                body=f"Message of {conversation.thread_key}",
                status=MessageStatus.RECEIVED,
            )
            for conversation in conversations
        ]
    )
    Conversation.labels.through.objects.bulk_create(
        [
            Conversation.labels.through(conversation_id=conversation.pk, label_id=labels[i % 2].pk)
            for i, conversation in enumerate(conversations)
        ]
    )
    client = client_as(agent)
    # session, user, permissions, the counts (one grouped query), the page count, the page (contact, channel,
    # assignee and team joined; last message and labels as subqueries), the filter choices (channels, labels,
    # teams): 9 for 10 rows as for 1,000
    with django_assert_max_num_queries(9):
        response = client.get("/inbox/", {"view": "all", "status": "all", "sort": "waiting"})
    assert response.status_code == 200
    html = response.content.decode()
    assert len(response.context["page"]) == min(rows, 25)
    assert html.count("data-conversation-row=") == min(rows, 25)
    assert response.context["counts"]["all__all"] == rows
    assert response.context["counts"]["mine__all"] == len(range(0, rows, 3))
    assert response.context["counts"]["all__pending"] == len(range(0, rows, 4))
    assert "Message of thread-" in html and labels[0].name in html


def test_views_split_conversations_and_count_them(client_as, agent, sales):
    channel = ChannelFactory(kind=ChannelKind.SMS)
    team = InboxTeamFactory()
    team.members.add(agent)
    mine = _receive(channel, "+2348030000001")
    theirs = _receive(channel, "+2348030000002")
    teamed = _receive(channel, "+2348030000003")
    loose = _receive(channel, "+2348030000004")
    services.conversation_assign(conversation_id=mine.pk, assignee=agent)
    services.conversation_assign(conversation_id=theirs.pk, assignee=sales)
    services.conversation_assign(conversation_id=teamed.pk, team_id=team.pk)
    services.conversation_status_set(conversation_id=loose.pk, status=ConversationStatus.RESOLVED)
    client = client_as(agent)

    def numbers(**params):
        response = client.get("/inbox/", params)
        assert response.status_code == 200
        return {row.number for row in response.context["page"]}, response.context["counts"]

    found, counts = numbers(view="mine")
    assert found == {mine.number}
    found, counts = numbers(view="unassigned")
    assert found == {teamed.number}  # the resolved one is not open
    found, counts = numbers(view="teams")
    assert found == {teamed.number}
    found, counts = numbers(view="all", status="resolved")
    assert found == {loose.number}
    found, counts = numbers()
    assert found == {mine.number, theirs.number, teamed.number}
    assert counts["all__open"] == 3 and counts["all__resolved"] == 1 and counts["all__all"] == 4
    assert counts["mine__open"] == 1 and counts["unassigned__all"] == 2 and counts["teams__open"] == 1
    page = client.get("/inbox/").content.decode()
    assert 'data-count="all">3<' in page and 'data-status-count="resolved">1<' in page


def test_filters_search_sorts_and_the_htmx_table(client_as, agent):
    sms, email = ChannelFactory(kind=ChannelKind.SMS), ChannelFactory(kind=ChannelKind.EMAIL)
    billing = LabelFactory(name="billing")
    older = _receive(sms, "+2348030000011", body="My router blinks red")
    newer = _receive(email, "<x@example.com>", body="Invoice question", email="ada@example.com", name="Ada Obi")
    services.conversation_labels_set(conversation_id=newer.pk, labels=[billing])
    Conversation.objects.filter(pk=older.pk).update(
        last_message_at=timezone.now() - timedelta(hours=2), last_inbound_at=timezone.now() - timedelta(hours=2)
    )
    client = client_as(agent)

    def numbers(**params):
        return [row.number for row in client.get("/inbox/", params).context["page"]]

    assert numbers(channel=sms.pk) == [older.number]
    assert numbers(label=billing.pk) == [newer.number]
    assert numbers(q="router") == [older.number]  # a message's text
    assert numbers(q="ada obi") == [newer.number]  # the contact's name, word by word
    assert numbers(q=newer.number) == [newer.number]
    assert numbers(sort="newest") == [newer.number, older.number]
    assert numbers(sort="oldest") == [older.number, newer.number]
    assert numbers(sort="waiting") == [older.number, newer.number]
    response = client.get("/inbox/", {"label": billing.pk}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="inbox-table"')
    assert 'id="inbox-view" value="all" hx-swap-oob="true"' in html
    assert newer.contact.full_name in html and "billing" in html and "Invoice question" in html


def test_bad_filters_are_400_naming_the_field(client_as, agent):
    client = client_as(agent)
    response = client.get("/inbox/", {"channel": "not-a-uuid"})
    assert response.status_code == 400
    assert 'data-field-error="channel"' in response.content.decode()
    assert client.get("/inbox/", {"view": "everyone"}, **HTMX).status_code == 422
    assert client.get("/inbox/", {"sort": "loudest"}).status_code == 400


def test_pages_of_25(client_as, agent):
    channel = ChannelFactory(kind=ChannelKind.SMS)
    contact = services.contact_resolve(phone="+2348030000100")
    Conversation.objects.bulk_create(
        [Conversation(channel=channel, thread_key=f"t-{n}", contact=contact) for n in range(27)]
    )
    client = client_as(agent)
    assert len(client.get("/inbox/").context["page"]) == 25
    second = client.get("/inbox/", {"page": 2})
    assert len(second.context["page"]) == 2 and "Page 2 of 2" in second.content.decode()
