"""The web chat journey in Debian's chromium: a visitor on a website (the channel's demo page, the widget in a
shadow DOM) fills the pre-chat form and writes; an agent's console page, open in another browser, receives the new
message live (Server-Sent Events, no reload) within 2 seconds; the agent's reply appears in the widget live.

The helpers below (widget_*, staff_*) are the steps; the staff side watches /inbox/live/ with
static/js/inbox_live.js on the console's inbox page. When the console's conversation page shows messages live,
`staff_watch`/`staff_saw` become that page's own locators, and a second agent context makes it "two agents"."""

import pytest
from playwright.sync_api import expect

from crm import services
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


def staff_watch(agent_page, live_server) -> None:
    """The console's inbox page, following /inbox/live/ (what arrives is kept in window.__live)."""
    agent_page.goto(on(live_server, "localhost", "/inbox/"))
    agent_page.add_script_tag(url="/static/js/inbox_live.js")
    agent_page.evaluate(
        """() => new Promise((resolve) => {
            window.__live = [];
            OmniLive.openStream("/inbox/live/", {
                "message.created": (data) => window.__live.push(data),
                open: () => resolve(),
            });
        })"""
    )


def staff_saw(agent_page, message_id: str, timeout: float) -> None:
    agent_page.wait_for_function(
        "(id) => window.__live.some((event) => event.message === id)", arg=message_id, timeout=timeout
    )


def test_a_visitor_writes_an_agent_sees_it_live_and_the_reply_reaches_the_widget(live_server, page, browser, agent):
    channel = ChannelFactory(kind=ChannelKind.WEBCHAT, name="Website chat", config={"colour": "#0f766e"})
    console = browser.new_context()
    console.set_default_timeout(DEADLINE_MS)
    agent_page = console.new_page()
    try:
        sign_in(agent_page, live_server, "localhost", agent.email, PASSWORD)
        agent_page.wait_for_url(on(live_server, "localhost", "/"))
        staff_watch(agent_page, live_server)

        widget_open(page, live_server, channel)
        assert axe_violations(page) == []  # the pre-chat form in the shadow DOM: labels, contrast, roles
        widget_start(page, "Vera Visitor", "vera@example.com")
        widget_send(page, "My fibre light is red")
        message = Message.objects.get(body="My fibre light is red")
        staff_saw(agent_page, str(message.pk), timeout=LIVE_WITHIN_MS)  # counted from the widget's "sent"
    finally:
        console.close()
    assert message.conversation.contact.email == "vera@example.com"

    services.reply_send(conversation_id=message.conversation_id, author=agent, body="Please check the cable.")
    expect(page.locator("li.msg.outbound", has_text="Please check the cable.")).to_be_visible(timeout=LIVE_WITHIN_MS)
    page.keyboard.press("Escape")  # closes the panel, focus back on the launcher
    expect(page.get_by_role("button", name="Open chat")).to_be_focused()
