"""The webhook console in Debian's chromium: create an endpoint, copy its secret, send a test event, read the
delivery log, disable the endpoint. axe-core checks each page, in the light and the dark theme."""

import json

import pytest

from notifications import services
from notifications.models import WebhookEndpoint, WebhookMessage
from tests.browser import axe_violations, on, sign_in
from tests.notifications.webhook_support import Receiver
from tests.omni.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("dark", [False, True])
def test_staff_creates_an_endpoint_tests_it_and_reads_the_log(live_server, page, settings, admin_user, dark):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    page.add_init_script(f"localStorage.setItem('omni-theme', {json.dumps('dark' if dark else 'light')})")
    with Receiver() as receiver:
        sign_in(page, live_server, "localhost", admin_user.email, PASSWORD)
        page.wait_for_url(on(live_server, "localhost", "/"))
        page.goto(on(live_server, "localhost", "/webhooks/"))
        assert page.get_by_text("No webhook endpoints match.").is_visible()
        assert axe_violations(page) == []

        page.get_by_role("link", name="New endpoint").click()
        page.wait_for_url(on(live_server, "localhost", "/webhooks/new/"))
        assert axe_violations(page) == []
        page.get_by_role("button", name="Create endpoint").click()  # nothing filled in: errors, no endpoint
        page.get_by_text("Choose at least one event, or every event.").wait_for()
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Description").fill("ERP sync")
        page.get_by_label("crm.account.created").check()
        assert axe_violations(page) == []
        page.get_by_role("button", name="Create endpoint").click()

        page.get_by_role("heading", name="Endpoint created: copy its signing secret").wait_for()
        endpoint = WebhookEndpoint.objects.get()
        assert page.get_by_label("Signing secret", exact=True).input_value() == endpoint.secret
        assert endpoint.events == ["crm.account.created"]
        assert axe_violations(page) == []
        receiver.secrets.append(endpoint.secret)

        page.get_by_role("link", name="Done").click()
        page.wait_for_url(on(live_server, "localhost", f"/webhooks/{endpoint.pk}/"))
        assert endpoint.secret not in page.content()
        page.get_by_role("button", name="Send test event").click()
        page.get_by_text("Test event").first.wait_for()
        message = WebhookMessage.objects.get()
        assert services.webhook_messages_send([message.pk]) == 1  # what the worker does
        [got] = receiver.posts()
        assert got.verified == {endpoint.secret: True}

        page.reload()
        entry = page.locator(f"#delivery-{message.pk}")
        assert "Succeeded" in entry.inner_text()
        entry.get_by_text("Attempts and body").click()
        assert "200" in entry.locator("table").inner_text()
        assert axe_violations(page) == []

        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Disable").click()
        page.get_by_text("Disabled: nothing is sent to this endpoint.").wait_for()
        endpoint.refresh_from_db()
        assert endpoint.is_active is False
        assert axe_violations(page) == []
