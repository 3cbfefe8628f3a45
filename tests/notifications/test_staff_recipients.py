"""A staff user as a recipient: their profile's phone takes SMS to them, and their quiet hours follow their
profile's time zone (before the instance's) when the window names none of its own."""

import datetime as dt

import pytest

from notifications import services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, QuietHours
from notifications.recipients import Recipient
from omni import services as omni_services
from omni.models import User
from tests.notifications.sms_support import CONTEXT, EVENT

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _profile(user, **fields) -> User:
    omni_services.user_profile_update(user_id=user.pk, **fields)
    return User.objects.get(pk=user.pk)


def test_a_users_recipient_carries_their_phone_and_time_zone(agent):
    assert (Recipient.for_user(agent).phone, Recipient.for_user(agent).time_zone) == ("", "")
    user = _profile(agent, phone="0803 123 4567", time_zone="Asia/Tokyo")
    recipient = Recipient.for_user(user)
    assert recipient == Recipient(
        key=f"omni.user:{user.pk}",
        name=user.full_name,
        email=user.email,
        phone="+2348031234567",
        language="en",
        time_zone="Asia/Tokyo",
        user_id=user.pk,
    )


def test_quiet_hours_follow_the_profiles_time_zone_on_a_utc_instance(settings, agent):
    settings.TIME_ZONE = "UTC"
    user = _profile(agent, phone="+2348031234567", time_zone="Asia/Tokyo")  # UTC+9, no DST
    recipient = Recipient.for_user(user)
    QuietHours.objects.create(recipient_key=recipient.key, start=dt.time(22, 0), end=dt.time(7, 0))

    # 14:00 UTC is 23:00 in Tokyo: held until 07:00 Tokyo the next morning, 22:00 UTC the same day.
    now = dt.datetime(2026, 1, 10, 14, 0, tzinfo=UTC)
    (sms,) = services.notify(EVENT, [recipient], CONTEXT, channels=[Channel.SMS], now=now)
    assert (sms.status, sms.address, sms.reason) == (DeliveryStatus.QUEUED, "+2348031234567", "deferred by quiet hours")
    assert sms.scheduled_for == dt.datetime(2026, 1, 10, 22, 0, tzinfo=UTC)
    assert sms.pk not in services.deliveries_due(now=sms.scheduled_for - dt.timedelta(seconds=1))
    assert sms.pk in services.deliveries_due(now=sms.scheduled_for)

    # 23:30 UTC is inside the window on the instance's clock, but 08:30 in Tokyo: sent at once.
    later = dt.datetime(2026, 1, 10, 23, 30, tzinfo=UTC)
    (sms,) = services.notify(EVENT, [recipient], CONTEXT, channels=[Channel.SMS], now=later)
    assert (sms.status, sms.scheduled_for, sms.reason) == (DeliveryStatus.QUEUED, None, "")


def test_quiet_hours_that_name_a_time_zone_keep_it_over_the_profiles(settings, agent):
    settings.TIME_ZONE = "UTC"
    user = _profile(agent, phone="+2348031234567", time_zone="Asia/Tokyo")
    recipient = Recipient.for_user(user)
    QuietHours.objects.create(
        recipient_key=recipient.key, start=dt.time(22, 0), end=dt.time(7, 0), time_zone="Africa/Lagos"
    )
    # 14:00 UTC: 23:00 in Tokyo, but 15:00 in Lagos, the window's own zone: not held.
    now = dt.datetime(2026, 1, 10, 14, 0, tzinfo=UTC)
    (sms,) = services.notify(EVENT, [recipient], CONTEXT, channels=[Channel.SMS], now=now)
    assert sms.scheduled_for is None
    # 22:30 UTC is 23:30 in Lagos: held until 07:00 Lagos, 06:00 UTC.
    (sms,) = services.notify(EVENT, [recipient], CONTEXT, channels=[Channel.SMS], now=now.replace(hour=22, minute=30))
    assert sms.scheduled_for == dt.datetime(2026, 1, 11, 6, 0, tzinfo=UTC)


def test_a_staff_user_who_follows_an_event_by_sms_gets_it_at_their_phone(agent, sales):
    for user in (agent, sales):
        key = Recipient.for_user(user).key
        services.preference_set(recipient_key=key, event=EVENT, channel=Channel.SMS, enabled=True)
    _profile(agent, phone="+2348031234567")

    deliveries = services.notify_followers(EVENT, CONTEXT, idempotency_key="outage:1")
    by_user = {d.recipient_key: d for d in deliveries}
    sms = by_user[f"omni.user:{agent.pk}"]
    assert (sms.channel, sms.address, sms.status, sms.reason) == (
        Channel.SMS,
        "+2348031234567",
        DeliveryStatus.QUEUED,
        "",
    )
    no_phone = by_user[f"omni.user:{sales.pk}"]  # no phone on their profile: nowhere to send it
    assert (no_phone.address, no_phone.status, no_phone.reason) == ("", DeliveryStatus.SUPPRESSED, "no sms address")
    assert Delivery.objects.count() == 2
