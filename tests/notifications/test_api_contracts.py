"""The notifications API resources run the shared API contracts (tests/omni/api_contract.py):

  webhook endpoints   staff by role (Admin), read and write, hard delete, limit/offset
  event types         any active staff user (no role needed), read-only, not rows
  deliveries          staff by role (view_delivery), read-only log, by cursor
  inbox               own records, every audience reads its own, by cursor
  push subscriptions  own records, no detail, staff create and delete through the API, hard delete
  webhook messages    an endpoint's delivery log (…/{id}/deliveries/): reads, by cursor

What is particular to each resource stays in its own file (test_webhook_api.py, test_event_types_api.py,
test_push_api.py, test_bell.py, tests/portals/staff/test_notifications.py)."""

import pytest

from notifications import registry, services
from notifications.choices import DeliveryStatus
from notifications.models import Delivery, Notification, PushSubscription, WebhookEndpoint, WebhookMessage
from tests.notifications.sms_support import Browser
from tests.omni.api_contract import (
    CursorListContract,
    HardDeleteContract,
    LimitOffsetListContract,
    OwnRecordsContract,
    ReadContract,
    RoleReadContract,
    RoleWriteContract,
    StaffOnlyContract,
    WriteContract,
    assert_error,
)

API = "/api/v1/notifications/"
PUBLIC_URL = "https://93.184.215.14/hooks"  # a public address literal: no DNS lookup, nothing sent in a test

# ---- webhook endpoints -------------------------------------------------------------------------------------------


class TestWebhookEndpointApi(
    ReadContract, RoleReadContract, StaffOnlyContract, LimitOffsetListContract, RoleWriteContract, HardDeleteContract
):
    url = f"{API}webhook-endpoints/"
    model = WebhookEndpoint
    list_queries = 4  # token + user, last_used_at stamp, COUNT, the page (owner joined)
    ordering_fields = ["url", "created_at", "updated_at"]

    @pytest.fixture(autouse=True)
    def _webhook_settings(self, settings):
        settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    def make_rows(self, n):
        WebhookEndpoint.objects.bulk_create(
            [
                WebhookEndpoint(url=f"{PUBLIC_URL}/{i:04d}", events=["*"], secret=services.secret_generate())
                for i in range(n)
            ]
        )

    def created_body(self, body):
        return {key: value for key, value in body.items() if key != "secret"}  # shown once, in this answer

    @pytest.fixture
    def obj(self, admin_user):
        return services.webhook_endpoint_create(url=f"{PUBLIC_URL}/obj", events=["*"], owner=admin_user)

    @pytest.fixture
    def create_payload(self):
        return {"url": f"{PUBLIC_URL}/new", "events": ["crm.account.created"], "description": "CRM sync"}

    @pytest.fixture
    def update_payload(self):
        return {"url": f"{PUBLIC_URL}/moved", "description": "Moved"}

    @pytest.fixture
    def bad_payloads(self):
        return [
            ("url", {"url": "not a url", "events": ["*"]}),
            ("url", {"url": "ftp://93.184.215.14/", "events": ["*"]}),
            ("url", {"url": "https://10.0.0.7/hooks", "events": ["*"]}),
            ("events", {"url": PUBLIC_URL, "events": ["crm.account.exploded"]}),
            ("events", {"url": PUBLIC_URL, "events": "*"}),
            ("description", {"url": PUBLIC_URL, "events": ["*"], "description": "x" * 201}),
            ("active", {"url": PUBLIC_URL, "events": ["*"], "active": "sometimes"}),
        ]


# ---- event types -------------------------------------------------------------------------------------------------


class TestEventTypeApi(ReadContract, RoleReadContract, StaffOnlyContract):
    """Not rows: the catalogue in code. Any active staff user reads it, with or without a role."""

    url = f"{API}event-types/"
    model = None
    id_key = "key"

    def row_id(self, obj):
        return obj.key

    def may_read(self, user):
        return True

    @pytest.fixture
    def obj(self, db):
        return registry.get("crm.account.created")


def test_an_unknown_event_type_is_404(api_as, admin_user):
    body = assert_error(api_as(admin_user).get(f"{API}event-types/crm.account.exploded/"), 404, code="not_found")
    assert body["detail"] == "No event type 'crm.account.exploded'."


# ---- deliveries --------------------------------------------------------------------------------------------------


def _delivery(n: int, **fields) -> Delivery:
    return Delivery(
        idempotency_key=f"contract:{n}",
        event="crm.account.created",
        channel="sms",
        recipient_key=f"crm.contact:{n}",
        address=f"+23480312{n:05d}",
        **fields,
    )


class TestDeliveryApi(ReadContract, RoleReadContract, StaffOnlyContract, CursorListContract):
    """The delivery log: read-only through the API (retrying is test_notify.py's), paged by cursor."""

    url = f"{API}deliveries/"
    model = Delivery
    list_queries = 3  # token + user, last_used_at stamp, the page (nothing counts the log)
    cursor_page_size = 50
    detail_only_fields = ("body_text", "body_html", "provider_response")

    def make_rows(self, n):
        statuses = DeliveryStatus.values
        Delivery.objects.bulk_create(
            [_delivery(1000 + i, status=statuses[i % len(statuses)], attempts=i % 4) for i in range(n)]
        )

    @pytest.fixture
    def obj(self, db):
        delivery = _delivery(1, status=DeliveryStatus.FAILED, reason="the provider reported a failure")
        delivery.save()
        return delivery


def test_deliveries_are_read_only_through_the_api(api_as, admin_user):
    delivery = Delivery.objects.bulk_create([_delivery(7)])[0]
    before = list(Delivery.objects.order_by("pk").values())
    client = api_as(admin_user)
    assert_error(client.post(f"{API}deliveries/", {"event": "x"}), 405, code="method_not_allowed")
    assert_error(client.patch(f"{API}deliveries/{delivery.pk}/", {"status": "sent"}), 405)
    assert_error(client.delete(f"{API}deliveries/{delivery.pk}/"), 405)
    assert list(Delivery.objects.order_by("pk").values()) == before


# ---- inbox -------------------------------------------------------------------------------------------------------


class TestInboxApi(ReadContract, OwnRecordsContract, CursorListContract):
    """Every audience reads its own in-app notifications; somebody else's is a 404. Paged by cursor."""

    url = f"{API}inbox/"
    model = Notification
    list_queries = 3  # token + user, last_used_at stamp, the page (nothing counts the log)
    cursor_page_size = 50

    def make_own(self, user):
        return Notification.objects.create(user=user, event="crm.account.created", title=f"For {user.email}")

    def make_rows(self, n):
        user = self._reader
        Notification.objects.bulk_create(
            [Notification(user=user, event="crm.account.created", title=f"Note {i}") for i in range(n)]
        )

    def visible_rows(self):
        return Notification.objects.filter(user=self._reader)

    @pytest.fixture
    def readers(self, reader):
        return [reader]  # own records: OwnRecordsContract reads as everyone else

    @pytest.fixture(autouse=True)
    def _remember_reader(self, reader):
        self._reader = reader  # make_rows and visible_rows are the reader's own

    @pytest.fixture
    def obj(self, reader):
        return self.make_own(reader)


def test_marking_read_through_the_api_is_for_staff_and_changes_nothing_otherwise(api_as, customer, admin_user):
    note = Notification.objects.create(user=customer, event="crm.account.created", title="Yours")
    client = api_as(customer)
    body = assert_error(client.post(f"{API}inbox/{note.pk}/mark-read/"), 403, code="permission_denied")
    assert body["detail"] == "Portal users have read-only API access."
    assert_error(client.post(f"{API}inbox/mark-all-read/"), 403, code="permission_denied")
    assert_error(api_as(admin_user).post(f"{API}inbox/{note.pk}/mark-read/"), 404, code="not_found")
    note.refresh_from_db()
    assert note.read_at is None


# ---- push subscriptions ------------------------------------------------------------------------------------------


def _subscription_body(endpoint="https://fcm.googleapis.com/fcm/send/contract", **keys):
    return {"endpoint": endpoint, "keys": {**Browser().keys, **keys}}


class TestPushSubscriptionApi(
    ReadContract, OwnRecordsContract, LimitOffsetListContract, WriteContract, HardDeleteContract
):
    """A person's browsers: list, subscribe (POST), unsubscribe (DELETE); no detail and no PATCH. Staff only write
    through the API; portal users with their portal session (test_push_api.py)."""

    url = f"{API}push-subscriptions/"
    model = PushSubscription
    has_detail = False
    writes = ("create", "delete")
    list_queries = 4  # token + user, last_used_at stamp, COUNT, the page
    ordering_fields = ["created_at", "last_used_at"]

    def make_own(self, user):
        return PushSubscription.objects.create(
            user=user, endpoint=f"https://push.example.com/send/{user.pk}", **Browser().keys
        )

    def make_rows(self, n):
        keys = Browser().keys
        PushSubscription.objects.bulk_create(
            [
                PushSubscription(user=self._reader, endpoint=f"https://push.example.com/send/bulk-{i}", **keys)
                for i in range(n)
            ]
        )

    def visible_rows(self):
        return PushSubscription.objects.filter(user=self._reader)

    @pytest.fixture
    def readers(self, reader):
        return [reader]

    @pytest.fixture(autouse=True)
    def _remember_reader(self, reader):
        self._reader = reader  # make_rows and visible_rows are the reader's own

    @pytest.fixture
    def obj(self, reader):
        return self.make_own(reader)

    @pytest.fixture
    def create_payload(self):
        return _subscription_body()

    @pytest.fixture
    def update_payload(self):
        return {}

    @pytest.fixture
    def bad_payloads(self):
        return [
            ("endpoint", _subscription_body(endpoint="http://push.example.com/x")),
            ("endpoint", _subscription_body(endpoint="https://10.0.0.7/x")),
            ("endpoint", _subscription_body(endpoint="not a url")),
            ("keys", _subscription_body(p256dh="AAAA")),
            ("keys", {"endpoint": "https://fcm.googleapis.com/fcm/send/contract"}),
        ]


# ---- webhook messages: an endpoint's delivery log ----------------------------------------------------------------


class TestWebhookMessageLogApi(ReadContract, CursorListContract):
    """GET webhook-endpoints/{id}/deliveries/ and …/deliveries/{message id}/: the endpoint's messages, staff with
    view_webhookendpoint (test_webhook_api.py has the rest), paged by cursor."""

    model = WebhookMessage
    portal_reads = False
    list_queries = 6  # token + user, last_used_at stamp, permissions, the endpoint, the page, attempts
    cursor_page_size = 50

    @pytest.fixture(autouse=True)
    def _endpoint(self, admin_user, reader):
        self.endpoint = services.webhook_endpoint_create(url=f"{PUBLIC_URL}/log", events=["*"], owner=admin_user)
        self.url = f"{API}webhook-endpoints/{self.endpoint.pk}/deliveries/"

    def _message(self, n: int) -> WebhookMessage:
        return WebhookMessage(
            endpoint=self.endpoint,
            message_id=f"msg_contract_{n}",
            event="crm.account.created",
            payload={"type": "crm.account.created", "data": {"n": n}},
        )

    def make_rows(self, n):
        WebhookMessage.objects.bulk_create([self._message(1000 + i) for i in range(n)])

    def visible_rows(self):
        return WebhookMessage.objects.filter(endpoint=self.endpoint)

    @pytest.fixture
    def obj(self, _endpoint):
        message = self._message(1)
        message.save()
        return message


def test_another_endpoints_message_is_404(api_as, admin_user):
    mine = services.webhook_endpoint_create(url=f"{PUBLIC_URL}/mine", events=["*"])
    theirs = services.webhook_endpoint_create(url=f"{PUBLIC_URL}/theirs", events=["*"])
    message = WebhookMessage.objects.create(
        endpoint=theirs, message_id="msg_theirs", event="crm.account.created", payload={}
    )
    client = api_as(admin_user)
    assert_error(client.get(f"{API}webhook-endpoints/{mine.pk}/deliveries/{message.pk}/"), 404, code="not_found")
    assert client.get(f"{API}webhook-endpoints/{theirs.pk}/deliveries/{message.pk}/").status_code == 200
