"""A send batch's claim on its rows (renewed while it runs, never overwriting a row handed to another worker),
quiet hours checked again at send time, and the scan's lease on rows already handed to a task."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from notifications import services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, QuietHours
from notifications.services import recording, sending
from tests.notifications.email_support import NEWSLETTER, OUTAGE, contact, smtp_running

pytestmark = pytest.mark.django_db

NEWS = {"title": "T", "body": "B", "account": {}}
LAGOS = zoneinfo.ZoneInfo("Africa/Lagos")


@pytest.fixture
def smtp_server(settings):
    with smtp_running(settings) as server:
        yield server


def test_a_batch_does_not_record_over_a_row_handed_to_another_worker(smtp_server):
    first, second = services.notify(NEWSLETTER, [contact(), contact(email_address="b@example.com")], NEWS)
    t0 = timezone.now()
    claimed = services.deliveries_claim([first.pk, second.pk], now=t0)
    lease = claimed[0].locked_until
    assert {d.locked_until for d in claimed} == {lease}
    # The scan found this batch too slow and another worker claimed `second` (a new lease, one more attempt).
    theirs = lease + dt.timedelta(seconds=7)
    Delivery.objects.filter(pk=second.pk).update(locked_until=theirs, attempts=2)

    ours, renewed = sending._lease_renew([first.pk, second.pk], lease)
    assert ours == {first.pk} and renewed > lease
    assert Delivery.objects.get(pk=second.pk).locked_until == theirs  # untouched

    for delivery in claimed:
        delivery.status, delivery.reason, delivery.locked_until = DeliveryStatus.FAILED, "ours", None
    recording.record(claimed, lease=renewed)
    assert Delivery.objects.get(pk=first.pk).reason == "ours"
    other = Delivery.objects.get(pk=second.pk)
    assert (other.status, other.reason, other.locked_until) == (DeliveryStatus.SENDING, "", theirs)


def test_a_slow_batch_renews_its_claim_and_still_sends_each_once(smtp_server, monkeypatch):
    monkeypatch.setattr(sending, "RENEW_SECONDS", 0)  # renew before every send
    deliveries = services.notify(NEWSLETTER, [contact(email_address=f"p{n}@example.com") for n in range(5)], NEWS)
    assert services.deliveries_send([d.pk for d in deliveries]) == 5
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == [
        f"p{n}@example.com" for n in range(5)
    ]
    rows = Delivery.objects.filter(pk__in=[d.pk for d in deliveries])
    assert {(r.status, r.attempts, r.locked_until) for r in rows} == {(DeliveryStatus.SENT, 1, None)}


def test_an_sms_retried_inside_quiet_hours_waits_for_the_window_to_end():
    ada = contact(phone="+2348031234567")
    before = dt.datetime(2025, 3, 10, 21, 0, tzinfo=LAGOS)  # queued before the window
    sms = {d.channel: d for d in services.notify(OUTAGE, [ada], {"area": "Lekki", "eta": "18:00"}, now=before)}[
        Channel.SMS
    ]
    assert sms.scheduled_for is None
    QuietHours.objects.create(
        recipient_key=ada.key, start=dt.time(22, 0), end=dt.time(7, 0), time_zone="Africa/Lagos"
    )  # set since
    inside = dt.datetime(2025, 3, 10, 23, 15, tzinfo=LAGOS)  # a backoff retry, or a worker late to it
    assert services.deliveries_send([sms.pk], now=inside) == 0
    sms.refresh_from_db()
    end = dt.datetime(2025, 3, 11, 7, 0, tzinfo=LAGOS)
    assert (sms.status, sms.scheduled_for, sms.reason) == (DeliveryStatus.QUEUED, end, "deferred by quiet hours")
    assert sms.attempts == 0 and sms.locked_until is None  # claimed, never tried
    assert sms.pk not in services.deliveries_due(now=end - dt.timedelta(seconds=1))
    assert sms.pk in services.deliveries_due(now=end)


def test_the_scan_does_not_hand_out_queued_rows_again_while_their_task_has_them():
    (delivery,) = services.notify(NEWSLETTER, [contact()], NEWS)
    created = Delivery.objects.get(pk=delivery.pk).created_at
    # notify() queued a task for it: the scan leaves it alone for QUEUE_LEASE_SECONDS, not just 30 s.
    assert delivery.pk not in services.deliveries_due(now=created + dt.timedelta(seconds=31))
    later = created + dt.timedelta(seconds=services.QUEUE_LEASE_SECONDS + 1)
    assert services.deliveries_due(now=later) == [delivery.pk]  # the task was lost: handed out again
    assert services.deliveries_due(now=later + dt.timedelta(seconds=10)) == []  # and leased again
    again = later + dt.timedelta(seconds=services.QUEUE_LEASE_SECONDS + 1)
    assert services.deliveries_due(now=again) == [delivery.pk]
