"""Quiet hours are kept in the person's own time zone at send time too (issue 11, part 5): a delivery carries the
recipient's zone (a contact's Contact.time_zone, a staff user's profile), and the check before sending reads the
window in it, whatever the instance's TIME_ZONE."""

import datetime as dt

import pytest

from notifications import services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, QuietHours
from notifications.recipients import Recipient
from tests.crm.factories import ContactFactory
from tests.notifications.sms_support import CONTEXT, EVENT, twilio_configured
from tests.omni.factories import StaffFactory
from workforce.selectors_field import contact_recipient

pytestmark = pytest.mark.django_db
UTC = dt.UTC
INSTANCE_ZONES = ["UTC", "Asia/Tokyo", "America/New_York"]
BEFORE = dt.datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # 21:00 in Tokyo, 13:00 in Lagos: nobody's quiet hours
AT = dt.datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo, 15:00 in Lagos
TOKYO_MORNING = dt.datetime(2026, 12, 3, 22, 0, tzinfo=UTC)  # 07:00 on 4 Dec in Tokyo


@pytest.fixture
def twilio(settings):
    with twilio_configured(settings) as server:
        yield server


def _people():
    """Two contacts, with the same quiet hours (22:00-07:00, no zone of their own: their own time zone's)."""
    tokyo = ContactFactory(time_zone="Asia/Tokyo", phone="+819012345678")
    lagos = ContactFactory(time_zone="Africa/Lagos", phone="+2348031234567")
    for contact in (tokyo, lagos):
        services.quiet_hours_set(recipient_key=f"crm.contact:{contact.pk}", start=dt.time(22), end=dt.time(7))
    return contact_recipient(tokyo), contact_recipient(lagos)


def _notify(recipients, *, now):
    deliveries = services.notify(EVENT, recipients, CONTEXT, channels=[Channel.SMS], now=now)
    return {delivery.recipient_key: delivery for delivery in deliveries}


@pytest.mark.parametrize("instance_zone", INSTANCE_ZONES)
def test_at_send_time_a_tokyo_contact_at_23h_is_held_and_a_lagos_contact_is_sent(twilio, settings, instance_zone):
    settings.TIME_ZONE = instance_zone
    tokyo, lagos = _people()
    queued = _notify([tokyo, lagos], now=BEFORE)  # outside both windows: queued for now
    assert {d.recipient_key: (d.status, d.scheduled_for, d.time_zone) for d in queued.values()} == {
        tokyo.key: (DeliveryStatus.QUEUED, None, "Asia/Tokyo"),
        lagos.key: (DeliveryStatus.QUEUED, None, "Africa/Lagos"),
    }

    # The worker only gets to them at 14:00 UTC (a busy queue, a retry): 23:00 for one, 15:00 for the other.
    assert services.deliveries_send([d.pk for d in queued.values()], now=AT) == 1
    held, sent = Delivery.objects.get(recipient_key=tokyo.key), Delivery.objects.get(recipient_key=lagos.key)
    assert (held.status, held.scheduled_for, held.reason) == (
        DeliveryStatus.QUEUED, TOKYO_MORNING, "deferred by quiet hours",
    )  # fmt: skip
    assert sent.status == DeliveryStatus.SENT
    assert [r.form["To"] for r in twilio.requests] == [["+2348031234567"]]

    # 07:00 in Tokyo: sent, not held again by a window read in another zone (22:00 UTC is night in UTC).
    assert services.deliveries_send([held.pk], now=TOKYO_MORNING + dt.timedelta(seconds=1)) == 1
    held.refresh_from_db()
    assert held.status == DeliveryStatus.SENT
    assert [r.form["To"] for r in twilio.requests] == [["+2348031234567"], ["+819012345678"]]


@pytest.mark.parametrize("instance_zone", INSTANCE_ZONES)
def test_notify_at_the_same_instant_defers_only_the_tokyo_contact(twilio, settings, instance_zone):
    settings.TIME_ZONE = instance_zone
    tokyo, lagos = _people()
    deliveries = _notify([tokyo, lagos], now=AT)
    assert deliveries[tokyo.key].scheduled_for == TOKYO_MORNING
    assert deliveries[lagos.key].scheduled_for is None


def test_a_staff_users_profile_time_zone_is_theirs_at_send_time(twilio, settings):
    settings.TIME_ZONE = "Africa/Lagos"
    user = StaffFactory(time_zone="Asia/Tokyo", phone="+819087654321")
    recipient = Recipient.for_user(user)
    QuietHours.objects.create(recipient_key=recipient.key, start=dt.time(22), end=dt.time(7))
    (delivery,) = _notify([recipient], now=BEFORE).values()
    assert delivery.time_zone == "Asia/Tokyo"
    assert services.deliveries_send([delivery.pk], now=AT) == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.scheduled_for) == (DeliveryStatus.QUEUED, TOKYO_MORNING)
    assert twilio.requests == []


def test_quiet_hours_with_a_zone_of_their_own_keep_it_and_an_unknown_zone_is_the_instances(twilio, settings):
    settings.TIME_ZONE = "UTC"
    lagos_quiet = Recipient(key="crm.contact:own-zone", phone="+2348031234568", time_zone="Asia/Tokyo")
    QuietHours.objects.create(
        recipient_key=lagos_quiet.key, start=dt.time(22), end=dt.time(7), time_zone="Africa/Lagos"
    )
    (delivery,) = _notify([lagos_quiet], now=BEFORE).values()
    assert services.deliveries_send([delivery.pk], now=AT) == 1  # 15:00 in Lagos: the window's own zone wins

    odd = Recipient(key="crm.contact:odd-zone", phone="+2348031234569", time_zone="Mars/Olympus_Mons")
    (delivery,) = services.notify(EVENT, [odd], CONTEXT, channels=[Channel.SMS], now=BEFORE)
    assert delivery.time_zone == ""  # not stored: the send-time check falls back to the instance's
