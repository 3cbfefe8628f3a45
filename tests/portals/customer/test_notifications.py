"""The customer portal's Notifications page (issue 11, part 5): the contact's preferred channel, which customer
events reach them by email and SMS, and quiet hours in their own time zone; what notify() then does with them."""

import datetime as dt

import pytest

from crm.choices import ContactChannel
from crm.models import CustomerUser
from notifications import services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, Preference, QuietHours
from tests.crm.factories import ContactFactory, link
from workforce.selectors_field import contact_recipient

HOST = "portal.localhost"
URL = "/notifications/"
EN_ROUTE, REMINDER, PENDING, QUOTE = (
    "workforce.work_order.en_route",
    "workforce.appointment.reminder",
    "tickets.ticket.pending_reminder",
    "crm.quote.offered",
)


@pytest.fixture
def contact(customer, account):
    contact = ContactFactory(first_name="Ngozi", last_name="Eze", phone="+2348031234567", time_zone="")
    link(contact, account)
    CustomerUser.objects.filter(user=customer).update(contact=contact)
    return contact


def _form(**changes):
    data = {
        "preferred_channel": "sms",
        "time_zone": "Asia/Tokyo",
        "quiet_enabled": "on",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "on": [f"{EN_ROUTE}|sms", f"{REMINDER}|email", f"{REMINDER}|sms", f"{PENDING}|email"],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _prefs(contact):
    rows = Preference.objects.filter(recipient_key=f"crm.contact:{contact.pk}")
    return sorted(rows.values_list("event", "channel", "enabled"))


def test_the_page_offers_the_customer_events_on_email_and_sms(client_as, customer, contact, settings):
    settings.TIME_ZONE = "Africa/Lagos"
    response = client_as(customer, host=HOST).get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    for key in (EN_ROUTE, REMINDER, PENDING, QUOTE):
        assert f'data-event="{key}"' in html
    assert "crm.lead.created" not in html and "tickets.sla.breached" not in html  # staff events are not offered
    assert f'value="{EN_ROUTE}|email" id="on-2-email" checked' in html  # on by default
    assert f'value="{REMINDER}|sms" id="on-1-sms">' in html  # off by default
    assert f'value="{QUOTE}|email" id="on-4-email" checked disabled' in html  # service-critical
    assert '<option value="Africa/Lagos" selected>' in html  # no zone of their own yet: the instance's
    assert 'value="email" id="id_preferred_channel_0" required checked' in html and 'value="whatsapp"' in html


def test_saving_stores_the_channel_time_zone_choices_and_quiet_hours(client_as, customer, contact):
    client = client_as(customer, host=HOST)
    response = client.post(URL, _form())
    assert response.status_code == 302 and response["Location"] == URL
    contact.refresh_from_db()
    assert (contact.preferred_channel, contact.time_zone) == (ContactChannel.SMS, "Asia/Tokyo")
    # Only what differs from the defaults: en-route email switched off, the reminder's SMS switched on.
    assert _prefs(contact) == [(REMINDER, "sms", True), (EN_ROUTE, "email", False)]
    quiet = QuietHours.objects.get(recipient_key=f"crm.contact:{contact.pk}")
    assert (quiet.start, quiet.end, quiet.time_zone) == (dt.time(22), dt.time(7), "")  # follows the contact's zone

    page = client.get(URL).content.decode()
    assert "Your notification choices are saved." in page
    assert f'value="{EN_ROUTE}|email" id="on-2-email">' in page and '<option value="Asia/Tokyo" selected>' in page


def test_notify_follows_the_choices_and_the_quiet_hours_in_the_contacts_zone(client_as, customer, contact):
    client_as(customer, host=HOST).post(URL, _form())
    contact.refresh_from_db()
    night_in_tokyo = dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC)  # 23:00 in Tokyo
    deliveries = services.notify(EN_ROUTE, [contact_recipient(contact)], {"eta": "18:00"}, now=night_in_tokyo)
    by_channel = {d.channel: d for d in deliveries}
    assert (by_channel[Channel.EMAIL].status, by_channel[Channel.EMAIL].reason) == (
        DeliveryStatus.SUPPRESSED, "opted out",
    )  # fmt: skip
    sms = by_channel[Channel.SMS]
    assert (sms.status, sms.time_zone) == (DeliveryStatus.QUEUED, "Asia/Tokyo")
    assert sms.scheduled_for == dt.datetime(2026, 12, 3, 22, 0, tzinfo=dt.UTC)  # 07:00 in Tokyo


def test_a_new_time_zone_reaches_the_messages_still_waiting(client_as, customer, contact):
    key = f"crm.contact:{contact.pk}"
    services.quiet_hours_set(recipient_key=key, start=dt.time(22), end=dt.time(7))
    contact.time_zone = "Africa/Lagos"
    night_in_lagos = dt.datetime(2026, 12, 3, 23, 0, tzinfo=dt.UTC)
    (waiting,) = services.notify(EN_ROUTE, [contact_recipient(contact)], {}, channels=["sms"], now=night_in_lagos)
    (sent,) = services.notify(EN_ROUTE, [contact_recipient(contact)], {}, channels=["email"], now=night_in_lagos)
    Delivery.objects.filter(pk=sent.pk).update(status=DeliveryStatus.SENT)
    assert (waiting.status, waiting.time_zone) == (DeliveryStatus.QUEUED, "Africa/Lagos")

    client_as(customer, host=HOST).post(URL, _form())
    assert Delivery.objects.get(pk=waiting.pk).time_zone == "Asia/Tokyo"  # checked in Tokyo when its time comes
    assert Delivery.objects.get(pk=sent.pk).time_zone == "Africa/Lagos"  # history stays as it was


def test_changing_nothing_again_removes_the_stored_choices(client_as, customer, contact):
    client = client_as(customer, host=HOST)
    client.post(URL, _form())
    defaults = [f"{EN_ROUTE}|email", f"{EN_ROUTE}|sms", f"{REMINDER}|email", f"{PENDING}|email"]
    assert client.post(URL, _form(on=defaults, quiet_enabled=None)).status_code == 302
    assert _prefs(contact) == []
    assert not QuietHours.objects.filter(recipient_key=f"crm.contact:{contact.pk}").exists()


def test_a_service_critical_event_stays_on_and_other_peoples_choices_are_untouched(client_as, customer, contact):
    key = f"crm.contact:{contact.pk}"
    services.preference_set(recipient_key=key, event="*", channel=Channel.INAPP, enabled=False)
    services.preference_set(recipient_key="crm.contact:someone-else", event=EN_ROUTE, channel="sms", enabled=False)
    assert client_as(customer, host=HOST).post(URL, _form(on=[])).status_code == 302
    assert (QUOTE, "email", False) not in _prefs(contact)
    assert ("*", "inapp", False) in _prefs(contact)  # outside the page: left alone
    assert Preference.objects.filter(recipient_key="crm.contact:someone-else").count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "Select a valid choice."),
        ({"preferred_channel": "phone"}, "preferred_channel", "Select a valid choice."),
        ({"quiet_end": "22:00"}, "quiet_end", "The quiet hours must end at another time than they start."),
        ({"quiet_start": ""}, "quiet_start", "Give a time, or switch quiet hours off."),
    ],
)
def test_bad_input_is_422_naming_the_field_and_saves_nothing(client_as, customer, contact, changes, field, message):
    response = client_as(customer, host=HOST).post(URL, _form(**changes))
    assert response.status_code == 422
    assert f'id="id_{field}' in response.content.decode() and message in response.content.decode()
    contact.refresh_from_db()
    assert (contact.preferred_channel, contact.time_zone) == (ContactChannel.EMAIL, "")
    assert _prefs(contact) == []


def test_sms_or_whatsapp_needs_a_phone_as_the_contact_model_says(client_as, customer, contact):
    contact.phone = ""
    contact.save(update_fields=["phone"])
    response = client_as(customer, host=HOST).post(URL, _form(preferred_channel="whatsapp"))
    assert response.status_code == 422
    assert "phone: WhatsApp is the preferred channel, so a phone number is needed." in response.content.decode()
    contact.refresh_from_db()
    assert contact.preferred_channel == ContactChannel.EMAIL and _prefs(contact) == []


def test_a_refused_choice_rolls_back_the_contacts_fields_too(client_as, customer, contact):
    """The contact is saved first; an event the page does not offer is refused after: nothing stays."""
    response = client_as(customer, host=HOST).post(URL, _form(on=["crm.lead.created|email"]))
    assert response.status_code == 422 and "crm.lead.created cannot be sent by email." in response.content.decode()
    contact.refresh_from_db()
    assert (contact.preferred_channel, contact.time_zone) == (ContactChannel.EMAIL, "")


def test_a_customer_user_without_a_contact_is_told_why(client_as, customer):
    response = client_as(customer, host=HOST).get(URL)
    assert response.status_code == 200
    assert "Your sign-in is not linked to a contact" in response.content.decode()
    assert client_as(customer, host=HOST).post(URL, _form()).status_code == 200  # nothing to save, no error


@pytest.mark.parametrize("who", ["agent", "reseller", "vendor"])
def test_users_of_other_audiences_are_refused(client_as, request, who):
    response = client_as(request.getfixturevalue(who), host=HOST).get(URL)
    assert response.status_code == 403


def test_anonymous_visitors_go_to_sign_in(client):
    response = client.get(URL, HTTP_HOST=HOST)
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={URL}"


def test_the_page_runs_a_fixed_number_of_queries(client_as, customer, contact, django_assert_max_num_queries):
    client = client_as(customer, host=HOST)
    with django_assert_max_num_queries(9):  # session, user, account, contact, quiet hours, templates, preferences
        assert client.get(URL).status_code == 200
