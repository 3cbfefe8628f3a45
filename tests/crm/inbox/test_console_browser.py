"""The inbox in Debian's chromium: an agent finds a conversation, answers it with a canned reply picked by typing
`/shortcode` (the reply joins the thread without a reload, once), notes a colleague picked by `@name`, labels
and resolves it. axe-core checks both pages. (Two agents watching each other live over the real streams:
test_webchat_browser.py.)"""

import pytest
from playwright.sync_api import expect

from crm import services
from crm.choices import ChannelKind, ConversationStatus, MessageKind
from crm.models import Conversation
from crm.services.inbox import Inbound
from tests.browser import axe_violations, on, sign_in
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
