"""The web chat journey in Debian's chromium: a visitor on a website (the channel's demo page, the widget in a
shadow DOM) fills the pre-chat form and writes; an agent's console page, open in another browser, receives the new
message live (Server-Sent Events, no reload) within 2 seconds; the agent's reply appears in the widget live.

Two agents, each in a browser of their own, watch the conversation page."""

import pytest
from playwright.sync_api import expect

from crm.choices import ChannelKind
from crm.models import Message
from tests.browser import DEADLINE_MS, axe_violations, on, sign_in
from tests.omni.factories import PASSWORD

from .factories import ChannelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE_WITHIN_MS = 2000  # issue 11: "appears ... without reload within 2 seconds"


@pytest.fixture(autouse=True)
def _same_origin_live(settings):
    settings.LIVE_URL = ""  # live_server serves the streams itself (threads, WSGI)


# ---- the visitor's side --------------------------------------------------------------------------------------


def widget_open(page, live_server, channel) -> None:
    """The channel's demo page with the widget open."""
    page.goto(on(live_server, "localhost", f"/hooks/webchat/{channel.pk}/demo/"))
    page.get_by_role("button", name="Open chat").click()
    expect(page.get_by_role("dialog")).to_be_visible()


def widget_start(page, name: str, email: str) -> None:
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Start chat").click()
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()


def widget_send(page, text: str) -> None:
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("button", name="Send").click()
    expect(page.locator("li.msg.inbound", has_text=text)).not_to_contain_text("Sending")


# ---- the staff side ------------------------------------------------------------------------------------------


def agent_browser(browser, live_server, user):
    """A browser of its own (cookies, storage) signed in as `user`: (context, page)."""
    context = browser.new_context()
    context.set_default_timeout(DEADLINE_MS)
    page = context.new_page()
    sign_in(page, live_server, "localhost", user.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    return context, page


def staff_open(agent_page, live_server, conversation) -> None:
    """The console's conversation page, its stream open (the page marks itself once the stream is connected)."""
    agent_page.goto(on(live_server, "localhost", f"/inbox/{conversation.pk}/"))
    expect(agent_page.locator("[data-inbox-conversation][data-live-open]")).to_have_count(1)


def test_two_agents_see_a_visitor_live_and_the_reply_reaches_the_widget(live_server, page, browser, agent, sales):
    """Issue 11's Done-when: two agents in two browsers on the conversation page; a customer message sent
    through the widget appears in both without reload within 2 seconds; one agent's typing shows to the other;
    the reply sent from the page appears in the widget (and in the other agent's page)."""
    channel = ChannelFactory(kind=ChannelKind.WEBCHAT, name="Website chat", config={"colour": "#0f766e"})
    widget_open(page, live_server, channel)
    assert axe_violations(page) == []  # the pre-chat form in the shadow DOM: labels, contrast, roles
    widget_start(page, "Vera Visitor", "vera@example.com")
    widget_send(page, "Hello, anyone there?")
    first = Message.objects.get(body="Hello, anyone there?")
    conversation = first.conversation
    assert conversation.contact.email == "vera@example.com"

    contexts = []
    try:
        pages = []
        for user in (agent, sales):
            context, agent_page = agent_browser(browser, live_server, user)
            contexts.append(context)
            staff_open(agent_page, live_server, conversation)
            agent_page.evaluate("window.notReloaded = true")
            pages.append(agent_page)

        widget_send(page, "My fibre light is red")
        second = Message.objects.get(body="My fibre light is red")
        for agent_page in pages:  # counted from the widget's "sent"
            expect(agent_page.locator(f"#message-{second.pk}")).to_contain_text(
                "My fibre light is red", timeout=LIVE_WITHIN_MS
            )

        ada, sam = pages
        box = ada.locator("[data-reply-body]")
        box.click()
        box.press_sequentially("Please check")
        expect(sam.locator("#typing-indicator")).to_contain_text("replying", timeout=LIVE_WITHIN_MS)
        box.press_sequentially(" the cable.")
        ada.get_by_role("button", name="Send").click()
        expect(page.locator("li.msg.outbound", has_text="Please check the cable.")).to_be_visible(
            timeout=LIVE_WITHIN_MS
        )
        expect(sam.locator("#thread-messages [data-direction='outbound']")).to_contain_text(
            "Please check the cable.", timeout=LIVE_WITHIN_MS
        )
        for agent_page in pages:
            assert agent_page.evaluate("window.notReloaded") is True
    finally:
        for context in contexts:
            context.close()
    page.keyboard.press("Escape")  # closes the panel, focus back on the launcher
    expect(page.get_by_role("button", name="Open chat")).to_be_focused()
