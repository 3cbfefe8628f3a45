"""The bell in Debian's chromium: open it with the keyboard, see the notification, mark it read, mark all read,
with axe-core finding nothing serious, light and dark. Also the push service worker: registered at its scope,
a push delivered to it (through the DevTools protocol) shows the notification."""

import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from notifications.models import Notification
from tests.browser import DEADLINE_MS, axe_violations, on, sign_in, until
from tests.notifications.sms_support import EVENT
from tests.omni.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _notes(user):
    older = Notification.objects.create(
        user=user, event=EVENT, title="Planned maintenance tonight", body="From 01:00 to 03:00."
    )
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - timezone.timedelta(hours=2))
    newer = Notification.objects.create(
        user=user, event=EVENT, title="Outage in Lekki Phase 1", body="Service is back by 18:00.", url="/"
    )
    return older, newer


@pytest.mark.parametrize(
    ("user_fixture", "password", "host", "dark"),
    [
        ("agent", PASSWORD, "localhost", False),
        ("customer", PASSWORD, "portal.localhost", True),
        ("vendor", "pw-Vendor-123", "vendor.localhost", False),
        ("reseller", "pw-Reseller-123", "reseller.localhost", True),
    ],
)
def test_the_bell_opens_shows_the_notification_and_marks_it_read(
    live_server, page, request, user_fixture, password, host, dark
):
    user = request.getfixturevalue(user_fixture)
    older, newer = _notes(user)
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())  # the staff dashboard's map, offline
    page.add_init_script(f"localStorage.setItem('omni-theme', {json.dumps('dark' if dark else 'light')})")
    sign_in(page, live_server, host, user.email, password)
    page.wait_for_url(on(live_server, host, "/"))

    bell = page.locator("#bell-button")
    expect(bell).to_have_attribute("aria-label", "Notifications, 2 unread")
    expect(page.locator("#bell-count")).to_have_text("2")
    expect(bell).to_have_attribute("aria-expanded", "false")

    bell.focus()
    page.keyboard.press("Enter")
    expect(bell).to_have_attribute("aria-expanded", "true")
    panel = page.get_by_role("region", name="Notifications")
    expect(panel.get_by_role("link", name="Outage in Lekki Phase 1")).to_be_visible()
    expect(panel.locator("li").filter(has_text="Planned maintenance tonight")).to_be_visible()
    assert axe_violations(page) == []

    panel.get_by_role("button", name="Mark read: Outage in Lekki Phase 1").click()
    expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread")
    expect(page.locator("#bell-count")).to_have_text("1")
    expect(page.locator("#bell-heading")).to_be_focused()  # not lost on the page after its button went away
    expect(panel.get_by_role("button", name=re.compile("^Mark read"))).to_have_count(1)
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.read_at is not None and older.read_at is None

    page.keyboard.press("Escape")
    expect(bell).to_have_attribute("aria-expanded", "false")
    expect(bell).to_be_focused()
    expect(panel).to_be_hidden()

    bell.click()
    panel.get_by_role("button", name="Mark all read").click()
    expect(bell).to_have_attribute("aria-label", "Notifications, none unread")
    expect(page.locator("#bell-count")).to_have_text("")
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    assert axe_violations(page) == []

    panel.get_by_role("link", name="View all notifications").click()
    page.wait_for_url(on(live_server, host, "/notifications/inbox/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.locator("#inbox-list li").filter(has_text="Planned maintenance tonight")).to_be_visible()
    assert axe_violations(page) == []


def test_the_list_page_marks_read_with_htmx(live_server, page, customer):
    older, newer = _notes(customer)
    sign_in(page, live_server, "portal.localhost", customer.email, PASSWORD)
    page.wait_for_url(on(live_server, "portal.localhost", "/"))
    page.goto(on(live_server, "portal.localhost", "/notifications/inbox/"))
    page.wait_for_load_state("networkidle")  # push.js has its answer: no VAPID keys, so no push item
    assert page.evaluate("fetch('/notifications/push/config/').then(r => r.json())") == {"public_key": ""}
    page.get_by_role("button", name=re.compile(customer.get_short_name())).click()
    expect(page.get_by_role("link", name="Change password")).to_be_visible()
    expect(page.locator("[data-push-toggle]")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(page.get_by_role("status").filter(has_text="unread")).to_have_text("2 unread")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Mark read: Planned maintenance tonight").click()
    expect(page.get_by_role("status").filter(has_text="unread")).to_have_text("1 unread")
    expect(page.locator("#bell-button")).to_have_attribute("aria-label", "Notifications, 1 unread")  # bell-changed
    older.refresh_from_db()
    assert older.read_at is not None
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_text("All read.")).to_be_visible()
    newer.refresh_from_db()
    assert newer.read_at is not None


def test_enabling_push_registers_the_worker_which_shows_a_pushed_notification(live_server, page, customer, settings):
    from notifications.management.commands.vapid_keys import vapid_key_pair

    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = vapid_key_pair()
    origin = on(live_server, "portal.localhost", "")
    page.context.grant_permissions(["notifications"], origin=origin)
    sign_in(page, live_server, "portal.localhost", customer.email, PASSWORD)
    page.wait_for_url(on(live_server, "portal.localhost", "/"))

    page.get_by_role("button", name=re.compile(customer.get_short_name())).click()
    expect(page.get_by_role("button", name="Enable push notifications")).to_be_visible()
    assert axe_violations(page) == []

    cdp = page.context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")

    # The script registers the worker and asks the push service for a subscription. Playwright's browser contexts
    # are incognito, where Chrome has no Push API (crbug.com/41124656): the refusal must be shown, not swallowed.
    page.get_by_role("button", name="Enable push notifications").click()
    expect(page.locator("[data-push-status]")).to_have_text("Push notifications could not be changed. Try again later.")
    expect(page.get_by_role("button", name="Enable push notifications")).to_be_enabled()
    # The worker activates on its own time (later than the status on a busy machine): wait for its statechange.
    scope = page.evaluate(
        """async (deadline) => {
            const registration = await navigator.serviceWorker.getRegistration("/notifications/push/");
            if (!registration) return null;
            const worker = registration.active || registration.waiting || registration.installing;
            const activated = new Promise((resolve) => {
                if (worker.state === "activated") resolve(true);
                worker.addEventListener("statechange", () => worker.state === "activated" && resolve(true));
            });
            const late = new Promise((resolve) => setTimeout(() => resolve(false), deadline));
            return (await Promise.race([activated, late])) ? registration.scope : null;
        }""",
        DEADLINE_MS,
    )
    assert scope == f"{origin}/notifications/push/"
    (registration_id,) = until(  # DevTools events arrive while Playwright waits
        page,
        lambda: {r["registrationId"] for r in registrations if r["scopeURL"] == scope},
        "the worker's registration event",
    )

    payload = {"title": "Outage in Lekki Phase 1", "body": "Service is back by 18:00.", "url": "/account/"}
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": origin + "/", "registrationId": registration_id, "data": json.dumps(payload)},
    )
    # The worker wakes and shows the notification asynchronously (seconds on a busy machine); poll with
    # evaluate(), which awaits the promise (wait_for_function would take the unresolved promise itself as truthy).
    shown = until(
        page,
        lambda: page.evaluate(
            """async () => {
                const registration = await navigator.serviceWorker.getRegistration("/notifications/push/");
                const shown = await registration.getNotifications();
                return shown.map(n => [n.title, n.body, n.data.url]);
            }"""
        ),
        "the pushed notification",
    )
    assert shown == [["Outage in Lekki Phase 1", "Service is back by 18:00.", "/account/"]]
