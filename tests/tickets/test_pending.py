"""Tickets pending customer (services.pending_remind, pending_autoclose): one reminder to the ticket's contact after
N days, reminded once even by two runs at once; closed by the system M days after the reminder unless the customer
answered."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from notifications import services as notifications
from notifications.models import Delivery
from tests.crm.factories import ContactFactory, link
from tests.tickets.factories import TicketFactory
from tickets import services
from tickets.choices import TicketStatus
from tickets.models import Ticket, TicketStatusChange

NOW = timezone.now().replace(microsecond=0)


def _pending(account, *, days: float, reminded_days: float | None = None, contact=None, **fields):
    """A ticket pending customer since `days` ago (reminded `reminded_days` ago, if given)."""
    ticket = TicketFactory(account=account, status=TicketStatus.PENDING_CUSTOMER, contact=contact, **fields)
    reminded = NOW - timedelta(days=reminded_days) if reminded_days is not None else None
    Ticket.objects.filter(pk=ticket.pk).update(status_changed_at=NOW - timedelta(days=days), reminded_at=reminded)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def contact(account):
    person = ContactFactory(first_name="Ada", last_name="Obi", email="ada@example.com")
    link(person, account)
    return person


# ---- reminders -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reminds_the_contact_once_after_n_days(account, contact, django_capture_on_commit_callbacks):
    due = _pending(account, days=3.5, contact=contact, subject="Router light")
    too_soon = _pending(account, days=2, contact=contact)
    already = _pending(account, days=10, reminded_days=1, contact=contact)
    gone = _pending(account, days=10, contact=contact, deleted_at=NOW)
    answered = TicketFactory(account=account, status=TicketStatus.OPEN, contact=contact)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.pending_remind(now=NOW, after_days=3) == 1
    assert services.pending_remind(now=NOW, after_days=3) == 0  # a second run reminds nobody again

    reminded = {t.pk: t.reminded_at for t in Ticket.objects.all()}
    assert reminded[due.pk] == NOW
    assert reminded[too_soon.pk] is None and reminded[gone.pk] is None and reminded[answered.pk] is None
    assert reminded[already.pk] == already.reminded_at
    (delivery,) = Delivery.objects.filter(event="tickets.ticket.pending_reminder")
    assert (delivery.recipient_key, delivery.address) == (f"crm.contact:{contact.pk}", "ada@example.com")
    assert notifications.deliveries_send([delivery.pk]) == 1
    (email,) = mail.outbox
    assert email.to == ["Ada Obi <ada@example.com>"]
    assert email.subject.endswith(f"We are waiting for your reply on ticket {due.number}")
    assert "Hello Ada Obi" in email.body and "(Router light)" in email.body
    assert f"http://portal.localhost:8000/tickets/{due.pk}/" in email.body
    assert "within 7 days" in email.body


@pytest.mark.django_db
def test_without_a_contact_the_accounts_email_is_reminded(account):
    account.email = "office@example.com"
    account.save(update_fields=["email"])
    _pending(account, days=5)
    assert services.pending_remind(now=NOW) == 1
    (delivery,) = Delivery.objects.all()
    assert (delivery.recipient_key, delivery.address) == (f"crm.account:{account.pk}", "office@example.com")


@pytest.mark.django_db
def test_days_come_from_settings(account, contact, settings):
    settings.TICKETS_PENDING_REMIND_DAYS = 1
    ticket = _pending(account, days=1.5, contact=contact)
    assert services.pending_remind(now=NOW) == 1
    assert Ticket.objects.get(pk=ticket.pk).reminded_at == NOW
    settings.TICKETS_PENDING_CLOSE_DAYS = 2
    assert services.pending_autoclose(now=NOW + timedelta(days=1)) == 0
    assert services.pending_autoclose(now=NOW + timedelta(days=2)) == 1


@pytest.mark.django_db
def test_waiting_again_after_a_reply_is_reminded_again(account, contact, customer, agent):
    ticket = _pending(account, days=4, contact=contact)
    assert services.pending_remind(now=NOW) == 1
    services.reply_post(ticket_id=ticket.pk, author=customer, body="Here is the photo")  # reopens it
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reminded_at) == (TicketStatus.OPEN, None)
    services.ticket_transition(ticket_id=ticket.pk, to=TicketStatus.PENDING_CUSTOMER, by=agent)
    assert services.pending_remind(now=timezone.now() + timedelta(days=4)) == 1
    assert Delivery.objects.filter(event="tickets.ticket.pending_reminder").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_remind_each_ticket_once(account, contact):
    tickets = [_pending(account, days=5, contact=contact) for _ in range(30)]
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        try:
            return services.pending_remind(now=NOW, batch=20)  # two batches' worth: the runs overlap
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        counts = [future.result(timeout=60) for future in [pool.submit(run), pool.submit(run)]]
    assert sum(counts) <= 30 and all(count <= 20 for count in counts)
    services.pending_remind(now=NOW)  # whatever the batches left
    deliveries = Delivery.objects.filter(event="tickets.ticket.pending_reminder")
    assert deliveries.count() == 30
    assert sorted(d.payload["id"] for d in deliveries) == sorted(str(t.pk) for t in tickets)
    assert not Ticket.objects.filter(reminded_at__isnull=True).exists()


# ---- auto-close ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_closes_m_days_after_the_reminder_with_a_note(account, contact):
    due = _pending(account, days=12, reminded_days=7.5, contact=contact)
    recent = _pending(account, days=8, reminded_days=5, contact=contact)
    never_reminded = _pending(account, days=30, contact=contact)
    answered = _pending(account, days=12, reminded_days=8, contact=contact)
    Ticket.objects.filter(pk=answered.pk).update(status=TicketStatus.OPEN)

    assert services.pending_autoclose(now=NOW, after_days=7) == 1
    assert services.pending_autoclose(now=NOW, after_days=7) == 0  # idempotent

    status = dict(Ticket.objects.values_list("pk", "status"))
    assert status[due.pk] == TicketStatus.CLOSED
    assert status[recent.pk] == status[never_reminded.pk] == TicketStatus.PENDING_CUSTOMER
    assert status[answered.pk] == TicketStatus.OPEN
    change = TicketStatusChange.objects.get(ticket=due)
    assert (change.old, change.new, change.by) == (TicketStatus.PENDING_CUSTOMER, TicketStatus.CLOSED, None)
    assert change.note == "Closed automatically: no reply from the customer 7 days after the reminder."
    assert Ticket.objects.get(pk=due.pk).closed_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_ticket_locked_by_a_reply_in_progress_is_left_alone(account, contact):
    ticket = _pending(account, days=12, reminded_days=8, contact=contact)
    locked, release = threading.Event(), threading.Event()

    def hold():  # a reply being written: it holds the ticket's row lock
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=ticket.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        holder = pool.submit(hold)
        assert locked.wait(30)
        try:
            assert services.pending_autoclose(now=NOW) == 0
        finally:
            release.set()
        holder.result(timeout=30)
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.PENDING_CUSTOMER
    assert services.pending_autoclose(now=NOW) == 1  # the next run closes it


@pytest.mark.django_db
def test_beat_runs_both_hourly_through_their_tasks(account, contact, settings):
    """The beat entries name the tasks, and the tasks do the work (run here, as a worker would)."""
    from django.conf import settings as django_settings

    from tickets import tasks

    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert schedule["tickets-pending-remind"]["task"] == tasks.pending_remind.name
    assert schedule["tickets-pending-autoclose"]["task"] == tasks.pending_autoclose.name
    waiting = _pending(account, days=4, contact=contact)
    stale = _pending(account, days=20, reminded_days=8, contact=contact)
    tasks.pending_remind()
    tasks.pending_autoclose()
    waiting.refresh_from_db()
    stale.refresh_from_db()
    assert waiting.reminded_at is not None and waiting.status == TicketStatus.PENDING_CUSTOMER
    assert stale.status == TicketStatus.CLOSED
