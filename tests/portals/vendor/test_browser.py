"""The vendor dashboard in Debian's chromium, checked with axe-core."""

import pytest

from tests.browser import axe_violations, on, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_vendor_signs_in_and_sees_their_organisation(live_server, page, vendor, vendor_org, theme):
    page.add_init_script(f"localStorage.setItem('omni-theme', '{theme}')")
    sign_in(page, live_server, "vendor.localhost", vendor.email, "pw-Vendor-123")
    page.wait_for_url(on(live_server, "vendor.localhost", "/"))
    assert page.get_by_role("heading", name=vendor_org.name).is_visible()
    assert page.get_by_text("Work orders and projects assigned to you will appear here").is_visible()
    assert axe_violations(page) == []
