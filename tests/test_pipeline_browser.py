"""Issue 12's pipeline board in Debian's chromium: a Sales user drags a lead card from New to Contacted; htmx posts
the move and the board comes back with both columns' counts and totals changed; after a reload the lead is still in
Contacted (it was stored, not only drawn)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from crm.models import Lead
from tests.browser import on, sign_in
from tests.crm.lead_factories import LeadFactory, stage, stages
from tests.omni.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _column(page, name: str):
    return page.locator(f'[data-stage-column][data-stage-name="{name}"]')


def _expect_column(page, name: str, count: int, total: str) -> None:
    column = _column(page, name)
    expect(column.locator("[data-stage-count]")).to_have_attribute("data-stage-count", str(count))
    expect(column.locator("[data-stage-total]")).to_have_attribute("data-stage-total", total)


def test_sales_drags_a_lead_to_the_next_stage_and_the_totals_follow(live_server, page, sales):
    stages()  # a transaction=True test starts without the seeded pipeline
    moving = LeadFactory(company="Moving Foods", expected_monthly_value=Decimal("25000.00"), owner=sales)
    LeadFactory(company="Staying Homes", expected_monthly_value=Decimal("10000.50"))
    LeadFactory(company="Already Talking", stage=stage("Contacted"), expected_monthly_value=Decimal("5000.25"))

    sign_in(page, live_server, "localhost", sales.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.goto(on(live_server, "localhost", "/leads/board/"))
    _expect_column(page, "New", 2, "35000.50")
    _expect_column(page, "Contacted", 1, "5000.25")

    card = _column(page, "New").locator("[data-lead-card]", has_text="Moving Foods")
    card.drag_to(_column(page, "Contacted").locator("ol"))

    _expect_column(page, "New", 1, "10000.50")
    _expect_column(page, "Contacted", 2, "30000.25")
    expect(_column(page, "Contacted").locator("[data-lead-card]", has_text="Moving Foods")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="moved to Contacted")).to_be_visible()

    page.reload()
    _expect_column(page, "Contacted", 2, "30000.25")
    expect(_column(page, "Contacted").locator("[data-lead-card]", has_text="Moving Foods")).to_be_visible()
    expect(_column(page, "New").locator("[data-lead-card]", has_text="Moving Foods")).to_have_count(0)
    assert Lead.objects.get(pk=moving.pk).stage.name == "Contacted"


def test_dropping_on_lost_asks_why_and_a_cancel_changes_nothing(live_server, page, sales):
    stages()
    # From Quoted (the fourth column) to Lost (the sixth): both on screen once the board is scrolled to Lost.
    lead = LeadFactory(company="Doubtful Ltd", stage=stage("Quoted"), expected_monthly_value=Decimal("700.00"))
    sign_in(page, live_server, "localhost", sales.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.goto(on(live_server, "localhost", "/leads/board/"))
    _column(page, "Lost").scroll_into_view_if_needed()
    card = _column(page, "Quoted").locator("[data-lead-card]", has_text="Doubtful Ltd")
    asked = []

    def cancel(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", cancel)
    card.drag_to(_column(page, "Lost").locator("ol"))
    page.wait_for_timeout(300)
    assert len(asked) == 1  # the reason was asked for
    _expect_column(page, "Quoted", 1, "700.00")
    assert Lead.objects.get(pk=lead.pk).stage.name == "Quoted"

    page.once("dialog", lambda dialog: dialog.accept("Went with a competitor"))
    _column(page, "Lost").scroll_into_view_if_needed()
    card.drag_to(_column(page, "Lost").locator("ol"))
    _expect_column(page, "Lost", 1, "700.00")
    expect(_column(page, "Quoted").locator("[data-lead-card]")).to_have_count(0)
    lead.refresh_from_db()
    assert (lead.stage.name, lead.lost_reason) == ("Lost", "Went with a competitor")


def test_lead_pages_fit_a_phone_and_pass_axe(live_server, page, sales, reseller, reseller_org):
    from tests.browser import axe_violations, sideways_overflow
    from tests.crm.factories import ContactFactory

    stages()
    long_email = "accounts.payable.department@lagos-fibre-subscribers.example.com"
    lead = LeadFactory(
        company="Ikoyi Crescent Residents Association Fibre Cooperative", email=long_email, reseller=reseller_org,
        owner=sales, next_follow_up="2026-12-03", notes="Gate code at the security post.",
    )  # fmt: skip
    ContactFactory(email=long_email.upper())  # a possible duplicate, shown on the lead page
    LeadFactory.create_batch(5, stage=stage("Qualified"))
    page.set_viewport_size({"width": 360, "height": 780})
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())

    sign_in(page, live_server, "localhost", sales.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    for path in ["/leads/board/", "/leads/", "/leads/new/", f"/leads/{lead.pk}/", f"/leads/{lead.pk}/edit/"]:
        page.goto(on(live_server, "localhost", path))
        assert sideways_overflow(page) == "", path
        assert axe_violations(page) == [], path

    page.context.clear_cookies()
    sign_in(page, live_server, "reseller.localhost", reseller.email, "pw-Reseller-123")
    page.wait_for_url(on(live_server, "reseller.localhost", "/"))
    for path in ["/leads/", "/leads/new/", f"/leads/{lead.pk}/"]:
        page.goto(on(live_server, "reseller.localhost", path))
        assert sideways_overflow(page) == "", path
        assert axe_violations(page) == [], path
