"""The customer journey in Debian's chromium: sign in on portal.localhost, open My account, see the map marker.
Also proves in a real browser that the portal's session cookie is not sent to the staff host."""

import json

import pytest
from django.contrib.gis.geos import Point

from tests.browser import axe_violations, on, sign_in
from tests.crm.factories import ContactFactory, link
from tests.omni.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("dark", [False, True])
def test_customer_signs_in_and_sees_their_account_on_a_map(live_server, page, customer, account, other_account, dark):
    account.location = Point(3.4219, 6.4281, srid=4326)
    account.save(update_fields=["location"])
    link(ContactFactory(first_name="Ngozi", last_name="Eze"), account)
    page.add_init_script(f"localStorage.setItem('omni-theme', {json.dumps('dark' if dark else 'light')})")

    page.goto(on(live_server, "portal.localhost", "/accounts/login/"))
    assert axe_violations(page) == []
    sign_in(page, live_server, "portal.localhost", customer.email, PASSWORD)
    page.wait_for_url(on(live_server, "portal.localhost", "/"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Hello")
    assert account.number in page.content()
    assert axe_violations(page) == []

    page.get_by_role("link", name="My account").first.click()
    page.wait_for_url(on(live_server, "portal.localhost", "/account/"))
    marker = page.locator("#account-map img.leaflet-marker-icon")
    marker.wait_for()
    page.wait_for_function("() => document.querySelector('#account-map img.leaflet-marker-icon').naturalWidth > 0")
    assert "Ngozi Eze" in page.content()
    assert account.number in page.content()
    assert other_account.number not in page.content() and other_account.name not in page.content()
    assert axe_violations(page) == []


def test_portal_session_is_not_sent_to_the_staff_host(live_server, page, customer):
    sign_in(page, live_server, "portal.localhost", customer.email, PASSWORD)
    page.wait_for_url(on(live_server, "portal.localhost", "/"))
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sessionid"]["domain"] == "portal.localhost"  # host-only: no leading dot

    page.goto(on(live_server, "localhost", "/"))
    assert page.url.startswith(on(live_server, "localhost", "/accounts/login/"))  # anonymous, not 403
    page.goto(on(live_server, "reseller.localhost", "/"))
    assert "/accounts/login/" in page.url
    page.goto(on(live_server, "portal.localhost", "/"))
    assert page.url == on(live_server, "portal.localhost", "/")  # still signed in where it was set
