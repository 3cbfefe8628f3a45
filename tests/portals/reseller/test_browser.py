"""The reseller journey in Debian's chromium: dashboard, live search and htmx pagination, account detail."""

import pytest

from crm.choices import AccountStatus
from tests.browser import axe_violations, on, sign_in
from tests.crm.factories import AccountFactory, ResellerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reseller_searches_pages_and_opens_an_account(live_server, page, reseller, reseller_org):
    AccountFactory.create_batch(27, reseller=reseller_org, status=AccountStatus.ACTIVE)
    target = AccountFactory(reseller=reseller_org, name="Zebra Crossing Apartments", status=AccountStatus.SUSPENDED)
    AccountFactory(reseller=ResellerFactory(), name="Zebra Rival Towers")

    sign_in(page, live_server, "reseller.localhost", reseller.email, "pw-Reseller-123")
    page.wait_for_url(on(live_server, "reseller.localhost", "/"))
    assert page.locator('[data-status="suspended"]').inner_text() == "1"
    assert axe_violations(page) == []

    page.get_by_role("link", name="Accounts").first.click()
    page.wait_for_url(on(live_server, "reseller.localhost", "/accounts/"))
    assert "Showing 1–25 of 28" in page.content()
    assert axe_violations(page) == []

    with page.expect_response(lambda r: "page=2" in r.url and r.request.headers.get("hx-request") == "true"):
        page.get_by_role("link", name="Next").click()
    page.wait_for_url("**/accounts/?page=2")
    assert "Showing 26–28 of 28" in page.content()

    page.get_by_label("Search").fill("zebra")
    page.wait_for_url("**/accounts/?search=zebra*")
    page.get_by_text("Showing 1–1 of 1").wait_for()
    assert "Zebra Rival Towers" not in page.content()

    page.get_by_role("link", name=target.number).click()
    page.wait_for_url(on(live_server, "reseller.localhost", f"/accounts/{target.pk}/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Zebra Crossing Apartments"
    assert axe_violations(page) == []
