"""The inbox in Debian's chromium: an agent finds a conversation, answers it with a canned reply picked by typing
`/shortcode` (the reply joins the thread without a reload, once), notes a colleague picked by `@name`, labels
and resolves it. axe-core checks both pages. (Two agents watching each other live is the merge's test: the
streams live in urls_inbox_live.py.)"""

import json

import pytest
from playwright.sync_api import expect

from crm import services
from crm.choices import ChannelKind, ConversationStatus, MessageKind
from crm.models import Conversation
from crm.services.inbox import Inbound
from tests.browser import axe_violations, on, sign_in, until
from tests.omni.factories import PASSWORD

from .factories import CannedReplyFactory, ChannelFactory, LabelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_answers_with_a_canned_reply_labels_and_resolves(live_server, page, agent, sales):
    channel = ChannelFactory(kind=ChannelKind.WEBCHAT, name="Website chat")
    sender = services.contact_resolve(email="ada@example.com", name="Ada Obi")
    message, _ = services.inbound_receive(
        channel=channel,
        sender=sender,
        inbound=Inbound(thread_key="visitor-1", external_id="w-1", body="My internet is down"),
    )
    conversation = Conversation.objects.get(pk=message.conversation_id)
    CannedReplyFactory(shortcode="thanks", title="Thank you", body="Thanks {{ contact.first_name }}, we are on it.")
    LabelFactory(name="outage")

    sign_in(page, live_server, "localhost", agent.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.goto(on(live_server, "localhost", "/inbox/"))
    expect(page.locator("[data-conversation-row]")).to_have_count(1)
    expect(page.locator("[data-count='all']")).to_have_text("1")
    assert axe_violations(page) == []
    page.get_by_label("Search").fill("nobody-like-this")
    expect(page.locator("[data-conversation-row]")).to_have_count(0)
    page.get_by_label("Search").fill("internet")
    expect(page.locator("[data-conversation-row]")).to_have_count(1)
    page.get_by_role("link", name="Ada Obi").click()
    page.wait_for_url(on(live_server, "localhost", f"/inbox/{conversation.pk}/"))
    assert axe_violations(page) == []

    page.evaluate("window.notReloaded = true")
    box = page.locator("[data-reply-body]")
    box.click()
    box.press_sequentially("/tha")
    option = page.locator("#canned-suggestions").get_by_role("option")
    expect(option).to_have_count(1)
    expect(option).to_contain_text("/thanks")
    box.press("Enter")
    expect(box).to_have_value("Thanks Ada, we are on it.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#thread-messages [data-direction='outbound']")).to_have_count(1)
    expect(page.locator("#thread-messages [data-direction='outbound']")).to_contain_text("Thanks Ada, we are on it.")
    expect(page.locator("[data-reply-body]")).to_have_value("")
    assert page.evaluate("window.notReloaded") is True
    reply = conversation.messages.get(kind=MessageKind.MESSAGE, direction="outbound")
    assert reply.body == "Thanks Ada, we are on it." and reply.author == agent

    # A private note mentioning a colleague picked from the `@` suggestions.
    page.get_by_label("Private note").check()
    box.click()
    box.press_sequentially("@sal")
    expect(option).to_have_count(1)
    box.press("Enter")
    box.press_sequentially("please call her")
    expect(box).to_have_value("@sales please call her")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#thread-messages [data-kind='note']")).to_contain_text("Mentioned:")
    note = conversation.messages.get(kind=MessageKind.NOTE)
    assert list(note.mentions.all()) == [sales]

    page.get_by_label("Add label").select_option(label="outage")
    expect(page.get_by_role("button", name="Remove label outage")).to_be_visible()
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#conversation-header [data-conversation-status]")).to_have_text("Resolved")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.RESOLVED
    assert list(conversation.labels.values_list("name", flat=True)) == ["outage"]


def test_the_page_follows_the_stream_and_posts_typing(live_server, page, agent, sales):
    """The streams are stood in for (page.route) with the events the live views send: the list takes in a new
    conversation; on the conversation page the other agent's reply is fetched and added, the header follows a
    status change, their typing shows; our own typing is posted."""
    channel = ChannelFactory(kind=ChannelKind.WEBCHAT)
    sender = services.contact_resolve(email="bola@example.com", name="Bola Ade")
    message, _ = services.inbound_receive(
        channel=channel, sender=sender, inbound=Inbound(thread_key="visitor-2", external_id="w-2", body="Hello?")
    )
    conversation = Conversation.objects.get(pk=message.conversation_id)
    streams, typing = [], []
    page.route(f"**/inbox/{conversation.pk}/live/", lambda route: streams.append(route))  # answered below

    def typed(route):
        typing.append(route.request.post_data)
        route.fulfill(status=204)

    page.route(f"**/inbox/{conversation.pk}/typing/", typed)
    lists = []
    page.route("**/inbox/live/", lambda route: lists.append(route))
    sign_in(page, live_server, "localhost", agent.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))

    # The list: a new conversation's event refetches the table (same view and filters).
    page.goto(on(live_server, "localhost", "/inbox/"))
    until(page, lambda: lists, "the list opens its stream")
    expect(page.locator("[data-conversation-row]")).to_have_count(1)
    newcomer = services.contact_resolve(email="chidi@example.com", name="Chidi Eze")
    services.inbound_receive(
        channel=channel, sender=newcomer, inbound=Inbound(thread_key="visitor-3", external_id="w-3", body="Hi!")
    )
    lists[0].fulfill(
        status=200,
        headers={"Content-Type": "text/event-stream"},
        body='event: conversation.created\ndata: {"conversation": "x"}\n\n',
    )
    expect(page.locator("[data-conversation-row]")).to_have_count(2)
    expect(page.locator("[data-count='all']")).to_have_text("2")

    page.goto(on(live_server, "localhost", f"/inbox/{conversation.pk}/"))
    until(page, lambda: streams, "the page opens its stream")

    reply = services.reply_send(conversation_id=conversation.pk, author=sales, body="Bola, we see the fault")
    services.conversation_status_set(conversation_id=conversation.pk, status=ConversationStatus.PENDING, by=sales)
    ids = {"conversation": str(conversation.pk), "number": conversation.number}
    events = [
        ("typing", {"user": str(sales.pk), "name": "Sam", "state": "replying"}),
        ("message.created", {**ids, "message": str(reply.pk)}),
        ("conversation.status", {**ids, "status": "pending"}),
    ]
    body = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
    streams[0].fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=body)
    expect(page.locator("#typing-indicator")).to_have_text("Sam is replying…")
    expect(page.locator(f"#message-{reply.pk}")).to_contain_text("Bola, we see the fault")
    expect(page.locator("#conversation-header [data-conversation-status]")).to_have_text("Pending")
    expect(page.locator("#thread-messages [data-message-id]")).to_have_count(
        conversation.messages.count()  # the message, the reply, the status line: each once
    )

    box = page.locator("[data-reply-body]")
    box.click()
    box.press_sequentially("On my way")
    until(page, lambda: "state=replying" in typing, "typing is posted")
    page.locator("#conversation-heading").click()  # the box loses the focus
    until(page, lambda: typing[-1] == "state=idle", "idle is posted")
    assert typing.count("state=replying") == 1  # throttled: once for a burst of keys
