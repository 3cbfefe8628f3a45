"""Webhook endpoints in the staff console (localhost) and the admin: list, create (secret shown once), edit,
detail with the delivery log, rotate, test event, enable/disable, redeliver, delete."""

import re

import pytest
from django.utils import timezone
from django.utils.html import escape

from notifications import services
from notifications.choices import WebhookMessageStatus
from notifications.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from tests.notifications.webhook_support import Answer, Receiver
from tests.omni.factories import StaffFactory

HX = {"HTTP_HX_REQUEST": "true"}
SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def staff(client_as, admin_user):
    return client_as(admin_user)


@pytest.fixture
def endpoint(receiver, admin_user):
    endpoint = services.webhook_endpoint_create(
        url=receiver.url, events=["crm.account.created"], description="ERP", owner=admin_user
    )
    receiver.secrets.append(endpoint.secret)
    return endpoint


# ---- access ------------------------------------------------------------------------------------------------


def test_access_needs_a_staff_session_and_the_permission(client, client_as, customer, agent, endpoint):
    response = client.get("/webhooks/", HTTP_HOST="localhost")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client_as(customer).get("/webhooks/").status_code == 403
    nobody = client_as(agent)
    for path in ("/webhooks/", "/webhooks/new/", f"/webhooks/{endpoint.pk}/", f"/webhooks/{endpoint.pk}/edit/"):
        assert nobody.get(path).status_code == 403, path
    assert nobody.post(f"/webhooks/{endpoint.pk}/rotate/").status_code == 403
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret


# ---- list --------------------------------------------------------------------------------------------------------


def test_list_shows_endpoints_and_filters(staff, receiver, endpoint):
    services.webhook_endpoint_create(url=receiver.url + "/all", events=["*"], is_active=False)
    page = staff.get("/webhooks/").content.decode()
    assert escape(endpoint.url) in page and "ERP" in page and "Every event" in page
    assert endpoint.secret not in page
    disabled = staff.get("/webhooks/", {"active": "false"}).content.decode()
    assert "/hooks/all" in disabled and f'href="/webhooks/{endpoint.pk}/"' not in disabled
    partial = staff.get("/webhooks/", {"search": "erp"}, **HX)
    assert partial.status_code == 200
    body = partial.content.decode()
    assert body.lstrip().startswith('<section id="webhook-table"')
    assert f'href="/webhooks/{endpoint.pk}/"' in body and "/hooks/all" not in body
    assert staff.get("/webhooks/", {"sort": "secret"}).status_code == 400


@pytest.mark.parametrize("rows", [10, 200])
def test_list_queries_do_not_grow(staff, admin_user, rows, django_assert_max_num_queries):
    WebhookEndpoint.objects.bulk_create(
        [
            WebhookEndpoint(url=f"https://93.184.215.14/{i}", events=["*"], secret="whsec_x", owner=admin_user)
            for i in range(rows)
        ]
    )
    with django_assert_max_num_queries(10):
        response = staff.get("/webhooks/")
    assert response.status_code == 200
    assert response.content.decode().count('href="/webhooks/') >= min(rows, 25)


# ---- create, edit: the secret is shown once ---------------------------------------------------------------------


def test_create_shows_the_secret_once(staff, admin_user, receiver):
    response = staff.post(
        "/webhooks/new/",
        {"url": receiver.url, "description": "Billing", "events": ["crm.account.created", "crm.contact.created"],
         "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get()
    assert SECRET.findall(response.content.decode()) == [endpoint.secret]
    assert (endpoint.url, endpoint.description, endpoint.owner, endpoint.is_active) == (
        receiver.url,
        "Billing",
        admin_user,
        True,
    )
    assert endpoint.events == ["crm.account.created", "crm.contact.created"]
    assert endpoint.secret not in staff.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret not in staff.get(f"/webhooks/{endpoint.pk}/edit/").content.decode()


def test_create_every_event(staff, receiver):
    staff.post("/webhooks/new/", {"url": receiver.url, "all_events": "on", "events": ["crm.account.created"]})
    assert WebhookEndpoint.objects.get().events == ["*"]


def test_create_refuses_a_private_url_and_no_events_with_field_errors(staff, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = staff.post("/webhooks/new/", {"url": "http://169.254.169.254/latest", "events": []})
    assert response.status_code == 422
    page = response.content.decode()
    assert "is not a public address" in page
    assert "Choose at least one event, or every event." in page
    response = staff.post("/webhooks/new/", {"url": "http://169.254.169.254/latest", "all_events": "on"})
    assert response.status_code == 422
    assert 'id="id_url_error"' in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_edit_changes_the_endpoint(staff, receiver, endpoint):
    form = staff.get(f"/webhooks/{endpoint.pk}/edit/").content.decode()
    checkbox = re.search(r'<input[^>]*\bvalue="crm\.account\.created"[^>]*>', form).group(0)
    assert re.search(r"\schecked\b", checkbox), checkbox  # the event it subscribes to is ticked
    response = staff.post(
        f"/webhooks/{endpoint.pk}/edit/", {"url": receiver.url + "/v2", "description": "ERP v2", "all_events": "on"}
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.description, endpoint.events, endpoint.is_active) == (
        receiver.url + "/v2",
        "ERP v2",
        ["*"],
        False,  # the checkbox was left unticked
    )


# ---- detail: the delivery log and its actions ---------------------------------------------------------------------


def test_detail_shows_the_delivery_log_with_attempts(staff, receiver, endpoint):
    receiver.answer(Answer(500, b"upstream exploded"))
    now = timezone.now()
    [message] = services.webhook_publish(event="crm.account.created", data={"name": "Acme"}, now=now)
    services.webhook_messages_send([message.pk], now=now)
    page = staff.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert message.message_id in page
    assert "upstream exploded" in page and "HTTP 500" in page
    assert "&quot;name&quot;: &quot;Acme&quot;" in page
    assert f"/webhooks/{endpoint.pk}/deliveries/{message.pk}/redeliver/" in page
    partial = staff.get(f"/webhooks/{endpoint.pk}/", {"status": "succeeded"}, **HX)
    body = partial.content.decode()
    assert body.lstrip().startswith('<section id="webhook-deliveries"')
    assert message.message_id not in body
    assert staff.get(f"/webhooks/{endpoint.pk}/", {"status": "lost"}).status_code == 400


@pytest.mark.parametrize("rows", [10, 200])
def test_detail_queries_do_not_grow(staff, endpoint, rows, django_assert_max_num_queries):
    messages = WebhookMessage.objects.bulk_create(
        [
            WebhookMessage(endpoint=endpoint, message_id=f"msg_{i}", event="crm.account.created", payload={"n": i})
            for i in range(rows)
        ]
    )
    WebhookAttempt.objects.bulk_create(
        [WebhookAttempt(message=m, number=n, status_code=500, error="HTTP 500") for m in messages for n in (1, 2)]
    )
    with django_assert_max_num_queries(12):
        response = staff.get(f"/webhooks/{endpoint.pk}/")
    assert response.status_code == 200


def test_rotate_shows_the_new_secret_once(staff, endpoint):
    old = endpoint.secret
    response = staff.post(f"/webhooks/{endpoint.pk}/rotate/")
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert SECRET.findall(response.content.decode()) == [endpoint.secret]
    assert "no-store" in response["Cache-Control"]
    detail = staff.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret not in detail and old not in detail
    assert "The previous secret also signs until" in detail


def test_send_a_test_event_then_redeliver_it(staff, receiver, endpoint):
    response = staff.post(f"/webhooks/{endpoint.pk}/test/")
    assert response.status_code == 302
    message = WebhookMessage.objects.get(endpoint=endpoint)
    assert message.event == services.TEST_EVENT
    services.webhook_messages_send([message.pk])
    response = staff.post(f"/webhooks/{endpoint.pk}/deliveries/{message.pk}/redeliver/")
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == WebhookMessageStatus.PENDING
    services.webhook_messages_send([message.pk])
    assert [p.headers["webhook-id"] for p in receiver.posts()] == [message.message_id] * 2
    assert all(p.verified == {endpoint.secret: True} for p in receiver.posts())


def test_disable_then_enable(staff, admin_user, endpoint):
    staff.post(f"/webhooks/{endpoint.pk}/active/", {"active": "false"})
    endpoint.refresh_from_db()
    assert not endpoint.is_active and admin_user.email in endpoint.disabled_reason
    page = staff.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "Disabled: nothing is sent to this endpoint." in page
    response = staff.post(f"/webhooks/{endpoint.pk}/test/", follow=True)
    assert "enable it before sending" in response.content.decode()
    assert not WebhookMessage.objects.exists()
    staff.post(f"/webhooks/{endpoint.pk}/active/", {"active": "true"})
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.disabled_reason == ""


def test_delete(staff, endpoint):
    response = staff.post(f"/webhooks/{endpoint.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/webhooks/"
    assert not WebhookEndpoint.objects.exists()


def test_a_message_of_another_endpoint_cannot_be_redelivered_here(staff, receiver, endpoint):
    other = services.webhook_endpoint_create(url=receiver.url, events=["*"])
    [message] = services.webhook_publish(event="crm.contact.created", data={})
    assert message.endpoint_id == other.pk
    assert staff.post(f"/webhooks/{endpoint.pk}/deliveries/{message.pk}/redeliver/").status_code == 404


# ---- admin -------------------------------------------------------------------------------------------------------


def test_admin_pages_never_show_the_secret(staff, endpoint):
    [message] = services.webhook_publish(event="crm.account.created", data={})
    services.webhook_messages_send([message.pk])
    attempt = WebhookAttempt.objects.get()
    for path in (
        "/admin/notifications/webhookendpoint/",
        f"/admin/notifications/webhookendpoint/{endpoint.pk}/change/",
        "/admin/notifications/webhookmessage/?status=succeeded&event=crm.account.created",
        f"/admin/notifications/webhookmessage/{message.pk}/change/",
        "/admin/notifications/webhookattempt/?succeeded__exact=1",
        f"/admin/notifications/webhookattempt/{attempt.pk}/change/",
    ):
        response = staff.get(path)
        assert response.status_code == 200, path
        assert endpoint.secret not in response.content.decode(), path
    assert staff.get("/admin/notifications/webhookendpoint/add/").status_code == 403


def test_admin_redeliver_action(staff, endpoint):
    [message] = services.webhook_publish(event="crm.account.created", data={})
    services.webhook_messages_send([message.pk])
    response = staff.post(
        "/admin/notifications/webhookmessage/", {"action": "redeliver", "_selected_action": [str(message.pk)]}
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == WebhookMessageStatus.PENDING


def test_admin_change_checks_the_url_and_disables_through_the_service(staff, settings, admin_user, endpoint):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    data = {"url": "http://10.0.0.1/", "description": "", "events": "crm.account.created", "owner": admin_user.pk}
    response = staff.post(f"/admin/notifications/webhookendpoint/{endpoint.pk}/change/", data)
    assert response.status_code == 200 and "is not a public address" in response.content.decode()
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    data.update(url=endpoint.url, events="*")  # is_active left out: unticked
    response = staff.post(f"/admin/notifications/webhookendpoint/{endpoint.pk}/change/", data)
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.is_active) == (["*"], False)
    assert admin_user.email in endpoint.disabled_reason


def test_a_staff_user_with_only_the_view_permission_sees_no_action_buttons(client_as, endpoint):
    from django.contrib.auth.models import Permission

    viewer = StaffFactory(email="viewer@example.com", roles=[])
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookendpoint"))
    page = client_as(viewer).get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "Rotate secret" not in page and "Send test event" not in page and "Delete endpoint" not in page
