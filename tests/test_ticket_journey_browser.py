"""Issue 10's journey across two portals in Debian's chromium: a customer opens a ticket on portal.localhost; an
agent, signed in to the staff console on localhost in another browser context, finds it in the unassigned queue
and replies; the customer sees the reply on their ticket page. The internal note the agent adds never reaches
the customer."""

import pytest
from playwright.sync_api import expect

from tests.browser import DEADLINE_MS, on, sign_in
from tests.omni.factories import PASSWORD
from tests.tickets.factories import TeamFactory
from tickets.models import Ticket, TicketComment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_opens_agent_replies_from_the_console_customer_sees_it(live_server, page, browser, customer, agent):
    TeamFactory(name="NOC", members=[agent])
    sign_in(page, live_server, "portal.localhost", customer.email, PASSWORD)
    page.wait_for_url(on(live_server, "portal.localhost", "/"))
    page.goto(on(live_server, "portal.localhost", "/tickets/new/"))
    page.get_by_label("Subject").fill("No dial tone on the VoIP line")
    page.get_by_label("Description").fill("Since the storm last night.")
    page.get_by_role("button", name="Open ticket").click()
    ticket = Ticket.objects.get()
    page.wait_for_url(on(live_server, "portal.localhost", f"/tickets/{ticket.pk}/"))

    console = browser.new_context()
    console.set_default_timeout(DEADLINE_MS)
    agent_page = console.new_page()
    try:
        sign_in(agent_page, live_server, "localhost", agent.email, PASSWORD)
        agent_page.wait_for_url(on(live_server, "localhost", "/"))
        agent_page.goto(on(live_server, "localhost", "/tickets/?queue=unassigned"))
        agent_page.get_by_role("link", name=ticket.number).click()
        agent_page.wait_for_url(on(live_server, "localhost", f"/tickets/{ticket.pk}/"))
        agent_page.get_by_label("Message").fill("We reset your line; please try a call now.")
        agent_page.get_by_role("button", name="Send reply").click()
        expect(agent_page.get_by_text("We reset your line; please try a call now.")).to_be_visible()
        agent_page.get_by_label("Internal note (staff only)").check()
        agent_page.get_by_label("Message").fill("Line card 3 on the MSAN rebooted itself.")
        agent_page.get_by_role("button", name="Add note").click()
        expect(agent_page.locator("#ticket-timeline [data-entry='note']")).to_contain_text("Line card 3")
    finally:
        console.close()
    assert TicketComment.objects.filter(ticket=ticket, author=agent, public=True).count() == 1

    page.reload()
    expect(page.get_by_text("We reset your line; please try a call now.")).to_be_visible()
    assert "Line card 3" not in page.content()
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
