"""The notifications admin writes through the services where they exist: preferences, quiet hours, push
subscriptions, webhook endpoints."""

import datetime as dt

from notifications import selectors, services
from notifications.choices import Channel
from notifications.models import Preference, PushSubscription, QuietHours, WebhookEndpoint
from tests.admin_support import admin_form_data
from tests.notifications.email_support import NEWSLETTER, OUTAGE


def test_a_preference_changes_only_its_switch_through_the_service(admin_user, client_as):
    admin = client_as(admin_user)
    preference = services.preference_set(recipient_key="crm.contact:x", event=NEWSLETTER, channel="email", enabled=True)
    page = admin.get(f"/admin/notifications/preference/{preference.pk}/change/")
    data = admin_form_data(page, enabled=None, event=OUTAGE, channel="sms", recipient_key="crm.contact:y")
    assert admin.post(f"/admin/notifications/preference/{preference.pk}/change/", data).status_code == 302
    assert list(Preference.objects.values_list("recipient_key", "event", "channel", "enabled")) == [
        ("crm.contact:x", NEWSLETTER, "email", False)  # whose, which event and channel are fixed once saved
    ]


def test_a_mandatory_event_cannot_be_switched_off_in_the_admin(admin_user, client_as):
    admin = client_as(admin_user)
    page = admin.get("/admin/notifications/preference/add/")
    data = admin_form_data(page, recipient_key="crm.contact:x", event=OUTAGE, channel=Channel.EMAIL, enabled=None)
    response = admin.post("/admin/notifications/preference/add/", data)
    assert response.status_code == 200 and "service-critical" in response.content.decode()
    assert not Preference.objects.exists()


def test_quiet_hours_are_set_and_cleared_through_the_services(admin_user, client_as):
    admin = client_as(admin_user)
    page = admin.get("/admin/notifications/quiethours/add/")
    data = admin_form_data(page, recipient_key="crm.contact:x", start="22:00", end="07:00", time_zone="Africa/Lagos")
    assert admin.post("/admin/notifications/quiethours/add/", data).status_code == 302
    quiet = QuietHours.objects.get()
    assert (quiet.start, quiet.end, quiet.time_zone) == (dt.time(22), dt.time(7), "Africa/Lagos")
    admin.post(f"/admin/notifications/quiethours/{quiet.pk}/delete/", {"post": "yes"})
    assert selectors.quiet_hours_get(recipient_key="crm.contact:x") is None


def test_push_subscriptions_and_webhook_endpoints_are_deleted_through_the_services(
    admin_user, client_as, customer, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    admin = client_as(admin_user)
    subscription = PushSubscription.objects.create(
        user=customer, endpoint="https://push.example/abc", p256dh="k", auth="a"
    )
    admin.post(
        "/admin/notifications/pushsubscription/",
        {"action": "delete_selected", "_selected_action": [subscription.pk], "post": "yes"},
    )
    assert not PushSubscription.objects.exists()
    endpoint = services.webhook_endpoint_create(url="http://127.0.0.1:9/hook", events=["*"])
    admin.post(f"/admin/notifications/webhookendpoint/{endpoint.pk}/delete/", {"post": "yes"})
    assert not WebhookEndpoint.objects.exists()
