"""Portal users' API access is read-only everywhere, their own records included (README, "API"): a customer's,
reseller's or vendor's token (or a session that reaches the API) reads its inbox and push subscriptions but cannot
mark, subscribe or unsubscribe through /api/. What they may write, they write with their portal session on their
own portal's host: marking their in-app notifications read (/notifications/inbox/…) and subscribing a browser to
web push (/notifications/push/subscription/)."""

import pytest
from django.test import Client

from notifications.models import Notification, PushSubscription
from tests.notifications.sms_support import Browser
from tests.omni.api_contract import assert_error

pytestmark = pytest.mark.django_db
INBOX = "/api/v1/notifications/inbox/"
PUSH = "/api/v1/notifications/push-subscriptions/"
PAGE_PUSH = "/notifications/push/subscription/"
HOSTS = {"customer": "portal.localhost", "reseller": "reseller.localhost", "vendor": "vendor.localhost"}


def _rows(user):
    note = Notification.objects.create(user=user, event="crm.account.created", title="Account created")
    subscription = PushSubscription.objects.create(
        user=user, endpoint=f"https://push.example.com/{user.pk}", **Browser().keys
    )
    return note, subscription


def _state():
    return (
        sorted(Notification.objects.values_list("pk", "read_at")),
        sorted(PushSubscription.objects.values_list("pk", "user_id", "endpoint", "p256dh")),
    )


@pytest.mark.parametrize("portal", ["customer", "reseller", "vendor"])
def test_a_portal_token_reads_its_own_records_but_writes_nothing(request, api_as, portal):
    user = request.getfixturevalue(portal)
    note, subscription = _rows(user)
    client = api_as(user)  # read and write scopes: the audience still forbids writes
    assert [row["id"] for row in client.get(INBOX).json()["results"]] == [str(note.pk)]
    assert client.get(f"{INBOX}unread-count/").json() == {"unread": 1}
    assert [row["id"] for row in client.get(PUSH).json()["results"]] == [str(subscription.pk)]
    before = _state()
    for response in (
        client.post(f"{INBOX}{note.pk}/mark-read/"),
        client.post(f"{INBOX}mark-all-read/"),
        client.post(PUSH, {"endpoint": "https://push.example.com/new", "keys": Browser().keys}),
        client.delete(f"{PUSH}{subscription.pk}/"),
    ):
        body = assert_error(response, 403, code="permission_denied")
        assert body["detail"] == "Portal users have read-only API access."
    assert _state() == before


def test_a_portal_session_on_the_staff_host_cannot_write_through_the_api(client_as, customer):
    """Sessions are host-only, so a portal session never reaches /api/; if one did, it would still only read."""
    note, _subscription = _rows(customer)
    client = client_as(customer)  # signed in on the staff host (the login refuses this; force_login does not)
    assert client.get(INBOX, HTTP_ACCEPT="application/json").status_code == 200
    before = _state()
    assert_error(client.post(f"{INBOX}{note.pk}/mark-read/", HTTP_ACCEPT="application/json"), 403)
    assert_error(client.post(PAGE_PUSH, {"endpoint": "https://push.example.com/x", "keys": Browser().keys},
                             content_type="application/json"), 403)  # fmt: skip
    assert _state() == before


@pytest.mark.parametrize("portal", ["customer", "reseller", "vendor"])
def test_the_portal_session_marks_read_and_subscribes_on_its_own_host(request, client_as, portal):
    user = request.getfixturevalue(portal)
    note, _subscription = _rows(user)
    client = client_as(user, HOSTS[portal])
    assert client.post(f"/notifications/inbox/{note.pk}/read/").status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None
    response = client.post(
        PAGE_PUSH,
        {"endpoint": "https://push.example.com/mine", "keys": Browser().keys},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert PushSubscription.objects.filter(user=user, endpoint="https://push.example.com/mine").exists()


def test_another_portals_session_cannot_use_the_page_endpoint(customer):
    client = Client(HTTP_HOST="vendor.localhost")
    client.force_login(customer, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        PAGE_PUSH, {"endpoint": "https://push.example.com/x", "keys": Browser().keys}, content_type="application/json"
    )
    assert_error(response, 403)
    assert not PushSubscription.objects.exists()
