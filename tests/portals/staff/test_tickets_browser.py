"""The ticket console in Debian's chromium: the queues and live search, a reply and an internal note posted with
htmx (the page is not reloaded), the live SLA countdown. axe-core checks each page."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser import axe_violations, on, sideways_overflow, sign_in
from tests.omni.factories import PASSWORD
from tests.tickets.factories import TeamFactory, TicketFactory
from tickets.choices import SLAState
from tickets.models import TicketComment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_finds_a_ticket_replies_and_notes_without_a_reload(live_server, page, agent, account):
    team = TeamFactory(name="Network", members=[agent])
    now = timezone.now()
    ticket = TicketFactory(
        account=account,
        team=team,
        subject="Fibre link flapping",
        sla_state=SLAState.RUNNING,
        first_response_due=now + datetime.timedelta(minutes=40),
        resolution_due=now - datetime.timedelta(minutes=3),  # overdue, not yet marked by the scan
    )
    TicketFactory(account=account, team=team, subject="Billing address change")

    sign_in(page, live_server, "localhost", agent.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.get_by_role("link", name="Tickets", exact=True).click()
    page.wait_for_url(on(live_server, "localhost", "/tickets/"))
    expect(page.locator("#ticket-table tbody tr")).to_have_count(2)
    assert axe_violations(page) == []

    page.get_by_label("Search").fill("fibre")
    page.wait_for_url("**/tickets/?*q=fibre*")
    expect(page.locator("#ticket-table tbody tr")).to_have_count(1)
    page.locator("[data-queue='breaching']").click()
    page.wait_for_url("**/tickets/?queue=breaching")
    expect(page.locator("[data-queue='breaching']")).to_have_attribute("aria-current", "page")
    expect(page.locator("#ticket-table tbody tr")).to_have_count(1)

    # Bulk: the row's checkbox belongs to the bulk form (form="ticket-bulk"); htmx posts it and swaps the console.
    page.get_by_label(f"Select {ticket.number}").check()
    page.get_by_label("With the selected tickets").select_option("tag")
    page.get_by_label("Tag", exact=True).last.fill("Outage")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#bulk-notice")).to_have_text("1 ticket changed.")
    ticket.refresh_from_db()
    assert ticket.tags == ["outage"]

    page.get_by_role("link", name=ticket.number).click()
    page.wait_for_url(on(live_server, "localhost", f"/tickets/{ticket.pk}/"))
    assert axe_violations(page) == []
    # The countdown runs in the browser: the first response is still ahead, the resolution overdue and red.
    first, resolution = page.locator("[data-sla-due]").nth(0), page.locator("[data-sla-due]").nth(1)
    expect(first.locator("[data-sla-left]")).to_contain_text("left")
    expect(resolution).to_have_attribute("data-overdue", "true")
    expect(resolution).to_have_class(re.compile(r"text-red-700"))
    before = first.locator("[data-sla-left]").inner_text()
    page.wait_for_function(
        "(text) => document.querySelector('[data-sla-due] [data-sla-left]').textContent !== text", arg=before
    )

    page.evaluate("window.notReloaded = true")
    page.get_by_label("Message").fill("An engineer is on the way.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#ticket-timeline [data-entry='reply']")).to_contain_text("An engineer is on the way.")
    expect(page.get_by_label("Message")).to_have_value("")
    page.get_by_label("Internal note (staff only)").check()
    page.get_by_label("Message").fill("Splice at cabinet 4 suspected.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#ticket-timeline [data-entry='note']")).to_contain_text("Splice at cabinet 4 suspected.")
    assert page.evaluate("window.notReloaded") is True  # htmx swapped; the page never reloaded
    assert list(TicketComment.objects.filter(ticket=ticket).values_list("public", flat=True)) == [True, False]


@pytest.mark.parametrize("width", [360, 1280])
def test_ticket_pages_fit_a_phone_and_pass_axe(live_server, page, agent, account, width):
    team = TeamFactory(name="Ikoyi Crescent Residents Association Fibre Cooperative", members=[agent])
    ticket = TicketFactory(
        account=account,
        team=team,
        subject="Write to accounts.payable.department@lagos-fibre-subscribers.example.com about the outage",
        tags=["ikoyi-crescent-residents-association"],
        sla_state=SLAState.BREACHED,
        resolution_due=timezone.now() - datetime.timedelta(hours=2),
    )
    page.set_viewport_size({"width": width, "height": 780})
    sign_in(page, live_server, "localhost", agent.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    for path in ["/tickets/", f"/tickets/{ticket.pk}/", "/tickets/dashboard/", "/tickets/sla-report/"]:
        page.goto(on(live_server, "localhost", path))
        assert sideways_overflow(page) == "", f"{path} at {width} px"
        assert axe_violations(page) == [], path
