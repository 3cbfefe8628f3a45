"""Two SLA scans at once (issue 10, Done when): each in its own session, both committing; every escalation is
queued and carried out once (the clocks' SKIP LOCKED breach, the events' unique key)."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import Delivery, OutboxEvent
from omni.celery import app
from tests.omni.factories import StaffFactory
from tests.tickets.sla_support import opened, policy_with, rule, warn_rule
from tickets import services
from tickets.choices import ClockState, EscalationKind, SLAMetric
from tickets.models import SLAClock, SLAEvent, Ticket

pytestmark = pytest.mark.django_db(transaction=True)
HOUR = datetime.timedelta(hours=1)
COUNT = 40


@pytest.fixture
def eager():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _scans_at_once(now, n=2):
    barrier = threading.Barrier(n)

    def run():
        barrier.wait()
        try:
            return services.sla_scan(now)
        finally:
            connection.close()

    with ThreadPoolExecutor(n) as pool:
        return [future.result(timeout=60) for future in [pool.submit(run) for _ in range(n)]]


def test_two_scans_at_once_queue_each_escalation_once(eager):
    boss, senior = StaffFactory(email="boss@example.com"), StaffFactory(email="senior@example.com")
    policy = policy_with(business_hours=False, resolution=60, first_response=120)
    rule(policy, kind=EscalationKind.BREACH, level=1, action="notify_user", user=boss)
    rule(policy, kind=EscalationKind.AFTER_BREACH, level=2, offset_minutes=60, action="reassign", user=senior)
    warn_rule(policy, metric=SLAMetric.FIRST_RESPONSE, action="notify_user", user=boss)
    now = timezone.now()
    account = opened(now).account
    tickets = Ticket.objects.bulk_create(Ticket(account=account, subject=f"T{n}") for n in range(COUNT))
    SLAClock.objects.bulk_create(
        SLAClock(
            ticket=ticket,
            metric=metric,
            policy=policy,
            target_minutes=60,
            business_hours=False,
            started_at=now - 3 * HOUR,
            due_at=due,
            warn_at=now - HOUR,
        )
        for ticket in tickets
        for metric, due in ((SLAMetric.RESOLUTION, now - 2 * HOUR), (SLAMetric.FIRST_RESPONSE, now + HOUR))
    )

    results = _scans_at_once(now)
    assert sum(result["breached"] for result in results) == COUNT
    assert sum(result["warned"] for result in results) == COUNT
    assert sum(result["escalations"] for result in results) == 3 * COUNT
    assert SLAClock.objects.filter(state=ClockState.BREACHED, breached_at=now - 2 * HOUR).count() == COUNT
    assert SLAEvent.objects.count() == 3 * COUNT  # breach L1, after-breach L2, warning: once each
    boss_key = f"omni.user:{boss.pk}"
    assert Delivery.objects.filter(recipient_key=boss_key, event="tickets.sla.breached").count() == 3 * COUNT
    assert Delivery.objects.filter(recipient_key=boss_key, event="tickets.sla.warning").count() == 3 * COUNT
    assert OutboxEvent.objects.filter(event="tickets.sla.breached").count() == COUNT
    assert OutboxEvent.objects.filter(event="tickets.sla.warning").count() == COUNT
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("assignee", flat=True)) == {senior.pk}
    # One reassignment each: one tickets.ticket.updated per ticket.
    assert OutboxEvent.objects.filter(event="tickets.ticket.updated").count() == COUNT

    # And again, at once: nothing new.
    results = _scans_at_once(now + datetime.timedelta(minutes=1))
    assert results == [{"breached": 0, "warned": 0, "escalations": 0, "requeued": 0}] * 2
    assert SLAEvent.objects.count() == 3 * COUNT
    assert Delivery.objects.filter(recipient_key=boss_key).count() == 6 * COUNT


def test_a_scan_skips_a_ticket_a_service_holds_and_the_next_takes_it():
    """The scan never waits for a ticket's row while it holds clocks (it could deadlock with the service holding
    the ticket): that ticket's clock is left to the next scan, breached at its due all the same."""
    from django.db import transaction

    policy = policy_with(business_hours=False, resolution=60)
    now = timezone.now()
    ticket = opened(now - 3 * HOUR)
    due = now - 2 * HOUR
    SLAClock.objects.create(
        ticket=ticket, metric=SLAMetric.RESOLUTION, policy=policy, target_minutes=60, business_hours=False,
        started_at=due - HOUR, due_at=due,
    )  # fmt: skip
    held, release = threading.Event(), threading.Event()

    def service():
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=ticket.pk)  # as ticket_update does
                held.set()
                release.wait(30)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        holder = pool.submit(service)
        assert held.wait(30)
        try:
            assert services.sla_scan(now)["breached"] == 0  # returns at once: nothing waited
        finally:
            release.set()
        holder.result(timeout=30)
    assert services.sla_scan(now)["breached"] == 1
    ticket.refresh_from_db()
    assert ticket.sla_state == "breached"
    assert SLAClock.objects.get(ticket=ticket).breached_at == due
