"""Races on tickets: the database decides (row locks, the number sequence)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from omni.exceptions import Conflict
from tests.tickets.factories import TicketFactory
from tickets import services
from tickets.choices import TicketStatus
from tickets.models import Ticket, TicketStatusChange

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls):
    """Each call in its own thread and database session, all released at once: "ok", "conflict" or the error."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            call()
            return "ok"
        except Conflict:
            return "conflict"
        except Exception as exc:  # noqa: BLE001 - reported, the test asserts on it
            return repr(exc)
        finally:
            connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=30) for future in futures]


def test_two_transitions_at_once_run_one_after_the_other(admin_user):
    """Resolve and close an open ticket at once. Under the row lock either order is a valid chain: resolve then
    close (both ok), or close then resolve (409: closed is final). Without it, a resolve could overwrite the close."""
    seen = set()
    for _round in range(4):
        ticket = TicketFactory(status=TicketStatus.OPEN)
        results = run_together(
            lambda t=ticket: services.ticket_transition(
                ticket_id=t.pk, to=TicketStatus.RESOLVED, by=admin_user, resolution="Fixed"
            ),
            lambda t=ticket: services.ticket_transition(ticket_id=t.pk, to=TicketStatus.CLOSED, by=admin_user),
        )
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.CLOSED
        history = list(TicketStatusChange.objects.filter(ticket=ticket).order_by("at").values_list("old", "new"))
        if results == ["ok", "ok"]:
            assert history == [(TicketStatus.OPEN, TicketStatus.RESOLVED), (TicketStatus.RESOLVED, TicketStatus.CLOSED)]
        else:
            assert results == ["conflict", "ok"], results
            assert history == [(TicketStatus.OPEN, TicketStatus.CLOSED)]
        seen.add(tuple(results))
    assert seen <= {("ok", "ok"), ("conflict", "ok")}


def test_numbers_stay_unique_under_concurrency(account, agent):
    results = run_together(
        *[lambda i=i: services.ticket_create(account_id=account.pk, subject=f"T{i}", by=agent) for i in range(6)]
    )
    assert results == ["ok"] * 6
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(numbers) == 6 and len(set(numbers)) == 6
