"""The admin's and the console's "test send" of a template: one delivery, sent in the request."""

from __future__ import annotations

import dataclasses
import uuid

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .. import registry, rendering
from ..choices import Channel, DeliveryStatus
from ..models import Delivery
from ..recipients import Recipient
from .notifying import delivery_build
from .sending import deliveries_send

TEST_BATCH_PREFIX = "test:"  # the batch key of a test send starts so: recognisable in the delivery log


def template_test_send(*, user, event: str, channel: str, subject: str, text: str, html: str) -> Delivery:
    """The admin's "test send": the (possibly unsaved) template, validated, rendered over the event's sample
    payload and sent now to `user` themselves on `channel` (email to their address, in-app to their bell),
    whatever their preferences and quiet hours (the payload's rendering.TEST_KEY exempts it at send time).
    Sent in this request, so the answer (sent, failed, suppressed and why) can be shown at once."""
    rendering.validate(event=event, subject=subject, text=text, html=html)
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("Unknown channel %(channel)s.") % {"channel": channel}]})
    template = registry.DefaultTemplate(subject=subject, text=text, html=html)
    delivery = delivery_build(
        batch_key=f"{TEST_BATCH_PREFIX}{uuid.uuid4().hex}",
        recipient=Recipient.for_user(user),
        event=registry.get(event).key,
        channel=channel,
        context={rendering.TEST_KEY: dataclasses.asdict(template)},
        url="",
    )
    delivery.save(force_insert=True)
    if delivery.status == DeliveryStatus.QUEUED:
        deliveries_send([delivery.pk])
        delivery.refresh_from_db()
    return delivery
