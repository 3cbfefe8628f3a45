"""The day-before reminder of a visit (issue 14 item 9): each account's contacts are told once per appointment and
start, whatever the number of runs; the selection is set-based (a fixed number of queries for 1 or 20 visits)."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Delivery
from notifications.rendering.templates import render
from tests.crm.factories import ContactFactory, link
from workforce import services
from workforce.choices import WorkOrderStatus
from workforce.models import Appointment
from workforce.services.visits import visit_reminders_send

from .visits_support import day, technician, visit, visits_bulk

pytestmark = pytest.mark.django_db
EVENT = "workforce.appointment.reminder"


@pytest.fixture
def now():
    return day(0, 15)  # today, 15:00: tomorrow is day(1)


@pytest.fixture
def tech(db):
    return technician("Musa Bello")


@pytest.fixture
def contacts(account):
    people = [ContactFactory(first_name="Ada", email="ada@example.com"), ContactFactory(email="obi@example.com")]
    for person in people:
        link(person, account)
    return people


def _sent():
    return sorted(Delivery.objects.filter(event=EVENT).values_list("address", flat=True))


def test_tomorrows_visit_is_reminded_to_each_contact_once(now, account, contacts, tech):
    appointment = visit(account, tech, day(1, 9), address="12 Allen Avenue")
    assert visit_reminders_send(now=now) == 1
    assert visit_reminders_send(now=now) == 0  # a second run reminds nobody twice
    assert visit_reminders_send(now=now + datetime.timedelta(hours=1)) == 0

    assert _sent() == ["ada@example.com", "obi@example.com"]
    delivery = Delivery.objects.get(event=EVENT, address="ada@example.com")
    assert delivery.payload["number"] == appointment.work_order.number
    assert delivery.payload["technician"] == "Musa" and delivery.payload["address"] == "12 Allen Avenue"
    assert delivery.payload["start"] == day(1, 9).isoformat() and "09:00" in delivery.payload["when"]
    assert delivery.payload["url"].endswith(f"/visits/{appointment.pk}/")
    email = render(event=EVENT, channel="email", language="en", payload=delivery.payload)
    assert "Musa arrives" in email.text and "12 Allen Avenue" in email.text and delivery.payload["url"] in email.text
    assert "09:00" in email.subject
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at == now and appointment.reminder_for == day(1, 9)


def test_only_tomorrows_live_visits_not_yet_on_the_way_are_reminded(now, account, other_account, contacts, tech):
    today = visit(account, tech, day(0, 16))
    later = visit(account, tech, day(2, 9))
    cancelled = visit(account, tech, day(1, 9))
    services.appointment_cancel(appointment_id=cancelled.pk)
    on_the_way = visit(account, tech, day(1, 11))
    for status in (WorkOrderStatus.DISPATCHED, WorkOrderStatus.EN_ROUTE):
        services.work_order_transition(work_order_id=on_the_way.work_order_id, to=status)
    dispatched = visit(account, tech, day(1, 14))
    services.work_order_transition(work_order_id=dispatched.work_order_id, to=WorkOrderStatus.DISPATCHED)

    assert visit_reminders_send(now=now) == 1
    reminded = {d.payload["id"] for d in Delivery.objects.filter(event=EVENT)}
    assert reminded == {str(dispatched.pk)}  # not today's, the day after's, the cancelled or the en-route one
    assert {str(v.pk) for v in (today, later, cancelled, on_the_way)}.isdisjoint(reminded)


def test_an_account_without_contacts_is_reminded_by_its_email(now, account, tech):
    account.email = "home@example.com"
    account.save(update_fields=["email"])
    visit(account, tech, day(1, 9))
    assert visit_reminders_send(now=now) == 1
    assert _sent() == ["home@example.com"]


def test_a_deleted_accounts_visit_is_not_reminded(now, account, contacts, tech):
    visit(account, tech, day(1, 9))
    account.deleted_at = now
    account.save(update_fields=["deleted_at"])
    assert visit_reminders_send(now=now) == 1  # claimed, so later runs skip it too
    assert _sent() == []


def test_a_visit_moved_after_its_reminder_is_reminded_again(now, account, contacts, tech):
    appointment = visit(account, tech, day(1, 9))
    visit_reminders_send(now=now)
    services.appointment_reschedule(appointment_id=appointment.pk, start=day(1, 13))
    assert visit_reminders_send(now=now) == 1
    assert len(_sent()) == 4
    assert {d.payload["start"] for d in Delivery.objects.filter(event=EVENT)} == {
        day(1, 9).isoformat(),
        day(1, 13).isoformat(),
    }


def _own_queries(captured) -> list[str]:
    """The reminder's own queries: notify()'s (preferences, quiet hours, deliveries) are its business."""
    return [q["sql"] for q in captured.captured_queries if "notifications_" not in q["sql"]]


@pytest.mark.parametrize("rows", [1, 20])
def test_selection_queries_do_not_grow(now, account, contacts, tech, rows):
    visits_bulk(account, tech, rows, first=day(1, 0))
    with CaptureQueriesContext(connection) as captured:
        assert visit_reminders_send(now=now) == rows
    # claim (UPDATE ... RETURNING), the visits with work order, account and technician, the contacts; plus the
    # savepoints of one notify() per visit
    own = [sql for sql in _own_queries(captured) if "SAVEPOINT" not in sql]
    assert len(own) == 3, own
    assert len(_sent()) == 2 * rows
    with CaptureQueriesContext(connection) as again:
        assert visit_reminders_send(now=now) == 0
    assert len(again.captured_queries) <= 3  # the claim finds nothing (plus the transaction's savepoint)


def test_the_beat_task_runs_the_reminders(account, contacts, tech):
    from omni.celery import app
    from omni.schedule import beat_schedule
    from workforce import tasks

    visit(account, tech, day(1, 9))
    tasks.visit_reminders_send()
    tasks.visit_reminders_send()
    assert len(_sent()) == 2
    entry = beat_schedule(heartbeat_interval=60)["workforce-visit-reminders"]
    assert entry["task"] == "workforce.tasks.visit_reminders_send"
    assert entry["task"] in app.tasks  # the worker knows it


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_remind_each_visit_once():
    from tests.crm.factories import AccountFactory

    account = AccountFactory(email="home@example.com")
    visits_bulk(account, technician("Musa Bello", days=0), 6, first=day(1, 8))
    now = day(0, 15)
    barrier = threading.Barrier(2)

    def run(_):
        barrier.wait()
        try:
            return visit_reminders_send(now=now, batch=4)
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        first = sum(pool.map(run, range(2)))
    rest = visit_reminders_send(now=now)
    assert first + rest == 6
    assert Delivery.objects.filter(event=EVENT).count() == 6
    assert not Appointment.objects.filter(reminder_for__isnull=True).exists()
