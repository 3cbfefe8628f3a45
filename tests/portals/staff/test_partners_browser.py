"""A Sales user's partner journey in Debian's chromium: the Partners link, live search, a reseller's page, switching
it off (the browser asks first; dismissing changes nothing), inviting a portal user in place (htmx). axe-core
checks each page."""

import pytest
from playwright.sync_api import expect

from crm.models import Reseller
from omni.models import User
from tests.browser import axe_violations, on, sign_in
from tests.crm.factories import AccountFactory, ResellerFactory
from tests.omni.factories import PASSWORD, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sales_find_a_reseller_switch_it_off_and_invite_a_portal_user(page, live_server):
    sales = StaffFactory(email="sales@example.com", roles=["Sales"])
    lagos = ResellerFactory(name="Lagos Connect")
    ResellerFactory(name="Abuja Fibre")
    AccountFactory.create_batch(2, reseller=lagos)
    sign_in(page, live_server, "localhost", sales.email, PASSWORD)

    page.get_by_role("link", name="Partners").click()
    expect(page.get_by_role("heading", name="Resellers")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Search").fill("lagos")
    expect(page.locator("#partner-table tbody tr")).to_have_count(1)
    assert "search=lagos" in page.url  # the URL keeps the filter
    expect(page.locator("#partner-table tbody tr td").nth(4)).to_have_text("2")  # its accounts
    page.get_by_role("link", name="Lagos Connect").click()
    expect(page.get_by_role("heading", name="2 accounts")).to_be_visible()
    assert axe_violations(page) == []

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Switch off").click()
    expect(page.get_by_role("button", name="Switch off")).to_be_visible()
    assert Reseller.objects.get(pk=lagos.pk).is_active  # dismissed: nothing sent

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Switch off").click()
    expect(page.get_by_text("Lagos Connect is switched off; its portal users cannot sign in.")).to_be_visible()
    expect(page.get_by_role("button", name="Switch on")).to_be_visible()
    assert not Reseller.objects.get(pk=lagos.pk).is_active

    url = page.url
    page.get_by_label("Email").fill("agent@lagosconnect.example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to agent@lagosconnect.example.com.")).to_be_visible()
    expect(page.locator("#partner-portal-users")).to_contain_text("Off with the organisation")
    assert page.url == url  # swapped in place
    assert User.objects.filter(email="agent@lagosconnect.example.com", suspended_with_org=True).exists()
    page.goto(on(live_server, "localhost", f"/partners/resellers/{lagos.pk}/edit/"))
    assert axe_violations(page) == []
