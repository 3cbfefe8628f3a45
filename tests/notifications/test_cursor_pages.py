"""The append-only logs page by cursor (omni.api.pagination.CursorPagination): the delivery log, an endpoint's
webhook messages and the in-app inbox answer `next`/`previous`/`results` and no `count`, newest first; a cursor
that was not made here is a 400 naming `cursor`; `limit` stops at 1000; a page costs the same queries whatever
the number of rows."""

import base64
import re
import uuid
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from notifications import services
from notifications.models import Notification, WebhookAttempt, WebhookMessage
from tests.omni.api_contract import assert_error
from tests.portals.staff.test_notifications import _deliveries

pytestmark = pytest.mark.django_db

DELIVERIES = "/api/v1/notifications/deliveries/"
INBOX = "/api/v1/notifications/inbox/"
ENDPOINTS = "/api/v1/notifications/webhook-endpoints/"
INVALID = "This cursor is not valid; use the next or previous link of an earlier page."


@pytest.fixture
def endpoint(settings, admin_user):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    return services.webhook_endpoint_create(url="https://93.184.215.14/hook", events=["*"], owner=admin_user)


def _messages(endpoint, n: int) -> list[WebhookMessage]:
    now = timezone.now()
    rows = [
        WebhookMessage(
            endpoint=endpoint,
            message_id=f"msg_{uuid.uuid4().hex}",
            event="crm.account.created",
            payload={"n": i},
            created_at=now - timezone.timedelta(seconds=i),
        )
        for i in range(n)
    ]
    messages = WebhookMessage.objects.bulk_create(rows)
    WebhookAttempt.objects.bulk_create([WebhookAttempt(message=m, number=1, status_code=500) for m in messages])
    return messages


def _notes(user, n: int) -> list[Notification]:
    now = timezone.now()
    rows = [
        Notification(
            user=user, event="crm.account.created", title=f"Note {i}", created_at=now - timezone.timedelta(seconds=i)
        )
        for i in range(n)
    ]
    return Notification.objects.bulk_create(rows)


def _cursor(link: str) -> str:
    return parse_qs(urlsplit(link).query)["cursor"][0]


def _walk(client, url: str, newest_first: list) -> None:
    """Pages of 2 forward to the end and back again: next/previous links, no count, every row once, newest first."""
    first = client.get(url, {"limit": 2}).json()
    assert set(first) == {"next", "previous", "results"}
    assert first["previous"] is None
    pages, page = [first], first
    while page["next"]:
        assert parse_qs(urlsplit(page["next"]).query)["limit"] == ["2"]
        page = client.get(url, {"limit": 2, "cursor": _cursor(page["next"])}).json()
        pages.append(page)
    ids = [row["id"] for page in pages for row in page["results"]]
    assert ids == [str(row.pk) for row in newest_first]
    assert [len(page["results"]) for page in pages] == [2, 2, 1]
    back = client.get(url, {"limit": 2, "cursor": _cursor(pages[-1]["previous"])}).json()
    assert [row["id"] for row in back["results"]] == ids[2:4]


def test_the_delivery_log_pages_by_cursor(api_as, admin_user):
    rows = _deliveries(5)  # created a second apart, the first newest
    _walk(api_as(admin_user), DELIVERIES, rows)


def test_webhook_messages_page_by_cursor(api_as, admin_user, endpoint):
    rows = _messages(endpoint, 5)
    _walk(api_as(admin_user), f"{ENDPOINTS}{endpoint.pk}/deliveries/", rows)


def test_the_inbox_pages_by_cursor(api_as, agent):
    rows = _notes(agent, 5)
    _walk(api_as(agent), INBOX, rows)


def test_rows_created_in_the_same_microsecond_are_each_listed_once(api_as, agent):
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        [Notification(user=agent, event="crm.account.created", title=f"N{i}", created_at=now) for i in range(5)]
    )
    client = api_as(agent)
    first = client.get(INBOX, {"limit": 2}).json()
    second = client.get(INBOX, {"limit": 2, "cursor": _cursor(first["next"])}).json()
    third = client.get(INBOX, {"limit": 2, "cursor": _cursor(second["next"])}).json()
    ids = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert ids == [str(pk) for pk in sorted((row.pk for row in rows), reverse=True)]
    assert third["next"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        base64.b64encode(b"r=maybe").decode(),
        base64.b64encode(b"p=yesterday").decode(),  # well formed, but no date-time to compare created_at with
    ],
)
def test_a_forged_cursor_is_400_naming_cursor(api_as, admin_user, agent, endpoint, cursor):
    _deliveries(1)
    for client, url in (
        (api_as(admin_user), DELIVERIES),
        (api_as(admin_user), f"{ENDPOINTS}{endpoint.pk}/deliveries/"),
        (api_as(agent), INBOX),
    ):
        body = assert_error(client.get(url, {"cursor": cursor}), 400, field="cursor", code="invalid")
        assert body == {"code": "invalid", "detail": f"cursor: {INVALID}", "fields": {"cursor": [INVALID]}}


def test_limit_stops_at_1000(api_as, agent):
    _notes(agent, 1001)
    body = api_as(agent).get(INBOX, {"limit": 5000}).json()
    assert len(body["results"]) == 1000
    assert body["next"] is not None


def test_ordering_is_not_a_parameter_of_the_cursor_lists(api_as, agent):
    """The cursor pages newest first only: ?ordering is ignored, not honoured."""
    rows = _notes(agent, 3)
    body = api_as(agent).get(INBOX, {"ordering": "created_at"}).json()
    assert [row["id"] for row in body["results"]] == [str(row.pk) for row in rows]


@pytest.mark.parametrize("rows", [10, 60])
def test_a_delivery_log_page_costs_the_same_queries(api_as, admin_user, rows, django_assert_max_num_queries):
    _deliveries(rows)
    client = api_as(admin_user)
    with django_assert_max_num_queries(6):  # token, user, permissions (groups, user), page: no count
        response = client.get(DELIVERIES, {"limit": 1000})
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [10, 60])
def test_a_webhook_messages_page_costs_the_same_queries(
    api_as, admin_user, endpoint, rows, django_assert_max_num_queries
):
    _messages(endpoint, rows)
    client = api_as(admin_user)
    with django_assert_max_num_queries(9):  # token, user, permissions, endpoint, page, attempts: no count
        response = client.get(f"{ENDPOINTS}{endpoint.pk}/deliveries/", {"limit": 1000})
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [10, 60])
def test_an_inbox_page_costs_the_same_queries(api_as, agent, rows, django_assert_max_num_queries):
    _notes(agent, rows)
    client = api_as(agent)
    with django_assert_max_num_queries(3):  # token (then cached), page: no count
        response = client.get(INBOX, {"limit": 1000})
    assert len(response.json()["results"]) == rows


# ---- console pages ----------------------------------------------------------------------------------------------


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a [^>]*href="([^"]+)"[^>]*rel="{rel}"', html)
    return unescape(found.group(1)) if found else None


def test_the_console_delivery_log_pages_by_cursor(client_as, admin_user):
    _deliveries(51)  # a page holds 50
    client = client_as(admin_user)
    first = client.get("/notifications/deliveries/", {"status": "sent"}).content.decode()
    assert "50 deliveries shown" in first and " of " not in first  # no count, no "page N of M"
    assert _link(first, "prev") is None
    older = urlsplit(_link(first, "next"))
    assert (older.path, parse_qs(older.query)["status"]) == ("/notifications/deliveries/", ["sent"])
    second = client.get(f"{older.path}?{older.query}", HTTP_HX_REQUEST="true").content.decode()
    assert "1 delivery shown" in second and "<h1" not in second
    assert (_link(second, "next"), _link(second, "prev") is not None) == (None, True)


def test_the_console_webhook_log_pages_by_cursor(client_as, admin_user, endpoint):
    _messages(endpoint, 21)  # a page holds 20
    client = client_as(admin_user)
    first = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert first.count("Redeliver msg_") == 20
    older = _link(first, "next")
    assert older.startswith(f"/webhooks/{endpoint.pk}/?cursor=")
    second = client.get(older, HTTP_HX_REQUEST="true").content.decode()
    assert second.count("Redeliver msg_") == 1
    assert _link(second, "next") is None


def test_a_console_page_with_a_bad_cursor_starts_at_the_first(client_as, admin_user):
    rows = _deliveries(3)
    response = client_as(admin_user).get("/notifications/deliveries/", {"cursor": "not-a-cursor!"})
    assert response.status_code == 200
    assert [row.pk for row in response.context["page"]["rows"]] == [row.pk for row in rows]


# ---- statistics read the last 30 days unless dates are given ----------------------------------------------------


def test_delivery_statistics_read_the_last_30_days_by_default(api_as, client_as, admin_user):
    now = timezone.now()
    _deliveries(2, created_at=now)
    _deliveries(3, created_at=now - timezone.timedelta(days=45))
    api = api_as(admin_user)
    assert [row["total"] for row in api.get(f"{DELIVERIES}stats/").json()] == [2]
    old_day = (timezone.localdate() - timezone.timedelta(days=60)).isoformat()
    assert [row["total"] for row in api.get(f"{DELIVERIES}stats/", {"date_from": old_day}).json()] == [5]

    client = client_as(admin_user)
    response = client.get("/notifications/statistics/")
    since = timezone.localdate() - timezone.timedelta(days=29)
    assert [row["total"] for row in response.context["rows"]] == [2]
    assert response.context["default_from"] == since
    assert "The last 30 days, since " in response.content.decode()
    chosen = client.get("/notifications/statistics/", {"date_from": old_day})
    assert [row["total"] for row in chosen.context["rows"]] == [5]
    assert "Deliveries created in the dates chosen." in chosen.content.decode()


def test_webhook_message_counts_read_the_last_30_days(client_as, admin_user, endpoint):
    old = _messages(endpoint, 3)
    WebhookMessage.objects.filter(pk__in=[m.pk for m in old]).update(
        created_at=timezone.now() - timezone.timedelta(days=31)
    )
    _messages(endpoint, 2)
    response = client_as(admin_user).get(f"/webhooks/{endpoint.pk}/")
    assert dict(response.context["summary"])["Pending"] == 2
    assert "Created in the last 30 days." in response.content.decode()
