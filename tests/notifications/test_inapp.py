"""In-app notifications: notify() to a user creates a Notification; the API lists the user's own, marks one or
all read (scoped: another user's id is a 404), with a fixed number of queries whatever the row count."""

import pytest
from django.utils import timezone

from notifications import services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Notification
from notifications.recipients import Recipient
from tests.notifications.sms_support import CONTEXT, EVENT
from tests.omni.api_contract import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/notifications/inbox/"


def make(user, n: int = 1, *, read: bool = False, title: str = "Note") -> list[Notification]:
    rows = [
        Notification(
            user=user, event=EVENT, title=f"{title} {i}", body="Body", read_at=timezone.now() if read else None
        )
        for i in range(n)
    ]
    return Notification.objects.bulk_create(rows)


def test_notify_to_a_user_creates_a_notification(customer):
    (delivery,) = services.notify(
        EVENT, [Recipient.for_user(customer)], CONTEXT, channels=[Channel.INAPP], url="/account/"
    )
    services.deliveries_send([delivery.pk])
    delivery.refresh_from_db()

    assert delivery.status == DeliveryStatus.SENT, delivery.reason
    notification = Notification.objects.get(user=customer)
    assert notification.title == "Outage in Lekki Phase 1"
    assert notification.body == "Service is back by 18:00."
    assert notification.url == "/account/"
    assert notification.read_at is None
    assert delivery.provider_message_id == str(notification.pk)

    services.deliveries_send([delivery.pk])  # a repeated task creates nothing twice
    assert Notification.objects.filter(user=customer).count() == 1


def test_the_api_lists_only_my_notifications_newest_first(api_as, customer, other_customer):
    older, newer = make(customer, 2)
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - timezone.timedelta(hours=1))
    make(other_customer, 3, title="Theirs")
    body = api_as(customer).get(URL).json()
    assert (body["next"], body["previous"], "count" in body) == (None, None, False)  # paged by cursor, no count
    assert [row["id"] for row in body["results"]] == [str(newer.pk), str(older.pk)]
    assert set(body["results"][0]) == {"id", "event", "title", "body", "url", "read", "read_at", "created_at"}
    assert body["results"][0]["created_at"].endswith("Z")


def test_unread_true_lists_unread_only(api_as, agent):
    (unread,) = make(agent, 1)
    make(agent, 2, read=True)
    client = api_as(agent)
    assert [row["id"] for row in client.get(URL, {"unread": "true"}).json()["results"]] == [str(unread.pk)]
    assert len(client.get(URL, {"unread": "false"}).json()["results"]) == 2
    assert len(client.get(URL).json()["results"]) == 3
    assert_error(client.get(URL, {"unread": "maybe"}), 400, field="unread")
    assert client.get(f"{URL}unread-count/").json() == {"unread": 1}


def test_mark_read_is_idempotent_and_scoped_to_the_user(api_as, agent, sales):
    (mine,) = make(agent)
    (theirs,) = make(sales)
    client = api_as(agent)

    response = client.post(f"{URL}{mine.pk}/mark-read/")
    assert response.status_code == 200
    assert response.json()["read"] is True
    mine.refresh_from_db()
    first_read = mine.read_at
    assert first_read is not None
    assert client.post(f"{URL}{mine.pk}/mark-read/").json()["read_at"] == response.json()["read_at"]
    mine.refresh_from_db()
    assert mine.read_at == first_read

    assert_error(client.post(f"{URL}{theirs.pk}/mark-read/"), 404)
    assert_error(client.get(f"{URL}{theirs.pk}/"), 404)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_touches_only_my_notifications(api_as, agent, customer):
    make(agent, 3)
    make(customer, 2)
    response = api_as(agent).post(f"{URL}mark-all-read/")
    assert response.json() == {"unread": 0, "marked": 3}
    assert api_as(agent).post(f"{URL}mark-all-read/").json() == {"unread": 0, "marked": 0}
    assert Notification.objects.filter(user=customer, read_at__isnull=True).count() == 2


def test_anonymous_is_401_and_a_read_only_token_reads_but_cannot_mark(api_as, anon_api, reseller):
    (note,) = make(reseller)
    assert_error(anon_api.get(URL), 401)
    assert_error(anon_api.post(f"{URL}mark-all-read/"), 401)
    reader = api_as(reseller, scopes=("read",))
    assert [row["id"] for row in reader.get(URL).json()["results"]] == [str(note.pk)]
    assert_error(reader.post(f"{URL}{note.pk}/mark-read/"), 403)
    assert_error(reader.post(f"{URL}mark-all-read/"), 403)
    note.refresh_from_db()
    assert note.read_at is None


@pytest.mark.parametrize("rows", [10, 200])
def test_the_api_list_queries_do_not_grow(api_as, agent, rows, django_assert_max_num_queries):
    make(agent, rows)
    client = api_as(agent)
    with django_assert_max_num_queries(3):  # token (then cached), page; no count, no per-row queries
        response = client.get(URL, {"limit": 500})
    assert len(response.json()["results"]) == rows
