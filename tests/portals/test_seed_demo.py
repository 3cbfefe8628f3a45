"""`make run` loads the demo data with `manage.py seed_demo`: it must work on an empty database and again."""

import io

import pytest
from django.core.management import call_command

from crm.models import Account, Contact, Conversation, CustomerUser, InboxTeam
from crm.models import Channel as InboxChannel
from notifications import services as notifications
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, Notification, OutboxEvent
from omni.models import User
from tickets.models import SLAPolicy, Team, Ticket, TicketComment

# Committed for real, as in `make run`: after-commit work (events, invitations) runs where it would.
pytestmark = pytest.mark.django_db(transaction=True)


def _counts():
    return (
        User.objects.count(),
        Account.objects.count(),
        Contact.objects.count(),
        CustomerUser.objects.count(),
        Delivery.objects.count(),
        Ticket.objects.count(),
        TicketComment.objects.count(),
    )


def test_seed_demo_loads_everyone_and_running_it_again_adds_nothing(settings):
    settings.DEBUG = True  # as `make run` runs it; with DEBUG off it needs --force (test_production_settings.py)
    out = io.StringIO()
    call_command("seed_demo", accounts=6, stdout=out, stderr=io.StringIO())
    first = _counts()
    assert first[1] == 6 and first[2] >= 6
    assert "omni-demo-2026" in out.getvalue() and "customer@demo.dotmac.example" in out.getvalue()
    agent = User.objects.get(email="agent@demo.dotmac.example")
    # The desk: teams the agent works in, two policies, tickets in every status, some with the customer's reply.
    assert set(Team.objects.filter(members=agent).values_list("name", flat=True)) == {
        "NOC",
        "Field support",
        "Customer care",
    }
    assert SLAPolicy.objects.count() == 2
    assert first[5] == 6 and set(Ticket.objects.values_list("status", flat=True)) >= {"new", "open", "closed"}
    assert TicketComment.objects.filter(public=False).exists()
    assert agent.check_password("omni-demo-2026") and agent.has_perm("crm.change_account")
    # The inbox: one channel of each kind, the agent in the Support team, conversations on every channel.
    assert sorted(InboxChannel.objects.values_list("kind", flat=True)) == ["email", "sms", "webchat", "whatsapp"]
    assert InboxTeam.objects.get(name="Support").members.filter(pk=agent.pk).exists()
    assert set(Conversation.objects.values_list("channel__kind", flat=True)) == {"email", "sms", "webchat", "whatsapp"}
    assert set(Conversation.objects.values_list("status", flat=True)) >= {"open", "pending", "resolved", "snoozed"}
    inbox_rows = Conversation.objects.count()

    # The events of the load were dispatched before the agent followed any (to nobody: no endpoints, no
    # followers yet), so the worker has no flood of one notification per demo account to send.
    assert OutboxEvent.objects.count() >= 12 and not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()

    # The agent's bell: the five newest accounts, in-app, sent by the worker.
    queued = Delivery.objects.filter(recipient_key=f"omni.user:{agent.pk}", channel=Channel.INAPP)
    assert queued.count() == 5 and {d.status for d in queued} == {DeliveryStatus.QUEUED}
    notifications.deliveries_send([d.pk for d in queued])
    assert Notification.objects.filter(user=agent, read_at__isnull=True).count() == 5

    call_command("seed_demo", accounts=6, stdout=io.StringIO(), stderr=io.StringIO())
    assert _counts() == first
    assert Conversation.objects.count() == inbox_rows
