"""notify(): what it records, idempotency, and the delivery records' life (claim, retry, stale claims)."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications import registry, services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, Notification
from notifications.recipients import Recipient
from tests.notifications.email_support import NEWSLETTER, contact, smtp_running
from tests.omni.factories import StaffFactory

pytestmark = pytest.mark.django_db

NEWS = {"title": "T", "body": "B", "account": {}}


@pytest.fixture
def smtp_server(settings):
    with smtp_running(settings) as server:
        yield server


def test_one_delivery_per_person_and_channel_with_the_payload_and_base_context():
    ada, bo = contact(), contact(name="Bo", email_address="")
    deliveries = services.notify(NEWSLETTER, [ada, bo, ada], NEWS, channels=[Channel.EMAIL, Channel.SMS])
    assert len(deliveries) == 4  # ada listed twice counts once
    by = {(d.recipient_key, d.channel): d for d in deliveries}
    mail = by[(ada.key, Channel.EMAIL)]
    assert (mail.status, mail.address, mail.language) == (DeliveryStatus.QUEUED, "ada@example.com", "en-gb")
    assert mail.payload["title"] == "T" and mail.payload["recipient"] == {"name": "Ada Obi", "email": ada.email}
    assert mail.payload["unsubscribe_url"].startswith("http")
    assert by[(ada.key, Channel.SMS)].reason == "no sms address"
    assert by[(bo.key, Channel.EMAIL)].status == DeliveryStatus.SUPPRESSED
    assert by[(ada.key, Channel.SMS)].payload["unsubscribe_url"] == ""  # links in emails only


def test_same_key_twice_creates_nothing_new_and_queues_nothing_twice(django_capture_on_commit_callbacks):
    ada = contact()
    with django_capture_on_commit_callbacks() as first_callbacks:
        first = services.notify(NEWSLETTER, [ada], NEWS, idempotency_key="k:1")
    with django_capture_on_commit_callbacks() as second_callbacks:
        second = services.notify(NEWSLETTER, [ada], NEWS, idempotency_key="k:1")
    assert [d.pk for d in first] == [d.pk for d in second]
    assert Delivery.objects.count() == 1
    assert len(first_callbacks) == 1  # one send task queued after commit
    assert second_callbacks == []  # a repeat queues nothing


def test_long_idempotency_keys_do_not_collide():
    ada = contact()
    long_key = "x" * 250
    first = services.notify(NEWSLETTER, [ada], NEWS, idempotency_key=long_key + "a")
    second = services.notify(NEWSLETTER, [ada], NEWS, idempotency_key=long_key + "b")
    assert first[0].pk != second[0].pk
    assert first[0].idempotency_key.startswith("sha256:") and len(first[0].idempotency_key) <= 200


def test_unknown_events_and_channels_are_refused():
    with pytest.raises(LookupError):
        services.notify("nope.nope.nope", [contact()], {})
    with pytest.raises(ValueError, match="Unknown channels"):
        services.notify(NEWSLETTER, [contact()], {}, channels=["fax"])
    with pytest.raises(TypeError):  # the test send is services.template_test_send
        services.notify(NEWSLETTER, [contact()], {}, test_template=registry.DefaultTemplate(subject="x"))


def test_a_staff_user_gets_in_app_notifications():
    user = StaffFactory(email="kemi@example.com", full_name="Kemi")
    (delivery,) = services.notify(NEWSLETTER, [Recipient.for_user(user)], NEWS, channels=[Channel.INAPP])
    assert services.deliveries_send([delivery.pk]) == 1
    assert Notification.objects.get(user=user).title == "News: T"


def test_a_delivery_whose_worker_died_is_claimed_again_and_not_sent_twice(smtp_server):
    (delivery,) = services.notify(NEWSLETTER, [contact()], NEWS)
    t0 = timezone.now()
    (claimed,) = services.deliveries_claim([delivery.pk], now=t0)  # a worker claims it, then dies
    assert services.deliveries_send([delivery.pk], now=t0) == 0  # another worker: already claimed
    later = t0 + dt.timedelta(seconds=services.CLAIM_SECONDS + 1)
    assert delivery.pk in services.deliveries_due(now=later)  # the claim expired: back in the queue
    assert services.deliveries_send([delivery.pk], now=later) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert len(smtp_server.messages) == 1


def test_retrying_a_failed_delivery_gives_it_fresh_attempts(smtp_server):
    smtp_server.refuse = {"ada@example.com"}
    (delivery,) = services.notify(NEWSLETTER, [contact()], NEWS)
    services.deliveries_send([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert services.deliveries_retry([delivery.pk]) == 1
    assert services.deliveries_retry([delivery.pk]) == 0  # queued now: nothing to retry
    smtp_server.refuse = set()
    assert services.deliveries_send([delivery.pk]) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.max_attempts) == (DeliveryStatus.SENT, 2, 7)
    assert [(a.number, a.outcome) for a in delivery.attempt_log.all()] == [
        (1, "failed: recipient refused"),
        (2, "sent"),
    ]


def test_an_event_without_a_template_for_the_channel_fails_with_the_reason():
    (delivery,) = services.notify(NEWSLETTER, [contact(phone="+2348031234567")], NEWS, channels=[Channel.SMS])
    services.deliveries_send([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason) == (DeliveryStatus.FAILED, f"{NEWSLETTER} has no sms template")
