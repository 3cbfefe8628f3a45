"""Preferences (opt-out kept, mandatory events stay on, opt-in to other channels) and quiet hours (SMS and
push wait for the window's end, across midnight or within a day, in the person's time zone)."""

import datetime as dt
import uuid
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from notifications import selectors, services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, Preference, QuietHours
from notifications.recipients import Recipient
from tests.notifications.email_support import NEWSLETTER, OUTAGE, contact, smtp_running

pytestmark = pytest.mark.django_db

UTC = dt.UTC
LAGOS = zoneinfo.ZoneInfo("Africa/Lagos")  # UTC+1, no DST
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NEWS = {"title": "T", "body": "B", "account": {}}
OUTAGE_CONTEXT = {"area": "Lekki", "eta": "18:00"}


@pytest.fixture
def smtp_server(settings):
    with smtp_running(settings) as server:
        yield server


def _by_channel(deliveries):
    return {d.channel: d for d in deliveries}


# ---- opting out and in -----------------------------------------------------------------------------------------


def test_an_opted_out_contact_gets_nothing_and_the_delivery_is_suppressed(smtp_server):
    ada = contact()
    services.preference_set(recipient_key=ada.key, event=NEWSLETTER, channel=Channel.EMAIL, enabled=False)
    (delivery,) = services.notify(NEWSLETTER, [ada], NEWS)
    assert (delivery.status, delivery.reason) == (DeliveryStatus.SUPPRESSED, "opted out")
    assert services.deliveries_send([delivery.pk]) == 0
    assert smtp_server.data_commands == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUPPRESSED and delivery.attempts == 0


def test_opting_out_of_every_event_on_a_channel(smtp_server):
    ada = contact()
    services.preference_set(recipient_key=ada.key, event="*", channel=Channel.EMAIL, enabled=False)
    (delivery,) = services.notify(NEWSLETTER, [ada], NEWS)
    assert delivery.status == DeliveryStatus.SUPPRESSED


def test_a_channel_off_for_every_event_beats_any_per_event_choice(smtp_server):
    ada = contact()
    services.preference_set(recipient_key=ada.key, event=NEWSLETTER, channel=Channel.EMAIL, enabled=True)
    services.preference_set(recipient_key=ada.key, event="*", channel=Channel.EMAIL, enabled=False)
    (delivery,) = services.notify(NEWSLETTER, [ada], NEWS)
    assert (delivery.status, delivery.reason) == (DeliveryStatus.SUPPRESSED, "opted out")

    # Back on for every event: a per-event choice counts again (here: off).
    services.preference_set(recipient_key=ada.key, event="*", channel=Channel.EMAIL, enabled=True)
    services.preference_set(recipient_key=ada.key, event=NEWSLETTER, channel=Channel.EMAIL, enabled=False)
    (again,) = services.notify(NEWSLETTER, [ada], NEWS)
    assert again.status == DeliveryStatus.SUPPRESSED
    services.preference_set(recipient_key=ada.key, event=NEWSLETTER, channel=Channel.EMAIL, enabled=True)
    (third,) = services.notify(NEWSLETTER, [ada], NEWS)
    services.deliveries_send([third.pk])
    assert len(smtp_server.messages) == 1


def test_muting_a_channel_on_the_preferences_page_silences_its_ticked_events():
    """The page posts every ticked box, default ones too: muting in-app must still mean nothing in-app."""
    key = "omni.user:muter"
    services.preferences_save(
        recipient_key=key,
        muted={Channel.INAPP},
        enabled={(NEWSLETTER, Channel.EMAIL), (NEWSLETTER, Channel.INAPP), ("crm.account.created", Channel.INAPP)},
    )
    person = Recipient(key=key, name="Muter", email="m@example.com", user_id=uuid.uuid4())
    deliveries = {
        d.channel: d for d in services.notify(NEWSLETTER, [person], NEWS, channels=[Channel.EMAIL, Channel.INAPP])
    }
    assert (deliveries[Channel.INAPP].status, deliveries[Channel.INAPP].reason) == (
        DeliveryStatus.SUPPRESSED,
        "opted out",
    )
    assert deliveries[Channel.EMAIL].status == DeliveryStatus.QUEUED
    matrix = selectors.preference_matrix(recipient_key=key)
    cells = {(row["event"].key, c["channel"]): c["enabled"] for row in matrix["events"] for c in row["cells"]}
    assert cells[(NEWSLETTER, Channel.INAPP)] is False and cells[("crm.account.created", Channel.INAPP)] is False
    assert matrix["all"][Channel.INAPP] is False


def test_a_mandatory_event_ignores_the_opt_out(smtp_server):
    ada = contact(phone="+2348031234567")
    Preference.objects.create(recipient_key=ada.key, event=OUTAGE, channel=Channel.EMAIL, enabled=False)
    Preference.objects.create(recipient_key=ada.key, event="*", channel=Channel.SMS, enabled=False)
    deliveries = _by_channel(services.notify(OUTAGE, [ada], OUTAGE_CONTEXT))
    assert {c: d.status for c, d in deliveries.items()} == {
        Channel.EMAIL: DeliveryStatus.QUEUED,
        Channel.SMS: DeliveryStatus.QUEUED,
    }
    services.deliveries_send([deliveries[Channel.EMAIL].pk])
    assert [m["Subject"] for m in smtp_server.messages] == ["Outage in Lekki"]


def test_a_mandatory_event_cannot_be_switched_off():
    with pytest.raises(ValidationError) as caught:
        services.preference_set(recipient_key="crm.contact:x", event=OUTAGE, channel=Channel.EMAIL, enabled=False)
    assert "cannot be switched off" in caught.value.message_dict["enabled"][0]
    assert not Preference.objects.exists()


@pytest.mark.parametrize(
    ("event", "channel", "field"),
    [("nope.nope.nope", Channel.EMAIL, "event"), (NEWSLETTER, "fax", "channel")],
)
def test_bad_preferences_name_the_field(event, channel, field):
    with pytest.raises(ValidationError) as caught:
        services.preference_set(recipient_key="crm.contact:x", event=event, channel=channel, enabled=False)
    assert list(caught.value.message_dict) == [field]


def test_opting_in_adds_a_channel_that_has_a_template():
    ada = contact()
    user_key = ada.key
    # The newsletter goes by email by default and has an in-app template too; SMS has none.
    services.preference_set(recipient_key=user_key, event=NEWSLETTER, channel=Channel.INAPP, enabled=True)
    services.preference_set(recipient_key=user_key, event=NEWSLETTER, channel=Channel.SMS, enabled=True)
    deliveries = _by_channel(services.notify(NEWSLETTER, [ada], NEWS))
    assert set(deliveries) == {Channel.EMAIL, Channel.INAPP}
    assert deliveries[Channel.INAPP].reason == "no in-app address"  # a contact has no bell: recorded, not sent


def test_explicit_channels_are_not_widened_by_opt_ins():
    ada = contact()
    services.preference_set(recipient_key=ada.key, event=NEWSLETTER, channel=Channel.INAPP, enabled=True)
    assert [d.channel for d in services.notify(NEWSLETTER, [ada], NEWS, channels=[Channel.EMAIL])] == ["email"]


def test_opting_out_after_notify_suppresses_at_send_time(smtp_server):
    ada = contact()
    (delivery,) = services.notify(NEWSLETTER, [ada], NEWS)
    services.preference_set(recipient_key=ada.key, event=NEWSLETTER, channel=Channel.EMAIL, enabled=False)
    assert services.deliveries_send([delivery.pk]) == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason, delivery.attempts) == (DeliveryStatus.SUPPRESSED, "opted out", 0)
    assert smtp_server.data_commands == 0


def test_preferences_save_stores_only_what_differs_from_the_defaults():
    key = "omni.user:someone"
    services.preferences_save(
        recipient_key=key,
        muted={Channel.SMS},
        enabled={(NEWSLETTER, Channel.INAPP), ("crm.account.created", Channel.INAPP)},
    )
    stored = set(Preference.objects.filter(recipient_key=key).values_list("event", "channel", "enabled"))
    # NEWSLETTER by email is on by default and was not sent: off. In-app for it is an opt-in. SMS: muted.
    assert (NEWSLETTER, Channel.EMAIL, False) in stored
    assert (NEWSLETTER, Channel.INAPP, True) in stored
    assert ("*", Channel.SMS, False) in stored
    assert ("crm.account.created", Channel.INAPP, True) in stored  # staff follow crm events: an opt-in
    assert not any(event == OUTAGE for event, _c, _e in stored)  # mandatory: nothing to choose
    matrix = selectors.preference_matrix(recipient_key=key)
    cells = {(row["event"].key, c["channel"]): c for row in matrix["events"] for c in row["cells"]}
    assert cells[(NEWSLETTER, Channel.EMAIL)]["enabled"] is False
    assert cells[(NEWSLETTER, Channel.INAPP)]["enabled"] is True
    assert cells[(OUTAGE, Channel.EMAIL)] == {"channel": Channel.EMAIL, "enabled": True, "locked": True}
    assert matrix["all"][Channel.SMS] is False and matrix["all"][Channel.EMAIL] is True

    # Saving the defaults again removes every stored choice.
    everything_default = {
        (row["event"].key, c["channel"])
        for row in matrix["events"]
        for c in row["cells"]
        if c["channel"] in row["event"].channels
    }
    services.preferences_save(recipient_key=key, muted=set(), enabled=everything_default)
    assert not Preference.objects.filter(recipient_key=key).exists()


def test_preferences_save_refuses_a_channel_the_event_cannot_use():
    with pytest.raises(ValidationError) as caught:
        services.preferences_save(recipient_key="k", muted=set(), enabled={(NEWSLETTER, Channel.SMS)})
    assert "enabled" in caught.value.message_dict


# ---- quiet hours ---------------------------------------------------------------------------------------------------


def _quiet(key, start, end, tz=""):
    return QuietHours.objects.create(recipient_key=key, start=dt.time(*start), end=dt.time(*end), time_zone=tz)


def test_quiet_hours_across_midnight_defer_sms_to_the_windows_end_and_the_scan_picks_it_then():
    ada = contact(phone="+2348031234567")
    _quiet(ada.key, (22, 0), (7, 0), "Africa/Lagos")
    now = dt.datetime(2025, 3, 10, 23, 30, tzinfo=LAGOS)  # inside, before midnight
    deliveries = _by_channel(services.notify(OUTAGE, [ada], OUTAGE_CONTEXT, now=now))
    sms, mail = deliveries[Channel.SMS], deliveries[Channel.EMAIL]
    end = dt.datetime(2025, 3, 11, 7, 0, tzinfo=LAGOS)
    assert sms.scheduled_for == end
    assert sms.scheduled_for.astimezone(UTC) == dt.datetime(2025, 3, 11, 6, 0, tzinfo=UTC)
    assert (sms.status, sms.reason) == (DeliveryStatus.QUEUED, "deferred by quiet hours")
    assert mail.scheduled_for is None  # email waits in an inbox: not deferred
    # Due at the end of the window, not a second before; a send before then claims nothing.
    assert sms.pk not in services.deliveries_due(now=end - dt.timedelta(seconds=1))
    assert services.deliveries_send([sms.pk], now=end - dt.timedelta(seconds=1)) == 0
    assert Delivery.objects.get(pk=sms.pk).attempts == 0
    assert sms.pk in services.deliveries_due(now=end)


def test_quiet_hours_after_midnight_end_the_same_morning():
    ada = contact(phone="+2348031234567")
    _quiet(ada.key, (22, 0), (7, 0), "Africa/Lagos")
    now = dt.datetime(2025, 3, 11, 2, 15, tzinfo=LAGOS)
    (sms,) = services.notify(OUTAGE, [ada], OUTAGE_CONTEXT, channels=[Channel.SMS], now=now)
    assert sms.scheduled_for == dt.datetime(2025, 3, 11, 7, 0, tzinfo=LAGOS)


def test_quiet_hours_within_a_day():
    ada = contact(phone="+2348031234567")
    _quiet(ada.key, (13, 0), (15, 30), "Africa/Lagos")
    inside = dt.datetime(2025, 3, 11, 14, 0, tzinfo=LAGOS)
    (sms,) = services.notify(OUTAGE, [ada], OUTAGE_CONTEXT, channels=[Channel.SMS], now=inside)
    assert sms.scheduled_for == dt.datetime(2025, 3, 11, 15, 30, tzinfo=LAGOS)
    outside = dt.datetime(2025, 3, 11, 15, 30, tzinfo=LAGOS)  # the end itself is outside
    (later,) = services.notify(OUTAGE, [ada], OUTAGE_CONTEXT, channels=[Channel.SMS], now=outside)
    assert later.scheduled_for is None and later.reason == ""


def test_quiet_hours_use_the_persons_time_zone_when_the_window_has_none(settings):
    settings.TIME_ZONE = "UTC"
    ada = contact(phone="+15550000000", time_zone="America/New_York")
    _quiet(ada.key, (21, 0), (8, 0))
    now = dt.datetime(2025, 3, 9, 2, 0, tzinfo=UTC)  # 21:00 on 8 March in New York (EST, UTC-5): inside
    (sms,) = services.notify(OUTAGE, [ada], OUTAGE_CONTEXT, channels=[Channel.SMS], now=now)
    # DST starts at 02:00 on 9 March: 08:00 is EDT (UTC-4), so the window ends at 12:00 UTC, not 13:00.
    assert sms.scheduled_for == dt.datetime(2025, 3, 9, 8, 0, tzinfo=NEW_YORK)
    assert sms.scheduled_for.astimezone(UTC) == dt.datetime(2025, 3, 9, 12, 0, tzinfo=UTC)


def test_quiet_hours_outside_the_window_change_nothing():
    ada = contact(phone="+2348031234567")
    _quiet(ada.key, (22, 0), (7, 0), "Africa/Lagos")
    (sms,) = services.notify(
        OUTAGE, [ada], OUTAGE_CONTEXT, channels=[Channel.SMS], now=dt.datetime(2025, 3, 11, 12, 0, tzinfo=LAGOS)
    )
    assert sms.scheduled_for is None


def test_quiet_hours_set_validates():
    with pytest.raises(ValidationError) as caught:
        services.quiet_hours_set(recipient_key="k", start=dt.time(7), end=dt.time(7), time_zone="Mars/Olympus")
    assert set(caught.value.message_dict) == {"end", "time_zone"}
    quiet = services.quiet_hours_set(recipient_key="k", start=dt.time(22), end=dt.time(6), time_zone="Europe/Paris")
    again = services.quiet_hours_set(recipient_key="k", start=dt.time(23), end=dt.time(6))
    assert quiet.pk == again.pk and QuietHours.objects.get().start == dt.time(23)


# ---- admin ----------------------------------------------------------------------------------------------------------


def test_admin_refuses_switching_a_mandatory_event_off(client_as, admin_user):
    response = client_as(admin_user).post(
        "/admin/notifications/preference/add/",
        {"recipient_key": "crm.contact:x", "event": OUTAGE, "channel": Channel.EMAIL},  # enabled unchecked
    )
    assert response.status_code == 200
    assert "cannot be switched off" in response.content.decode()
    assert not Preference.objects.exists()


def test_admin_saves_a_preference_and_quiet_hours(client_as, admin_user):
    client = client_as(admin_user)
    response = client.post(
        "/admin/notifications/preference/add/",
        {"recipient_key": "crm.contact:x", "event": "*", "channel": Channel.SMS},
    )
    assert response.status_code == 302
    assert Preference.objects.get().enabled is False
    bad = client.post(
        "/admin/notifications/quiethours/add/",
        {"recipient_key": "crm.contact:x", "start": "22:00", "end": "22:00", "time_zone": "Africa/Lagos"},
    )
    assert "must end at another time" in bad.content.decode()
    good = client.post(
        "/admin/notifications/quiethours/add/",
        {"recipient_key": "crm.contact:x", "start": "22:00", "end": "06:30", "time_zone": "Africa/Lagos"},
    )
    assert good.status_code == 302
    assert QuietHours.objects.get().end == dt.time(6, 30)
