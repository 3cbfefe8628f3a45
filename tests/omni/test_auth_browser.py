"""Sign-in pages of every host in Debian's chromium, checked with axe-core in light and dark themes."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP

from tests.browser import axe_violations, on, sign_in
from tests.omni.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTS = ["localhost", "portal.localhost", "reseller.localhost", "vendor.localhost"]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_sign_in_and_reset_pages_are_accessible_on_every_host(live_server, page, customer, theme):
    page.add_init_script(f"localStorage.setItem('omni-theme', '{theme}')")
    for host in HOSTS:
        for path in ("/accounts/login/", "/accounts/password/reset/", "/accounts/password/reset/key/x-y/"):
            page.goto(on(live_server, host, path))
            assert page.locator("h1").count() == 1, (host, path)
            assert axe_violations(page) == [], (host, path)
    # A refused sign-in shows its error accessibly too.
    sign_in(page, live_server, "localhost", customer.email, PASSWORD)
    page.get_by_role("alert").get_by_text("The email address and/or password you specified are not correct.").wait_for()
    assert axe_violations(page) == []


def test_staff_two_factor_pages_are_accessible(live_server, page, agent):
    sign_in(page, live_server, "localhost", agent.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.goto(on(live_server, "localhost", "/accounts/2fa/"))
    assert axe_violations(page) == []
    page.get_by_role("link", name="Activate").click()
    page.get_by_label("Password").fill(PASSWORD)  # reauthentication first
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Authenticator secret").wait_for()
    assert axe_violations(page) == []

    page.context.clear_cookies()
    TOTP.activate(agent, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    sign_in(page, live_server, "localhost", agent.email, PASSWORD)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    assert axe_violations(page) == []


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_email_page_is_accessible_with_a_change_pending(live_server, page, customer, theme):
    page.add_init_script(f"localStorage.setItem('omni-theme', '{theme}')")
    sign_in(page, live_server, "portal.localhost", customer.email, PASSWORD)
    page.wait_for_url(on(live_server, "portal.localhost", "/"))
    page.goto(on(live_server, "portal.localhost", "/accounts/email/"))
    page.get_by_label("Change to").fill("new.address@example.com")
    page.get_by_role("button", name="Change Email").click()
    page.get_by_text("Your email address is still pending verification.").wait_for()
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []
