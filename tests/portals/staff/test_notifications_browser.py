"""In Debian's chromium: the admin's live preview follows typing and its test send mails the draft; the console's
notification pages pass axe-core, light and dark."""

import json

import pytest

from notifications.choices import DeliveryStatus
from notifications.models import Template
from tests.browser import axe_violations, on, sign_in
from tests.notifications.email_support import NEWSLETTER, smtp_running
from tests.omni.factories import PASSWORD
from tests.portals.staff.test_notifications import _deliveries

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp_server(settings):
    with smtp_running(settings) as server:
        yield server


def test_live_preview_follows_typing_and_test_send_mails_the_draft(live_server, page, admin_user, smtp_server):
    sign_in(page, live_server, "localhost", admin_user.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.goto(on(live_server, "localhost", f"/admin/notifications/template/add/?event={NEWSLETTER}&channel=email"))
    subject = page.locator("#preview-subject")
    subject.wait_for()
    assert subject.inner_text() == "News: title"  # the app's default, over the sample payload

    page.fill("#id_subject", "Hello {{ recipient.name }}: {{ title|upper }}")
    page.wait_for_function(
        "() => document.querySelector('#preview-subject')?.innerText === 'Hello recipient.name: TITLE'"
    )
    frame = page.frame_locator("#preview-html")
    assert frame.locator("h1").inner_text() == "title"

    page.fill("#id_body_text", "line one\n{% if title %}\nno end")
    page.locator("#template-preview .errorlist").wait_for()
    assert "line 2: Unexpected end of template" in page.locator("#template-preview").inner_text()

    page.fill("#id_body_text", "Draft for {{ recipient.name }}")
    page.locator("#preview-text").wait_for()
    page.get_by_role("button", name="Send a test to me").click()
    page.locator("#template-test-result", has_text="Sent (Email) to admin@example.com.").wait_for()
    (message,) = smtp_server.messages
    assert message["Subject"] == f"Hello {admin_user.get_full_name()}: TITLE"  # sample payload, me as recipient
    assert not Template.objects.exists()  # nothing saved until Save

    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/admin/notifications/template/")
    assert Template.objects.get().subject == "Hello {{ recipient.name }}: {{ title|upper }}"


@pytest.mark.parametrize("dark", [False, True])
def test_notification_pages_pass_axe(live_server, page, admin_user, dark):
    _deliveries(5)
    _deliveries(2, status=DeliveryStatus.FAILED, reason="recipient refused")
    page.add_init_script(f"localStorage.setItem('omni-theme', {json.dumps('dark' if dark else 'light')})")
    sign_in(page, live_server, "localhost", admin_user.email, PASSWORD)
    page.wait_for_url(on(live_server, "localhost", "/"))
    page.get_by_role("link", name="Notifications", exact=True).click()
    page.wait_for_url(on(live_server, "localhost", "/notifications/deliveries/"))
    assert page.locator("#delivery-table tbody tr").count() == 7
    assert axe_violations(page) == []
    page.get_by_label("Failed").check()
    page.wait_for_url("**/notifications/deliveries/?*status=failed*")
    page.wait_for_function("() => document.querySelectorAll('#delivery-table tbody tr').length === 2")
    page.locator("#delivery-table tbody a").first.click()
    page.wait_for_url("**/notifications/deliveries/*-*/")
    assert axe_violations(page) == []
    for path in ("/notifications/statistics/", "/notifications/templates/", "/notifications/preferences/"):
        page.goto(on(live_server, "localhost", path))
        assert axe_violations(page) == [], path
