"""Staff follow crm events on their preferences page: who gets notified of an account or contact change."""

import pytest

from crm import services
from notifications import services as notifications
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, Notification
from notifications.recipients import Recipient
from tests.notifications.outbox_support import outbox_run_published
from tests.omni.factories import StaffFactory

pytestmark = pytest.mark.django_db


def _follow(user, event, *channels):
    for channel in channels:
        notifications.preference_set(
            recipient_key=Recipient.for_user(user).key, event=event, channel=channel, enabled=True
        )


def test_followers_are_told_of_a_new_account_except_its_creator(
    agent, sales, customer, django_capture_on_commit_callbacks
):
    nobody = StaffFactory(email="no-role@example.com")  # staff without crm.view_account
    lapsed = StaffFactory(email="lapsed@example.com", roles=["Agent"], is_active=False)
    _follow(agent, "crm.account.created", Channel.INAPP, Channel.EMAIL)
    for user in (sales, customer, nobody, lapsed):
        _follow(user, "crm.account.created", Channel.INAPP)
    _follow(agent, "crm.account.deleted", Channel.INAPP)  # not this event

    with django_capture_on_commit_callbacks(execute=True):
        account = services.account_create(by=sales, name="Lekki Gardens Estate Office")
    assert not Delivery.objects.exists()  # nothing is sent from the request: the outbox worker does it
    assert outbox_run_published() == 1

    deliveries = Delivery.objects.filter(event="crm.account.created")
    assert sorted((d.recipient_key, d.channel) for d in deliveries) == sorted(
        [(Recipient.for_user(agent).key, Channel.EMAIL), (Recipient.for_user(agent).key, Channel.INAPP)]
    )
    assert notifications.deliveries_send([d.pk for d in deliveries]) == 2
    note = Notification.objects.get(user=agent)
    assert note.title == f"Account {account.number} created: Lekki Gardens Estate Office"
    assert note.url == f"http://localhost:8000/accounts/{account.pk}/"
    email = Delivery.objects.get(channel=Channel.EMAIL)
    assert email.status == DeliveryStatus.SENT and email.address == agent.email
    assert f"/accounts/{account.pk}/" in email.body_text


def test_a_contact_change_reaches_its_followers(agent, sales, django_capture_on_commit_callbacks):
    _follow(sales, "crm.contact.updated", Channel.INAPP)
    with django_capture_on_commit_callbacks(execute=True):
        contact = services.contact_create(by=agent, first_name="Ngozi", last_name="Eze", email="ngozi@example.com")
        services.contact_update(contact_id=contact.pk, by=agent, last_name="Eze-Obi")
    assert outbox_run_published() == 2
    (delivery,) = Delivery.objects.all()
    assert (delivery.event, delivery.recipient_key) == ("crm.contact.updated", Recipient.for_user(sales).key)
    assert delivery.payload["full_name"] == "Ngozi Eze-Obi"
    assert delivery.payload["url"] == f"http://localhost:8000/contacts/{contact.pk}/"


def test_an_event_nobody_follows_costs_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert notifications.notify_followers("crm.account.updated", {"name": "X"}) == []
