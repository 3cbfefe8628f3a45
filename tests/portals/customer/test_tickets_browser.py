"""The customer's support journey in Debian's chromium: open a ticket with a file on portal.localhost, read the
support team's reply, answer it through htmx (no page load), and never see the internal note."""

import pytest
from playwright.sync_api import expect

from tests.browser import axe_violations, on, sign_in
from tests.omni.factories import PASSWORD
from tickets import services
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_opens_a_ticket_reads_the_reply_and_answers(live_server, page, customer, account, agent, tmp_path):
    photo = tmp_path / "router.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    sign_in(page, live_server, "portal.localhost", customer.email, PASSWORD)
    page.wait_for_url(on(live_server, "portal.localhost", "/"))

    page.get_by_role("link", name="Support").first.click()
    page.wait_for_url(on(live_server, "portal.localhost", "/tickets/"))
    assert "You have no tickets yet." in page.content()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Open a ticket").click()
    page.get_by_label("Subject").fill("No internet since noon")
    page.get_by_label("Description").fill("The light on the router is red.")
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("Attachments").set_input_files(str(photo))
    assert axe_violations(page) == []
    page.get_by_role("button", name="Open ticket").click()

    ticket = Ticket.objects.get()
    page.wait_for_url(on(live_server, "portal.localhost", f"/tickets/{ticket.pk}/"))
    expect(page.get_by_text(f"Ticket {ticket.number} opened.")).to_be_visible()
    expect(page.get_by_role("link", name="router.png")).to_be_visible()

    services.reply_post(ticket_id=ticket.pk, author=agent, body="Please restart the router.")
    services.reply_post(ticket_id=ticket.pk, author=agent, body="INTERNAL: check the OLT", public=False)
    page.reload()
    expect(page.get_by_text("Please restart the router.")).to_be_visible()
    assert "INTERNAL" not in page.content()
    assert axe_violations(page) == []

    page.evaluate("window.notReloaded = true")
    page.get_by_label("Your reply").fill("Restarted, still red.")
    (tmp_path / "lights.txt").write_text("PON red, LOS blinking")
    page.get_by_label("Attachments").set_input_files(str(tmp_path / "lights.txt"))
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply was sent.")).to_be_visible()
    expect(page.get_by_text("Restarted, still red.")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the thread in; the page stayed
    expect(page.get_by_role("link", name="lights.txt")).to_be_visible()
    assert page.get_by_label("Your reply").input_value() == ""
    assert ticket.comments.filter(author=customer, body="Restarted, still red.").exists()
