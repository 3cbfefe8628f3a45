"""The staff console's conversation page: who may open each page, fragment and action; the thread (messages, notes,
activity lines, attachments, delivery ticks); the sidebar (account, open tickets, work orders, other
conversations); replies, notes with mentions, canned replies, labels, assignment, status with snooze presets,
priority and a ticket opened from the conversation; the fragments the live page refetches."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import services
from crm.choices import ChannelKind, ConversationPriority, ConversationStatus, MessageKind, MessageStatus
from crm.models import Conversation, Message
from crm.services.inbox import Inbound, InboundAttachment
from tests.crm.factories import AccountFactory, link
from tests.omni.factories import StaffFactory
from tickets.choices import TicketSource, TicketStatus
from tickets.models import Ticket

from .factories import CannedReplyFactory, ChannelFactory, InboxTeamFactory, LabelFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
ZERO = "00000000-0000-0000-0000-000000000000"


def _receive(channel, thread, body="Hello", external_id=None, attachments=(), **contact):
    sender = services.contact_resolve(**(contact or {"phone": thread}))
    message, _created = services.inbound_receive(
        channel=channel,
        sender=sender,
        inbound=Inbound(
            thread_key=thread,
            external_id=external_id or f"ext-{thread}-{body}",
            body=body,
            attachments=list(attachments),
        ),
    )
    return Conversation.objects.get(pk=message.conversation_id), message


@pytest.fixture
def webchat():
    return ChannelFactory(kind=ChannelKind.WEBCHAT, name="Website chat")


@pytest.fixture
def conversation(webchat):
    conversation, _message = _receive(
        webchat,
        "visitor-1",
        body="My internet is down",
        attachments=[InboundAttachment("speedtest.txt", b"2 Mbit/s", "text/plain")],
        email="ada@example.com",
        name="Ada Obi",
    )
    return conversation


def _urls(conversation, message):
    pk = conversation.pk
    return {
        "get": [
            f"/inbox/{pk}/",
            f"/inbox/{pk}/thread/",
            f"/inbox/{pk}/messages/{message.pk}/",
            f"/inbox/{pk}/header/",
            f"/inbox/{pk}/sidebar/",
            f"/inbox/{pk}/canned/?q=x",
            "/inbox/mentions/?q=a",
            f"/inbox/attachments/{message.attachments.get().pk}/",
        ],
        "post": [
            (f"/inbox/{pk}/reply/", {"body": "Hi", "mode": "note"}),
            (f"/inbox/{pk}/status/", {"status": "pending"}),
            (f"/inbox/{pk}/assign/", {"me": "1"}),
            (f"/inbox/{pk}/labels/", {"add": str(LabelFactory().pk)}),
            (f"/inbox/{pk}/priority/", {"priority": "high"}),
        ],
        "ticket": (f"/inbox/{pk}/ticket/", {}),
    }


@pytest.mark.parametrize("role", ["Agent", "Sales"])
def test_agents_and_sales_open_and_work_every_conversation(client_as, conversation, role):
    client = client_as(StaffFactory(roles=[role]))
    message = conversation.messages.get()
    urls = _urls(conversation, message)
    for url in urls["get"]:
        assert client.get(url).status_code == 200, url
    for url, data in urls["post"]:
        assert client.post(url, data).status_code == 302, url
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.PENDING and conversation.priority == ConversationPriority.HIGH
    assert conversation.labels.count() == 1 and conversation.assignee.groups.get().name == role


@pytest.mark.parametrize("role", ["Dispatcher", "Technician"])
def test_other_roles_get_403_everywhere(client_as, conversation, role):
    client = client_as(StaffFactory(roles=[role]))
    urls = _urls(conversation, conversation.messages.get())
    for url in urls["get"]:
        assert client.get(url).status_code == 403, url
    for url, data in urls["post"]:
        assert client.post(url, data).status_code == 403, url
    assert client.post(f"/inbox/{conversation.pk}/ticket/").status_code == 403
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN and conversation.messages.count() == 1


def test_portal_users_get_403_and_anonymous_signs_in(client, client_as, conversation, customer, reseller, vendor):
    urls = _urls(conversation, conversation.messages.get())
    for user in (customer, reseller, vendor):
        signed_in = client_as(user)
        for url in urls["get"]:
            assert signed_in.get(url).status_code == 403, url
        for url, data in [*urls["post"], urls["ticket"]]:
            assert signed_in.post(url, data).status_code == 403, url
    for url in urls["get"]:
        response = client.get(url, HTTP_HOST="localhost")
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for url, data in [*urls["post"], urls["ticket"]]:
        response = client.post(url, data, HTTP_HOST="localhost")
        assert response.status_code == 302 and "/login/" in response["Location"], url
    assert conversation.messages.count() == 1


def test_unknown_conversations_and_messages_are_404(client_as, agent, conversation):
    client = client_as(agent)
    assert client.get(f"/inbox/{ZERO}/").status_code == 404
    assert client.get(f"/inbox/{conversation.pk}/messages/{ZERO}/").status_code == 404
    assert client.post(f"/inbox/{ZERO}/reply/", {"body": "Hi"}).status_code == 404
    assert client.get(f"/inbox/attachments/{ZERO}/").status_code == 404


def test_the_thread_shows_messages_notes_activity_files_and_delivery(
    client_as, agent, sales, webchat, django_capture_on_commit_callbacks
):
    conversation, inbound = _receive(
        webchat,
        "visitor-2",
        body="Photo of the router",
        email="bola@example.com",
        attachments=[InboundAttachment("router.jpg", b"\xff\xd8\xff fake jpeg", "image/jpeg")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_send(conversation_id=conversation.pk, author=agent, body="Thanks, checking")
    services.delivery_status_update(channel=webchat, external_id=f"webchat-{reply.pk}", status=MessageStatus.READ)
    failed = services.reply_send(conversation_id=conversation.pk, author=agent, body="Second try")
    Message.objects.filter(pk=failed.pk).update(status=MessageStatus.FAILED, error="Visitor left")
    services.note_add(conversation_id=conversation.pk, author=agent, body="@sales can you look?")
    services.conversation_status_set(conversation_id=conversation.pk, status=ConversationStatus.PENDING, by=agent)
    Message.objects.create(  # written by the system (an auto-reply, a survey): no author
        conversation=conversation,
        channel=webchat,
        direction="outbound",
        body="We are closed until 8:00.",
        status=MessageStatus.SENT,
    )
    response = client_as(agent).get(f"/inbox/{conversation.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Photo of the router") < html.index("Thanks, checking") < html.index("Second try")
    assert 'data-kind="note"' in html and "Private note" in html and "Mentioned:" in html
    assert 'data-kind="activity"' in html and "Status: Pending" in html
    assert "We are closed until 8:00." in html and "System" in html
    assert 'data-delivery="read"' in html and 'data-delivery="failed"' in html and "Visitor left" in html
    attachment = inbound.attachments.get()
    assert f'href="/inbox/attachments/{attachment.pk}/"' in html
    download = client_as(sales).get(f"/inbox/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"\xff\xd8\xff fake jpeg"
    assert "attachment;" in download["Content-Disposition"] and download["X-Content-Type-Options"] == "nosniff"
    assert f'data-live-url="/inbox/{conversation.pk}/live/"' in html
    assert f'data-typing-url="/inbox/{conversation.pk}/typing/"' in html


def test_the_sidebar_shows_the_account_its_open_tickets_work_orders_and_other_conversations(
    client_as, agent, sales, webchat
):
    account = AccountFactory(name="Obi Stores")
    conversation, _message = _receive(webchat, "visitor-3", email="chi@example.com", name="Chi Obi")
    link(conversation.contact, account)
    Conversation.objects.filter(pk=conversation.pk).update(account=account)
    email = ChannelFactory(kind=ChannelKind.EMAIL)
    other, _ = _receive(email, "<chi@example.com>", body="By email", email="chi@example.com")
    open_ticket = Ticket.objects.create(account=account, subject="Slow line", status=TicketStatus.OPEN)
    Ticket.objects.create(account=account, subject="Old matter", status=TicketStatus.CLOSED)
    html = client_as(agent).get(f"/inbox/{conversation.pk}/").content.decode()
    assert "Obi Stores" in html and open_ticket.number in html and "Old matter" not in html
    assert "Recent work orders" in html and "No work orders." in html
    assert other.number in html and f'href="/inbox/{other.pk}/"' in html
    assert "Create ticket from conversation" in html
    # Sales read conversations but not tickets: no tickets listed, no button.
    html = client_as(sales).get(f"/inbox/{conversation.pk}/sidebar/").content.decode()
    assert open_ticket.number not in html and "Create ticket from conversation" not in html
    assert 'id="conversation-sidebar"' in html


def test_a_reply_goes_out_on_the_channel_and_comes_back_for_htmx(
    client_as, agent, conversation, django_capture_on_commit_callbacks
):
    client = client_as(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/inbox/{conversation.pk}/reply/", {"body": "We are on it", "mode": "reply"}, **HTMX)
    assert response.status_code == 200
    reply = conversation.messages.get(body="We are on it")
    assert reply.kind == MessageKind.MESSAGE and reply.author == agent
    reply.refresh_from_db()
    assert reply.status == MessageStatus.SENT  # web chat delivers in the request
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="conversation-composer"')
    assert 'hx-swap-oob="beforeend:#thread-messages"' in html and f'id="message-{reply.pk}"' in html
    empty = client.post(f"/inbox/{conversation.pk}/reply/", {"body": "  "}, **HTMX)
    assert empty.status_code == 422 and "body: Write a message." in empty.content.decode()
    assert client.post(f"/inbox/{conversation.pk}/reply/", {"body": " "}).status_code == 400
    assert conversation.messages.count() == 2


def test_a_note_mentions_a_colleague_and_stays_private(client_as, agent, sales, conversation):
    handle = sales.email.split("@")[0]
    response = client_as(agent).post(
        f"/inbox/{conversation.pk}/reply/", {"body": f"@{handle} please call", "mode": "note"}
    )
    assert response.status_code == 302
    note = conversation.messages.get(kind=MessageKind.NOTE)
    assert list(note.mentions.all()) == [sales] and note.status == MessageStatus.SENT


def test_a_switched_off_channel_is_409(client_as, agent, conversation, webchat):
    webchat.active = False
    webchat.save()
    response = client_as(agent).post(f"/inbox/{conversation.pk}/reply/", {"body": "Hello?"}, **HTMX)
    assert response.status_code == 409 and "switched off" in response.content.decode()


def test_whatsapp_says_when_only_a_template_may_be_sent(client_as, agent):
    channel = ChannelFactory(kind=ChannelKind.WHATSAPP)
    conversation, _message = _receive(channel, "2348030000077", phone="+2348030000077")
    client = client_as(agent)
    assert "data-window-closed" not in client.get(f"/inbox/{conversation.pk}/").content.decode()
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(hours=25))
    html = client.get(f"/inbox/{conversation.pk}/").content.decode()
    assert "data-window-closed" in html and "only a template may be sent" in html
    assert 'name="template_name"' in html


def test_canned_replies_by_shortcode_are_filled_for_the_conversation(client_as, agent, conversation):
    CannedReplyFactory(shortcode="thanks", title="Thank you", body="Thanks {{ contact.first_name }}! {{ agent.email }}")
    CannedReplyFactory(shortcode="outage", body="There is an outage in {{ account.name|default:'your area' }}.")
    CannedReplyFactory(shortcode="broken", body="{% if %} {{ agent.password }} {{ contact.account_links }}")
    client = client_as(agent)
    rows = client.get(f"/inbox/{conversation.pk}/canned/", {"q": "/tha"}).json()["results"]
    assert rows == [{"shortcode": "thanks", "title": "Thank you", "body": "Thanks Ada! agent@example.com"}]
    rows = client.get(f"/inbox/{conversation.pk}/canned/", {"q": ""}).json()["results"]
    assert [row["shortcode"] for row in rows] == ["broken", "outage", "thanks"]
    # Only plain placeholders are filled: no template tags, nothing but the listed values.
    assert rows[0]["body"] == "{% if %} {{ agent.password }} {{ contact.account_links }}"
    assert rows[1]["body"] == "There is an outage in your area."


def test_labels_are_added_and_removed(client_as, agent, conversation):
    billing, vip = LabelFactory(name="billing"), LabelFactory(name="vip")
    client = client_as(agent)
    assert client.post(f"/inbox/{conversation.pk}/labels/", {"add": billing.pk}, **HTMX).status_code == 200
    response = client.post(f"/inbox/{conversation.pk}/labels/", {"add": vip.pk}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="conversation-header"') and "Labels saved." in html
    assert set(conversation.labels.values_list("name", flat=True)) == {"billing", "vip"}
    client.post(f"/inbox/{conversation.pk}/labels/", {"remove": billing.pk}, **HTMX)
    assert list(conversation.labels.values_list("name", flat=True)) == ["vip"]
    bad = client.post(f"/inbox/{conversation.pk}/labels/", {}, **HTMX)
    assert bad.status_code == 422 and "Choose a label" in bad.content.decode()
    assert client.post(f"/inbox/{conversation.pk}/labels/", {"add": ZERO}).status_code == 400


def test_assign_to_an_agent_a_team_and_to_me(client_as, agent, sales, conversation):
    team = InboxTeamFactory(name="Support")
    client = client_as(agent)
    response = client.post(f"/inbox/{conversation.pk}/assign/", {"assignee": sales.pk, "team": team.pk}, **HTMX)
    assert response.status_code == 200 and "Support" in response.content.decode()
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.team) == (sales, team)
    client.post(f"/inbox/{conversation.pk}/assign/", {"me": "1"}, **HTMX)
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.team) == (agent, team)  # the team kept
    client.post(f"/inbox/{conversation.pk}/assign/", {"assignee": "", "team": ""}, **HTMX)
    conversation.refresh_from_db()
    assert conversation.assignee is None and conversation.team is None
    technician = StaffFactory(roles=["Technician"])
    bad = client.post(f"/inbox/{conversation.pk}/assign/", {"assignee": technician.pk}, **HTMX)
    assert bad.status_code == 422 and "Agent: Select a valid choice" in bad.content.decode()  # not an inbox agent
    assert "Assigned to" in conversation.messages.filter(kind=MessageKind.ACTIVITY).first().body


def test_status_resolve_reopen_and_snooze_presets(client_as, agent, conversation):
    client = client_as(agent)
    url = f"/inbox/{conversation.pk}/status/"
    assert client.post(url, {"status": "resolved"}, **HTMX).status_code == 200
    again = client.post(url, {"status": "resolved"}, **HTMX)
    assert again.status_code == 409 and "already" in again.content.decode()
    client.post(url, {"status": "open"}, **HTMX)
    before = timezone.now()
    client.post(url, {"status": "snoozed", "snooze": "1h"}, **HTMX)
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.SNOOZED
    assert timedelta(minutes=59) < conversation.snoozed_until - before < timedelta(minutes=61)
    client.post(url, {"status": "snoozed", "snooze": "tomorrow"}, **HTMX)
    conversation.refresh_from_db()
    local = timezone.localtime(conversation.snoozed_until)
    assert (local.date(), local.hour, local.minute) == (timezone.localdate() + timedelta(days=1), 9, 0)
    client.post(url, {"status": "snoozed", "snooze": "next_week"}, **HTMX)
    conversation.refresh_from_db()
    local = timezone.localtime(conversation.snoozed_until)
    assert local.weekday() == 0 and local.hour == 9 and local.date() > timezone.localdate()
    custom = (timezone.localtime() + timedelta(days=3)).replace(second=0, microsecond=0)
    client.post(url, {"status": "snoozed", "snooze": "custom", "snoozed_until": custom.strftime("%Y-%m-%dT%H:%M")})
    conversation.refresh_from_db()
    assert conversation.snoozed_until == custom
    missing = client.post(url, {"status": "snoozed", "snooze": "custom"}, **HTMX)
    assert missing.status_code == 422 and "Say until when" in missing.content.decode()
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"status": "snoozed", "snooze": "custom", "snoozed_until": past})
    assert response.status_code == 400 and "snoozed_until: The time must be in the future" in response.content.decode()
    assert client.post(url, {"status": "asleep"}).status_code == 400


def test_priority_is_set_once(client_as, agent, conversation):
    client = client_as(agent)
    url = f"/inbox/{conversation.pk}/priority/"
    assert client.post(url, {"priority": "urgent"}, **HTMX).status_code == 200
    client.post(url, {"priority": "urgent"}, **HTMX)
    conversation.refresh_from_db()
    assert conversation.priority == ConversationPriority.URGENT
    assert conversation.messages.filter(kind=MessageKind.ACTIVITY, body__startswith="Priority").count() == 1
    assert client.post(url, {"priority": "extreme"}, **HTMX).status_code == 422


def test_a_ticket_is_opened_from_the_conversation(client_as, agent, webchat):
    account = AccountFactory()
    conversation, _message = _receive(webchat, "visitor-9", body="No signal since noon", email="d@example.com")
    link(conversation.contact, account)
    Conversation.objects.filter(pk=conversation.pk).update(account=account)
    client = client_as(agent)
    response = client.post(f"/inbox/{conversation.pk}/ticket/", {"subject": "", "priority": "high"})
    ticket = Ticket.objects.get(conversation=conversation)
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    assert (ticket.account, ticket.source, ticket.priority) == (account, TicketSource.CHAT, "high")
    assert ticket.subject == "No signal since noon"
    html = client.get(f"/inbox/{conversation.pk}/").content.decode()
    assert "data-linked-tickets" in html and ticket.number in html
    bad = client.post(f"/inbox/{conversation.pk}/ticket/", {"priority": "someday"})
    assert bad.status_code == 400 and Ticket.objects.count() == 1


def test_a_conversation_without_an_account_cannot_make_a_ticket(client_as, agent, sales, conversation):
    response = client_as(agent).post(f"/inbox/{conversation.pk}/ticket/", {})
    assert response.status_code == 409 and "no account" in response.content.decode()
    assert client_as(sales).post(f"/inbox/{conversation.pk}/ticket/", {}).status_code == 403
    assert not Ticket.objects.exists()


def test_the_live_fragments(client_as, agent, conversation):
    client = client_as(agent)
    message = conversation.messages.get()
    html = client.get(f"/inbox/{conversation.pk}/messages/{message.pk}/", **HTMX).content.decode()
    assert html.lstrip().startswith(f'<article id="message-{message.pk}"') and "My internet is down" in html
    html = client.get(f"/inbox/{conversation.pk}/thread/").content.decode()
    assert html.lstrip().startswith('<section id="conversation-thread"') and "My internet is down" in html
    html = client.get(f"/inbox/{conversation.pk}/header/").content.decode()
    assert html.lstrip().startswith('<section id="conversation-header"') and conversation.number in html
    # What was written after a given entry, bare: the status change's activity line, not the first message.
    services.conversation_status_set(conversation_id=conversation.pk, status=ConversationStatus.PENDING, by=agent)
    html = client.get(f"/inbox/{conversation.pk}/thread/", {"after": message.pk}).content.decode()
    assert "Status: Pending" in html and "My internet is down" not in html and "conversation-thread" not in html
    assert html.count("data-message-id=") == 1
    assert client.get(f"/inbox/{conversation.pk}/thread/", {"after": ZERO}).status_code == 400
    assert client.get(f"/inbox/{conversation.pk}/thread/", {"after": "nope"}).status_code == 400


def test_a_merged_conversation_leads_to_its_survivor(client_as, agent, webchat):
    email = ChannelFactory(kind=ChannelKind.EMAIL)
    first, _ = _receive(webchat, "visitor-5", email="e@example.com")
    second, _ = _receive(email, "<e@example.com>", email="e@example.com")
    services.conversation_merge(source_id=first.pk, target_id=second.pk, by=agent)
    client = client_as(agent)
    response = client.get(f"/inbox/{first.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/inbox/{second.pk}/"
    assert client.post(f"/inbox/{first.pk}/reply/", {"body": "Hi"}).status_code == 404


def test_mention_suggestions_give_the_handle_notes_resolve(client_as, agent, sales):
    StaffFactory(email="sales@other.example.com", full_name="Sam Sales", roles=["Agent"])
    StaffFactory(email="salvador@example.com", roles=["Technician"])  # no inbox: never suggested
    client = client_as(agent)
    rows = client.get("/inbox/mentions/", {"q": "@sal"}).json()["results"]
    assert sorted(row["handle"] for row in rows) == ["sales@example.com", "sales@other.example.com"]
    rows = client.get("/inbox/mentions/", {"q": "agent"}).json()["results"]
    assert rows == [{"handle": "agent", "name": agent.get_full_name()}]


@pytest.mark.parametrize("replies", [2, 30])
def test_the_page_runs_a_fixed_number_of_queries(
    client_as, agent, sales, webchat, replies, django_assert_max_num_queries
):
    account = AccountFactory()
    conversation, _message = _receive(webchat, "visitor-20", email="f@example.com")
    link(conversation.contact, account)
    Conversation.objects.filter(pk=conversation.pk).update(account=account)
    services.conversation_labels_set(conversation_id=conversation.pk, labels=[LabelFactory(), LabelFactory()])
    for n in range(replies):
        services.note_add(conversation_id=conversation.pk, author=agent, body=f"@sales note {n}")
    client = client_as(agent)
    # session, user, permissions, the conversation (+ labels), the thread (+ attachments, mentions), the labels,
    # agents and teams to choose from, open and linked tickets (with the ticket permission checks), work orders,
    # other conversations
    with django_assert_max_num_queries(16):  # measured: 16 for 2 notes as for 30
        response = client.get(f"/inbox/{conversation.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count('data-kind="note"') == replies
