"""notify(attachments=...): files ride in the delivery's payload and go out with the email, byte for byte."""

import pytest
from django.core import mail

from notifications import services
from notifications.choices import Channel, DeliveryStatus
from notifications.recipients import Attachment
from tests.notifications.email_support import NEWSLETTER, contact

pytestmark = pytest.mark.django_db

NEWS = {"title": "T", "body": "B", "account": {}}
PDF = b"%PDF-1.7\n\x00\xff binary bytes\n%%EOF"


def test_an_attachment_reaches_the_email_byte_for_byte():
    (delivery,) = services.notify(
        NEWSLETTER,
        [contact()],
        NEWS,
        channels=[Channel.EMAIL],
        attachments=[Attachment("Q-000001.pdf", PDF, "application/pdf")],
    )
    assert delivery.payload["attachments"][0]["filename"] == "Q-000001.pdf"
    assert services.deliveries_send([delivery.pk]) == 1
    (message,) = mail.outbox
    assert message.attachments == [("Q-000001.pdf", PDF, "application/pdf")]
    assert message.to == ["Ada Obi <ada@example.com>"]


def test_without_attachments_nothing_is_attached_and_the_payload_has_no_key():
    (delivery,) = services.notify(NEWSLETTER, [contact()], NEWS, channels=[Channel.EMAIL])
    assert "attachments" not in delivery.payload
    services.deliveries_send([delivery.pk])
    assert mail.outbox[0].attachments == []


def test_a_damaged_attachment_fails_the_delivery_without_sending():
    (delivery,) = services.notify(
        NEWSLETTER, [contact()], NEWS, channels=[Channel.EMAIL], attachments=[Attachment("a.pdf", b"x")]
    )
    delivery.payload["attachments"][0]["content_b64"] = "not base64!"
    delivery.save(update_fields=["payload"])
    services.deliveries_send([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and "damaged attachment" in delivery.reason
    assert mail.outbox == []
