"""services.template_test_send: one delivery of the edited template to the staff user, sent in the request."""

import pytest

from notifications import services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, Notification
from notifications.recipients import Recipient
from tests.notifications.email_support import NEWSLETTER
from tests.omni.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_a_test_send_is_one_delivery_sent_now_whatever_the_persons_choices(django_capture_on_commit_callbacks):
    user = StaffFactory(email="kemi@example.com", full_name="Kemi")
    key = Recipient.for_user(user).key
    services.preference_set(recipient_key=key, event="*", channel=Channel.INAPP, enabled=False)  # muted

    with django_capture_on_commit_callbacks() as queued:
        delivery = services.template_test_send(
            user=user, event=NEWSLETTER, channel=Channel.INAPP, subject="Draft {{ title }}", text="Body", html=""
        )

    assert queued == []  # sent in the request, never handed to a task
    assert (delivery.status, delivery.recipient_key, delivery.attempts) == (DeliveryStatus.SENT, key, 1)
    assert delivery.idempotency_key.startswith("test:")
    assert list(Delivery.objects.values_list("pk", flat=True)) == [delivery.pk]
    assert Notification.objects.get(user=user).title.startswith("Draft ")


def test_a_test_send_to_someone_without_the_address_is_suppressed_and_not_sent():
    user = StaffFactory(email="kemi@example.com")  # staff have no phone number
    delivery = services.template_test_send(
        user=user, event=NEWSLETTER, channel=Channel.SMS, subject="", text="Hi", html=""
    )
    assert (delivery.status, delivery.reason, delivery.attempts) == (DeliveryStatus.SUPPRESSED, "no sms address", 0)
