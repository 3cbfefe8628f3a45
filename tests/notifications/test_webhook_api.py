"""The webhook endpoints API: /api/v1/notifications/webhook-endpoints/ and its deliveries, as an outside client
(literal URLs, real Bearer tokens); webhooks for crm events carry the API's own representation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import services
from notifications.choices import WebhookMessageStatus
from notifications.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from tests.notifications.outbox_support import outbox_run_published
from tests.notifications.webhook_support import Answer, Receiver
from tests.omni.api_contract import assert_error
from tests.omni.factories import StaffFactory

URL = "/api/v1/notifications/webhook-endpoints/"


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]
    settings.WEBHOOK_SECRET_OVERLAP_HOURS = 24


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def api(api_as, admin_user):
    return api_as(admin_user)


@pytest.fixture
def endpoint(receiver, admin_user):
    endpoint = services.webhook_endpoint_create(url=receiver.url, events=["*"], owner=admin_user)
    receiver.secrets.append(endpoint.secret)
    return endpoint


def _payload(receiver, **overrides):
    return {"url": receiver.url, "events": ["crm.account.created", "crm.account.updated"], **overrides}


# ---- access ------------------------------------------------------------------------------------------------


def test_anonymous_is_401(anon_api, endpoint):
    assert_error(anon_api.get(URL), 401)
    assert_error(anon_api.post(URL, {"url": "https://93.184.215.14/", "events": ["*"]}), 401)


def test_staff_without_the_permission_and_portal_users_get_403(api_as, agent, customer, endpoint):
    for user in (agent, customer):
        client = api_as(user)
        assert_error(client.get(URL), 403)
        assert_error(client.get(f"{URL}{endpoint.pk}/"), 403)
        assert_error(client.post(f"{URL}{endpoint.pk}/rotate-secret/"), 403)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret


def test_a_read_only_token_cannot_write(api_as, admin_user, receiver):
    assert_error(api_as(admin_user, scopes=("read",)).post(URL, _payload(receiver)), 403)
    assert not WebhookEndpoint.objects.exists()


def test_viewing_needs_only_the_view_permission(api_as, endpoint):
    from django.contrib.auth.models import Permission

    viewer = StaffFactory(email="viewer@example.com", roles=[])
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookendpoint"))
    client = api_as(viewer)
    assert client.get(URL).json()["count"] == 1
    assert_error(client.patch(f"{URL}{endpoint.pk}/", {"active": False}), 403)
    assert_error(client.post(f"{URL}{endpoint.pk}/test/"), 403)


# ---- the secret: shown once ------------------------------------------------------------------------------------


def test_create_shows_the_secret_once_and_never_again(api, admin_user, receiver):
    response = api.post(URL, _payload(receiver, description="ERP sync"))
    assert response.status_code == 201, response.content
    body = response.json()
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert body["secret"] == endpoint.secret and body["secret"].startswith("whsec_")
    assert body["url"] == receiver.url == endpoint.url
    assert body["events"] == ["crm.account.created", "crm.account.updated"] == endpoint.events
    assert body["active"] is True and body["description"] == "ERP sync"
    assert body["owner"] == {"id": str(admin_user.pk), "email": admin_user.email, "full_name": admin_user.full_name}
    assert endpoint.owner == admin_user

    listed = api.get(URL).json()["results"]
    detail = api.get(f"{URL}{endpoint.pk}/").json()
    assert [row["id"] for row in listed] == [str(endpoint.pk)]
    for shown in (listed[0], detail):
        assert "secret" not in shown
        assert endpoint.secret not in str(shown)
    changed = api.patch(f"{URL}{endpoint.pk}/", {"description": "ERP"}).json()
    assert "secret" not in changed and changed["description"] == "ERP"


def test_rotate_shows_the_new_secret_and_both_sign_during_the_overlap(api, receiver, endpoint):
    old = endpoint.secret
    response = api.post(f"{URL}{endpoint.pk}/rotate-secret/")
    assert response.status_code == 200, response.content
    body = response.json()
    endpoint.refresh_from_db()
    assert body["secret"] == endpoint.secret != old
    assert endpoint.previous_secret == old
    expires = endpoint.previous_secret_expires_at
    assert timedelta(hours=23, minutes=59) < expires - timezone.now() <= timedelta(hours=24)
    assert body["previous_secret_expires_at"] == expires.isoformat().replace("+00:00", "Z")
    assert "secret" not in api.get(f"{URL}{endpoint.pk}/").json()

    receiver.secrets.append(endpoint.secret)
    [message] = services.webhook_publish(event="crm.account.created", data={"id": "x"})
    services.webhook_messages_send([message.pk])
    [got] = receiver.posts()
    assert got.verified == {old: True, endpoint.secret: True}


# ---- validation: 400 naming the field ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("url", {"url": "not a url"}),
        ("url", {"url": "ftp://93.184.215.14/"}),
        ("url", {"url": ""}),
        ("url", {"url": None}),
        ("url", {"url": "https://" + "a" * 1000 + ".example.com/"}),
        ("events", {"events": []}),
        ("events", {"events": "*"}),
        ("events", {"events": ["crm.account.exploded"]}),
        ("events", {"events": ["*", "crm.account.created"]}),
        ("events", {"events": [{"key": "crm.account.created"}]}),
        ("events", {"events": None}),
        ("description", {"description": "x" * 201}),
        ("active", {"active": "sometimes"}),
    ],
)
def test_bad_input_is_400_naming_the_field(api, receiver, field, changes):
    body = _payload(receiver, **changes)
    assert_error(api.post(URL, body), 400, field=field, code="invalid")
    assert not WebhookEndpoint.objects.exists()


def test_missing_fields_are_400_naming_them(api):
    body = assert_error(api.post(URL, {}), 400)
    assert set(body["fields"]) == {"url", "events"}


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/hooks",
        "http://127.0.0.1:8000/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.0.10/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
def test_a_private_url_is_refused_unless_allowed(api, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    body = assert_error(api.post(URL, {"url": url, "events": ["*"]}), 400, field="url")
    assert "public address" in body["fields"]["url"][0]
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert api.post(URL, {"url": url, "events": ["*"]}).status_code == 201


def test_a_public_url_is_accepted_when_private_ones_are_refused(api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = api.post(URL, {"url": "https://93.184.215.14/hooks", "events": ["*"]})
    assert response.status_code == 201, response.content


def test_changing_the_url_to_a_private_one_is_refused(api, settings, endpoint):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    assert_error(api.patch(f"{URL}{endpoint.pk}/", {"url": "http://10.0.0.5/"}), 400, field="url")
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).url == endpoint.url


def test_put_replaces_and_patch_changes_only_what_it_names(api, receiver, endpoint):
    response = api.put(f"{URL}{endpoint.pk}/", {"url": receiver.url + "/v2", "events": ["crm.contact.created"]})
    assert response.status_code == 200, response.content
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.description) == (receiver.url + "/v2", ["crm.contact.created"], "")
    api.patch(f"{URL}{endpoint.pk}/", {"description": "CRM"})
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.description) == (["crm.contact.created"], "CRM")


def test_put_without_active_keeps_a_disabled_endpoint_disabled(api, receiver, endpoint):
    api.patch(f"{URL}{endpoint.pk}/", {"active": False})
    body = api.put(f"{URL}{endpoint.pk}/", {"url": receiver.url, "events": ["*"]}).json()
    assert body["active"] is False and body["events"] == ["*"]
    assert api.post(URL, {"url": receiver.url, "events": ["*"]}).json()["active"] is True


def test_disable_and_enable_through_active(api, admin_user, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=4)
    body = api.patch(f"{URL}{endpoint.pk}/", {"active": False}).json()
    assert body["active"] is False and body["disabled_at"]
    assert admin_user.email in body["disabled_reason"]
    body = api.patch(f"{URL}{endpoint.pk}/", {"active": True}).json()
    assert (body["active"], body["disabled_at"], body["disabled_reason"], body["consecutive_failures"]) == (
        True,
        None,
        "",
        0,
    )


def test_delete_removes_the_endpoint_and_its_log(api, endpoint):
    [message] = services.webhook_publish(event="crm.account.created", data={})
    services.webhook_messages_send([message.pk])
    assert api.delete(f"{URL}{endpoint.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookMessage.objects.exists() and not WebhookAttempt.objects.exists()
    assert_error(api.get(f"{URL}{endpoint.pk}/"), 404)


def test_unknown_and_malformed_ids_are_404(api, endpoint):
    assert_error(api.get(f"{URL}00000000-0000-0000-0000-000000000000/"), 404)
    assert_error(api.get(f"{URL}nope/"), 404)
    assert_error(api.get(f"{URL}{endpoint.pk}/deliveries/nope/"), 404)
    assert_error(api.post(f"{URL}{endpoint.pk}/deliveries/00000000-0000-0000-0000-000000000000/redeliver/"), 404)


def test_list_filters(api, receiver, admin_user):
    services.webhook_endpoint_create(url=receiver.url + "/erp", events=["crm.account.created"], description="ERP")
    services.webhook_endpoint_create(url=receiver.url + "/all", events=["*"], is_active=False)
    services.webhook_endpoint_create(url=receiver.url + "/people", events=["crm.contact.created"])

    def urls(**params):
        return sorted(row["url"].rsplit("/", 1)[1] for row in api.get(URL, params).json()["results"])

    assert urls() == ["all", "erp", "people"]
    assert urls(active="false") == ["all"]
    assert urls(event="crm.account.created") == ["all", "erp"]
    assert urls(search="erp") == ["erp"]
    assert_error(api.get(URL, {"ordering": "secret"}), 400, field="ordering")


# ---- deliveries, test events, redelivery --------------------------------------------------------------------------


def test_deliveries_list_messages_with_their_attempts(api, receiver, endpoint):
    receiver.answer(Answer(500, b"boom"))
    now = timezone.now()
    [message] = services.webhook_publish(event="crm.account.created", data={"id": "a1"}, now=now)
    services.webhook_messages_send([message.pk], now=now)
    later = now + timedelta(seconds=5)
    services.webhook_messages_send([message.pk], now=later)
    [other] = services.webhook_publish(event="crm.contact.created", data={"id": "c1"}, now=later)

    response = api.get(f"{URL}{endpoint.pk}/deliveries/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["next"], body["previous"], "count" in body) == (None, None, False)  # paged by cursor, no count
    newest, oldest = body["results"]
    assert (newest["id"], newest["status"], newest["attempts"]) == (str(other.pk), "pending", [])
    assert oldest["webhook_id"] == message.message_id
    assert (oldest["status"], oldest["attempt_count"], oldest["event"]) == ("succeeded", 2, "crm.account.created")
    assert oldest["payload"]["data"] == {"id": "a1"}
    assert [(a["number"], a["status_code"], a["succeeded"], a["error"]) for a in oldest["attempts"]] == [
        (1, 500, False, "HTTP 500"),
        (2, 200, True, ""),
    ]
    assert oldest["attempts"][0]["response_excerpt"] == "boom"
    assert isinstance(oldest["attempts"][0]["latency_ms"], int)

    only_pending = api.get(f"{URL}{endpoint.pk}/deliveries/", {"status": "pending"}).json()
    assert [row["id"] for row in only_pending["results"]] == [str(other.pk)]
    assert_error(api.get(f"{URL}{endpoint.pk}/deliveries/", {"status": "lost"}), 400, field="status")
    one = api.get(f"{URL}{endpoint.pk}/deliveries/{message.pk}/").json()
    assert one == oldest


def test_a_message_of_another_endpoint_is_404(api, receiver, endpoint, admin_user):
    other = services.webhook_endpoint_create(url=receiver.url, events=["*"])
    [message] = [m for m in services.webhook_publish(event="crm.account.created", data={}) if m.endpoint_id == other.pk]
    assert_error(api.get(f"{URL}{endpoint.pk}/deliveries/{message.pk}/"), 404)
    assert_error(api.post(f"{URL}{endpoint.pk}/deliveries/{message.pk}/redeliver/"), 404)


def test_redeliver_queues_a_new_attempt_with_the_same_webhook_id(api, receiver, endpoint):
    [message] = services.webhook_publish(event="crm.account.created", data={"id": "a1"})
    services.webhook_messages_send([message.pk])
    response = api.post(f"{URL}{endpoint.pk}/deliveries/{message.pk}/redeliver/")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == WebhookMessageStatus.PENDING
    services.webhook_messages_send([message.pk])
    first, second = receiver.posts()
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == message.message_id
    assert second.verified == {endpoint.secret: True}
    body = api.get(f"{URL}{endpoint.pk}/deliveries/{message.pk}/").json()
    assert [a["number"] for a in body["attempts"]] == [1, 2]


def test_redeliver_and_test_on_a_disabled_endpoint_are_409(api, endpoint):
    [message] = services.webhook_publish(event="crm.account.created", data={})
    api.patch(f"{URL}{endpoint.pk}/", {"active": False})
    assert_error(api.post(f"{URL}{endpoint.pk}/deliveries/{message.pk}/redeliver/"), 409, field="active")
    assert_error(api.post(f"{URL}{endpoint.pk}/test/"), 409, field="active")


def test_send_a_test_event(api, receiver, endpoint):
    response = api.post(f"{URL}{endpoint.pk}/test/")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["event"] == services.TEST_EVENT and body["status"] == "pending"
    services.webhook_messages_send([body["id"]])
    [got] = receiver.posts()
    assert got.verified == {endpoint.secret: True}
    assert got.headers["webhook-id"] == body["webhook_id"]
    assert got.payload["type"] == services.TEST_EVENT


# ---- query counts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [10, 200])
def test_endpoint_list_queries_do_not_grow(api, admin_user, rows, django_assert_max_num_queries):
    WebhookEndpoint.objects.bulk_create(
        [
            WebhookEndpoint(url=f"https://93.184.215.14/{i}", events=["*"], secret="whsec_x", owner=admin_user)
            for i in range(rows)
        ]
    )
    with django_assert_max_num_queries(10):  # token, user, permissions, count, page (owner joined)
        response = api.get(URL, {"limit": 500})
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [10, 200])
def test_deliveries_list_queries_do_not_grow(api, endpoint, rows, django_assert_max_num_queries):
    messages = WebhookMessage.objects.bulk_create(
        [
            WebhookMessage(endpoint=endpoint, message_id=f"msg_{i}", event="crm.account.created", payload={"n": i})
            for i in range(rows)
        ]
    )
    WebhookAttempt.objects.bulk_create(
        [WebhookAttempt(message=m, number=n, status_code=500, error="HTTP 500") for m in messages for n in (1, 2)]
    )
    with django_assert_max_num_queries(9):  # token, user, permissions, endpoint, page, attempts; no count
        response = api.get(f"{URL}{endpoint.pk}/deliveries/", {"limit": 500})
    results = response.json()["results"]
    assert len(results) == rows
    assert all(len(row["attempts"]) == 2 for row in results)


# ---- crm events end to end ---------------------------------------------------------------------------------------


def test_creating_an_account_through_the_api_sends_its_api_representation(
    api, receiver, admin_user, django_capture_on_commit_callbacks
):
    endpoint = services.webhook_endpoint_create(url=receiver.url, events=["crm.account.created"], owner=admin_user)
    receiver.secrets.append(endpoint.secret)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/crm/accounts/",
            {
                "name": "Acme Fibre",
                "kind": "business",
                "phone": "08031234567",
                "location": {"type": "Point", "coordinates": [3.4, 6.45]},
                "tags": ["Fiber"],
            },
        )
    assert response.status_code == 201, response.content
    assert outbox_run_published() == 1
    [message] = WebhookMessage.objects.filter(endpoint=endpoint)
    assert message.event == "crm.account.created"
    services.webhook_messages_send([message.pk])
    [got] = receiver.posts()
    assert got.verified == {endpoint.secret: True}
    assert got.payload["type"] == "crm.account.created"
    assert got.payload["data"] == response.json()
    assert got.payload["data"]["phone"] == "+2348031234567"
