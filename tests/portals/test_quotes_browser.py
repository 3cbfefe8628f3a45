"""The quote journey in Debian's chromium: Sales makes a quote from the account page (a line added with Alpine,
the totals recomputed by the server as lines are typed, htmx), sends it, and the customer accepts it in the
portal. axe-core checks the pages."""

import re

import pytest
from playwright.sync_api import expect

from crm.choices import QuoteStatus
from crm.models import Quote
from tests.browser import axe_violations, on, sign_in
from tests.crm.quote_support import contact_on
from tests.omni.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sales_quotes_and_the_customer_accepts(live_server, page, browser, sales, account, customer):
    contact_on(account)
    sign_in(page, live_server, "localhost", sales.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.goto(on(live_server, "localhost", f"/accounts/{account.pk}/"))
    page.get_by_role("link", name="New quote").click()
    page.wait_for_url(f"**/quotes/new/?account={account.pk}")
    expect(page.get_by_label("Account number")).to_have_value(account.number)
    page.get_by_label("Title").fill("Office fibre")
    page.get_by_label("Description").first.fill("Installation")
    page.get_by_label("Unit price").first.fill("0.10")
    page.get_by_role("button", name="Add a line").click()
    expect(page.get_by_label("Description")).to_have_count(2)
    page.get_by_label("Description").nth(1).fill("Cable")
    page.get_by_label("Unit price").nth(1).fill("0.20")
    page.get_by_label("Qty").nth(1).fill("1")
    # The server's arithmetic, swapped in by htmx as the lines are typed: exactly 0.30.
    expect(page.locator("#quote-preview [data-total='one_off']")).to_have_text("NGN 0.30")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/quotes/[0-9a-f-]{36}/$"))
    quote = Quote.objects.get()
    expect(page.locator("#quote-totals [data-total='one_off']")).to_have_text("NGN 0.30")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text(f"Quote {quote.number} sent.")).to_be_visible()
    assert axe_violations(page) == []

    portal = browser.new_context(base_url=on(live_server, "portal.localhost", "")).new_page()
    sign_in(portal, live_server, "portal.localhost", customer.email, PASSWORD)
    portal.goto(on(live_server, "portal.localhost", "/quotes/"))
    portal.get_by_role("link", name=quote.number).click()
    portal.get_by_label("Your full name").first.fill("Ada Obi")
    portal.get_by_label("I accept this quote").check()
    portal.get_by_role("button", name="Accept", exact=True).click()
    expect(portal.get_by_text("Thank you: the quote is accepted.")).to_be_visible()
    assert axe_violations(portal) == []
    quote.refresh_from_db()
    assert (quote.status, quote.decided_name) == (QuoteStatus.ACCEPTED, "Ada Obi")
