"""Every portal at a phone's width in Debian's chromium: 360 px, the narrowest common Android. Every phone is under
Tailwind's first breakpoint (640 px), so all get the same layout and a page that fits 360 px fits 390 px (most
phones): one width is checked, not two. No page a signed-in user of the portal can reach scrolls sideways (tables
scroll inside their own box), and the collapsed menu opens from its button, by mouse and by keyboard, and its links
work."""

import uuid
from urllib.parse import urlsplit

import pytest
from django.contrib.gis.geos import Point
from playwright.sync_api import expect

from crm.choices import AccountStatus
from notifications.models import Delivery, Notification
from tests.browser import axe_violations, on, sideways_overflow, sign_in
from tests.crm.factories import AccountFactory, ContactFactory, ResellerFactory, link
from tests.omni.factories import PASSWORD, customer_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONES = [360]
SIGNED_OUT = ["/accounts/login/", "/accounts/password/reset/", "/accounts/password/reset/key/x-y/"]
SIGNED_IN = [
    "/notifications/inbox/",
    "/notifications/inbox/?unread=1",
    "/accounts/password/change/",
    "/accounts/email/",
    "/accounts/logout/",
    "/notifications/unsubscribe/not-a-token/",  # the page an emailed link opens, here refusing a cut token
    "/no-such-page/",  # the 404 page, in the portal's layout
]
# Long words that cannot wrap are what push a phone's page sideways: addresses, emails, URLs.
LONG_EMAIL = "accounts.payable.department@lagos-fibre-subscribers.example.com"
LONG_NAME = "Ikoyi Crescent Residents Association Fibre Cooperative"


def _phone(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 780})
    # No tile server is reachable here (nor, perhaps, in the field): the pages must fit without tiles.
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())


def _fits(page, live_server, host: str, paths: list[str]) -> None:
    for path in paths:
        page.goto(on(live_server, host, path))
        assert sideways_overflow(page) == "", f"{host}{path} at {page.viewport_size['width']} px"


def _note(user) -> None:
    Notification.objects.create(
        user=user, event="crm.account.updated", title=f"{LONG_NAME} changed its billing address",
        body=f"Write to {LONG_EMAIL} for details.", url="/",
    )  # fmt: skip


def _menu_opens_and_its_link_works(page, live_server, host: str, name: str, path: str) -> None:
    """The menu is collapsed behind its button; Enter opens it, Escape closes it (focus back on the button),
    a click opens it and one of its links goes to its page."""
    page.goto(on(live_server, host, "/notifications/inbox/"))  # a page every menu link leads away from
    nav = page.get_by_role("navigation", name="Main")
    button = page.get_by_role("button", name="Menu")
    row = [page.get_by_role("banner").get_by_role("link").first, page.locator("#bell-button"), button]
    middles = [box["y"] + box["height"] / 2 for box in (item.bounding_box() for item in row)]
    assert max(middles) - min(middles) < 2, middles  # the name, the bell and the button share one row
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name=name)).to_be_hidden()

    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name=name)).to_be_visible()
    page.keyboard.press("Tab")  # the first link of the open menu comes next
    expect(nav.get_by_role("link").first).to_be_focused()
    assert sideways_overflow(page) == ""
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name=name)).to_be_hidden()
    expect(button).to_be_focused()

    button.click()
    nav.get_by_role("link", name=name).click()
    page.wait_for_url(on(live_server, host, path))
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")


@pytest.mark.parametrize("width", PHONES)
def test_customer_portal_fits_a_phone(live_server, page, width):
    account = AccountFactory(name=LONG_NAME, email=LONG_EMAIL, service_address="Plot 12, Bourdillon Road, Ikoyi")
    account.location = Point(3.4219, 6.4281, srid=4326)
    account.save(update_fields=["location"])
    for i in range(3):
        link(ContactFactory(email=f"{i}.{LONG_EMAIL}"), account)
    customer = customer_for(account, email="customer@example.com")
    _note(customer)
    _phone(page, width)

    _fits(page, live_server, "portal.localhost", SIGNED_OUT)
    sign_in(page, live_server, "portal.localhost", customer.email, PASSWORD)
    page.wait_for_url(on(live_server, "portal.localhost", "/"))
    _fits(page, live_server, "portal.localhost", ["/", "/account/", *SIGNED_IN])
    _menu_opens_and_its_link_works(page, live_server, "portal.localhost", "My account", "/account/")


@pytest.mark.parametrize("width", PHONES)
def test_reseller_portal_fits_a_phone(live_server, page, reseller, reseller_org, width):
    reseller_org.name = LONG_NAME
    reseller_org.save(update_fields=["name"])
    accounts = AccountFactory.create_batch(30, reseller=reseller_org, email=LONG_EMAIL, status=AccountStatus.ACTIVE)
    link(ContactFactory(email=LONG_EMAIL), accounts[0])
    _note(reseller)
    _phone(page, width)

    _fits(page, live_server, "reseller.localhost", SIGNED_OUT)
    sign_in(page, live_server, "reseller.localhost", reseller.email, "pw-Reseller-123")
    page.wait_for_url(on(live_server, "reseller.localhost", "/"))
    pages = ["/", "/accounts/", "/accounts/?page=2", "/accounts/?search=zzz", f"/accounts/{accounts[0].pk}/"]
    _fits(page, live_server, "reseller.localhost", [*pages, *SIGNED_IN])
    _menu_opens_and_its_link_works(page, live_server, "reseller.localhost", "Accounts", "/accounts/")


@pytest.mark.parametrize("width", PHONES)
def test_vendor_portal_fits_a_phone(live_server, page, vendor, width):
    _note(vendor)
    _phone(page, width)

    _fits(page, live_server, "vendor.localhost", SIGNED_OUT)
    sign_in(page, live_server, "vendor.localhost", vendor.email, "pw-Vendor-123")
    page.wait_for_url(on(live_server, "vendor.localhost", "/"))
    _fits(page, live_server, "vendor.localhost", ["/", *SIGNED_IN])
    _menu_opens_and_its_link_works(page, live_server, "vendor.localhost", "Dashboard", "/")


@pytest.mark.parametrize("width", PHONES)
def test_staff_console_fits_a_phone(live_server, page, settings, admin_user, width):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    account = AccountFactory(
        name=LONG_NAME, email=LONG_EMAIL, tags=["fibre", "business-premium"], notes="Gate code at the security post.",
        reseller=ResellerFactory(name=LONG_NAME),
    )  # fmt: skip
    AccountFactory.create_batch(3, location=Point(3.38, 6.52, srid=4326))
    contact = ContactFactory(first_name="Oluwaseun", last_name="Adebayo-Williams", email=LONG_EMAIL)
    link(contact, account)
    link(ContactFactory(email=LONG_EMAIL.upper()), account)  # a possible duplicate
    customer_for(account, email=f"portal.{LONG_EMAIL}")
    delivery = Delivery.objects.create(
        idempotency_key=uuid.uuid4().hex, event="crm.account.updated", channel="email", status="failed",
        recipient_key=f"crm.contact:{contact.pk}", recipient_name=contact.full_name, address=LONG_EMAIL,
    )  # fmt: skip
    _note(admin_user)
    _phone(page, width)

    _fits(page, live_server, "localhost", SIGNED_OUT)
    sign_in(page, live_server, "localhost", admin_user.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    pages = [
        "/",
        "/accounts/",
        "/accounts/?search=zzz",
        "/accounts/new/",
        f"/accounts/{account.pk}/",
        f"/accounts/{account.pk}/edit/",
        "/contacts/",
        "/contacts/new/",
        f"/contacts/new/?account={account.pk}",
        "/contacts/duplicates/",
        f"/contacts/{contact.pk}/",
        f"/contacts/{contact.pk}/edit/",
        "/notifications/deliveries/",
        f"/notifications/deliveries/{delivery.pk}/",
        "/notifications/statistics/",
        "/notifications/templates/",
        "/notifications/preferences/",
        "/profile/",
        "/webhooks/",
        "/webhooks/new/",
        "/accounts/2fa/",
    ]
    _fits(page, live_server, "localhost", [*pages, *SIGNED_IN])

    # A webhook endpoint made on the phone: its form, the once-shown secret, its detail page and edit form.
    page.goto(on(live_server, "localhost", "/webhooks/new/"))
    page.get_by_label("URL").fill(f"http://127.0.0.1:9/hooks/{'x' * 60}")
    page.get_by_label("crm.account.created").check()
    page.get_by_role("button", name="Create endpoint").click()
    page.get_by_role("heading", name="Endpoint created: copy its signing secret").wait_for()
    assert sideways_overflow(page) == ""
    page.get_by_role("link", name="Done").click()
    page.wait_for_url("**/webhooks/*-*/")
    page.get_by_role("button", name="Send test event").click()
    page.get_by_text("Test event").first.wait_for()
    assert sideways_overflow(page) == ""
    detail = urlsplit(page.url).path
    _fits(page, live_server, "localhost", ["/webhooks/", detail, f"{detail}edit/"])
    _menu_opens_and_its_link_works(page, live_server, "localhost", "Contacts", "/contacts/")
