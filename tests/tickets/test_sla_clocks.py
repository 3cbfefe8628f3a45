"""SLA clocks in the ticket's transaction (issue 10, Done when; DOMAIN.md C.7 8-12): dues to the minute on a Lagos
office-hours calendar, pausing and resuming, re-targeting on a priority change, responses, resolving and
reopening, and the ticket's SLA columns kept in step."""

import datetime

import pytest

from tests.tickets.factories import HolidayFactory
from tests.tickets.sla_support import clock_of, lagos, lagos_calendar, opened, policy_with, warn_rule
from tickets import services
from tickets.choices import ClockState, SLAMetric, SLAState, TicketPriority, TicketStatus
from tickets.models import SLAClock, SLAEvent

pytestmark = pytest.mark.django_db
FR, NR, RES = SLAMetric.FIRST_RESPONSE, SLAMetric.NEXT_RESPONSE, SLAMetric.RESOLUTION


def test_friday_afternoon_two_hours_is_due_monday_0930():
    policy_with(resolution=120)
    ticket = opened(lagos(6, 16, 30))
    services.sla_start(ticket=ticket, now=lagos(6, 16, 30))
    clock = clock_of(ticket)
    assert (clock.state, clock.cycle, clock.started_at) == (ClockState.RUNNING, 1, lagos(6, 16, 30))
    assert clock.due_at == lagos(9, 9, 30)
    ticket.refresh_from_db()
    assert (ticket.resolution_due, ticket.first_response_due, ticket.sla_state) == (
        lagos(9, 9, 30),
        None,
        SLAState.RUNNING,
    )


def test_with_monday_a_holiday_it_is_due_tuesday_0930():
    calendar = lagos_calendar()
    HolidayFactory(calendar=calendar, date=datetime.date(2026, 3, 9))
    policy_with(calendar, resolution=120)
    ticket = opened(lagos(6, 16, 30))
    services.sla_start(ticket=ticket, now=lagos(6, 16, 30))
    assert clock_of(ticket).due_at == lagos(10, 9, 30)


def test_calendar_hours_count_round_the_clock():
    policy_with(resolution=120, business_hours=False)
    ticket = opened(lagos(6, 16, 30))
    services.sla_start(ticket=ticket, now=lagos(6, 16, 30))
    assert clock_of(ticket).due_at == lagos(6, 18, 30)


def test_warn_at_is_the_rules_share_of_the_target_in_business_time():
    policy = policy_with(resolution=120)
    warn_rule(policy, percent=75, action="notify_team", team=_team())
    ticket = opened(lagos(6, 16, 30))
    services.sla_start(ticket=ticket, now=lagos(6, 16, 30))
    assert clock_of(ticket).warn_at == lagos(9, 9, 0)  # 90 of 120 minutes: 30 on Friday, 60 on Monday


def _team():
    from tests.tickets.factories import TeamFactory

    return TeamFactory()


def test_paused_tuesday_with_three_hours_left_resumed_wednesday_is_due_at_five():
    policy_with(resolution=240)
    ticket = opened(lagos(10, 9, 0))
    services.sla_start(ticket=ticket, now=lagos(10, 9, 0))
    assert clock_of(ticket).due_at == lagos(10, 13, 0)

    services.sla_on_status(ticket=ticket, old=TicketStatus.OPEN, new=TicketStatus.PENDING_CUSTOMER, now=lagos(10, 10))
    clock = clock_of(ticket)
    assert (clock.state, clock.due_at, clock.paused_at) == (ClockState.PAUSED, None, lagos(10, 10))
    assert (clock.remaining_seconds, clock.elapsed_seconds) == (3 * 3600, 3600)
    ticket.refresh_from_db()
    assert (ticket.sla_state, ticket.resolution_due) == (SLAState.PAUSED, None)

    services.sla_on_status(ticket=ticket, old=TicketStatus.PENDING_CUSTOMER, new=TicketStatus.OPEN, now=lagos(11, 14))
    clock = clock_of(ticket)
    assert (clock.state, clock.due_at, clock.paused_at, clock.remaining_seconds) == (
        ClockState.RUNNING,
        lagos(11, 17, 0),
        None,
        None,
    )
    ticket.refresh_from_db()
    assert (ticket.sla_state, ticket.resolution_due) == (SLAState.RUNNING, lagos(11, 17, 0))


def test_moving_between_pausing_statuses_keeps_the_clock_paused():
    policy_with(resolution=240)
    ticket = opened(lagos(10, 9, 0))
    services.sla_start(ticket=ticket, now=lagos(10, 9, 0))
    services.sla_on_status(ticket=ticket, old=TicketStatus.OPEN, new=TicketStatus.ON_HOLD, now=lagos(10, 10))
    services.sla_on_status(
        ticket=ticket, old=TicketStatus.ON_HOLD, new=TicketStatus.PENDING_CUSTOMER, now=lagos(10, 12)
    )
    clock = clock_of(ticket)
    assert (clock.state, clock.paused_at, clock.remaining_seconds) == (ClockState.PAUSED, lagos(10, 10), 3 * 3600)


def _low_and_urgent():
    calendar = lagos_calendar()
    policy_with(calendar, priorities=[TicketPriority.URGENT], resolution=4 * 60)
    return policy_with(calendar, resolution=24 * 60)


def test_raising_priority_retargets_from_the_start_and_breaches_at_the_new_due():
    _low_and_urgent()
    ticket = opened(lagos(9, 8, 0), priority=TicketPriority.LOW)
    services.sla_start(ticket=ticket, now=lagos(9, 8, 0))
    assert clock_of(ticket).due_at == lagos(11, 14, 0)  # 24 business hours: 9 + 9 + 6

    ticket.priority = TicketPriority.URGENT
    ticket.save(update_fields=["priority"])
    services.sla_retarget(ticket=ticket, now=lagos(10, 10, 0))
    clock = clock_of(ticket)
    assert (clock.state, clock.target_minutes, clock.breached_at, clock.due_at) == (
        ClockState.BREACHED,
        240,
        lagos(9, 12, 0),
        lagos(9, 12, 0),
    )
    assert SLAClock.objects.filter(ticket=ticket).count() == 1  # re-targeted, not a new clock
    ticket.refresh_from_db()
    assert (ticket.sla_state, ticket.resolution_due) == (SLAState.BREACHED, lagos(9, 12, 0))


def test_raising_priority_before_the_new_due_keeps_the_clock_running():
    _low_and_urgent()
    ticket = opened(lagos(9, 8, 0), priority=TicketPriority.LOW)
    services.sla_start(ticket=ticket, now=lagos(9, 8, 0))
    ticket.priority = TicketPriority.URGENT
    ticket.save(update_fields=["priority"])
    services.sla_retarget(ticket=ticket, now=lagos(9, 9, 0))
    clock = clock_of(ticket)
    assert (clock.state, clock.due_at, clock.breached_at) == (ClockState.RUNNING, lagos(9, 12, 0), None)


def test_retarget_adds_the_time_spent_paused():
    _low_and_urgent()
    ticket = opened(lagos(9, 8, 0), priority=TicketPriority.LOW)
    services.sla_start(ticket=ticket, now=lagos(9, 8, 0))
    services.sla_on_status(ticket=ticket, old=TicketStatus.OPEN, new=TicketStatus.ON_HOLD, now=lagos(9, 9))
    services.sla_on_status(ticket=ticket, old=TicketStatus.ON_HOLD, new=TicketStatus.OPEN, now=lagos(9, 11))
    ticket.priority = TicketPriority.URGENT
    ticket.save(update_fields=["priority"])
    services.sla_retarget(ticket=ticket, now=lagos(9, 11, 30))
    # 4 h of target from 08:00 plus the 2 h on hold.
    assert clock_of(ticket).due_at == lagos(9, 14, 0)


def test_a_priority_change_through_the_service_retargets(account, agent):
    _low_and_urgent()
    ticket = services.ticket_create(account_id=account.pk, subject="Down", priority=TicketPriority.LOW, by=agent)
    assert clock_of(ticket).target_minutes == 24 * 60
    services.ticket_update(ticket_id=ticket.pk, priority=TicketPriority.URGENT, by=agent)
    assert clock_of(ticket).target_minutes == 4 * 60
    services.ticket_update(ticket_id=ticket.pk, subject="Still down", by=agent)  # no policy field: untouched
    assert SLAClock.objects.filter(ticket=ticket).count() == 1


# ---- through the desk services (now is the real clock: calendar-time targets) ---------------------------------


@pytest.fixture
def round_the_clock():
    return policy_with(business_hours=False, first_response=60, next_response=30, resolution=8 * 60)


def test_an_internal_note_does_not_satisfy_first_response_a_public_reply_does(account, agent, round_the_clock):
    ticket = services.ticket_create(account_id=account.pk, subject="Down", by=agent)
    ticket.refresh_from_db()
    clock = clock_of(ticket, FR)
    assert clock.state == ClockState.RUNNING
    assert ticket.first_response_due == clock.due_at
    assert ticket.resolution_due == clock_of(ticket, RES).due_at
    assert ticket.sla_state == SLAState.RUNNING

    services.comment_add(ticket_id=ticket.pk, author=agent, body="Customer is grumpy", public=False)
    assert clock_of(ticket, FR).state == ClockState.RUNNING

    reply = services.comment_add(ticket_id=ticket.pk, author=agent, body="We are on it")
    clock = clock_of(ticket, FR)
    assert (clock.state, clock.met_at) == (ClockState.MET, reply.created_at)
    assert clock_of(ticket, RES).state == ClockState.RUNNING


def test_a_breached_first_response_stays_breached_when_answered(account, agent, round_the_clock):
    ticket = services.ticket_create(account_id=account.pk, subject="Down", by=agent)
    SLAClock.objects.filter(ticket=ticket, metric=FR).update(
        state=ClockState.BREACHED, breached_at=ticket.created_at, due_at=ticket.created_at
    )
    reply = services.comment_add(ticket_id=ticket.pk, author=agent, body="Sorry for the wait")
    clock = clock_of(ticket, FR)
    assert (clock.state, clock.met_at) == (ClockState.BREACHED, reply.created_at)


def test_a_customer_reply_after_a_staff_reply_starts_next_response_cycles(account, agent, customer, round_the_clock):
    ticket = services.ticket_create(account_id=account.pk, subject="Down", by=agent)
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Any news?")  # no staff reply yet
    assert clock_of(ticket, NR) is None
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Looking")
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Still down")
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Hello?")  # the clock runs already
    assert list(SLAClock.objects.filter(ticket=ticket, metric=NR).values_list("cycle", "state")) == [
        (1, ClockState.RUNNING)
    ]
    services.comment_add(ticket_id=ticket.pk, author=agent, body="A note", public=False)
    assert clock_of(ticket, NR).state == ClockState.RUNNING
    services.comment_add(ticket_id=ticket.pk, author=agent, body="Technician on the way")
    services.comment_add(ticket_id=ticket.pk, author=customer, body="Thanks, when?")
    assert list(SLAClock.objects.filter(ticket=ticket, metric=NR).order_by("cycle").values_list("cycle", "state")) == [
        (1, ClockState.MET),
        (2, ClockState.RUNNING),
    ]


def test_pausing_statuses_through_the_service(account, agent, round_the_clock):
    ticket = services.ticket_create(account_id=account.pk, subject="Down", by=agent)
    services.ticket_transition(ticket_id=ticket.pk, to=TicketStatus.PENDING_CUSTOMER, by=agent)
    ticket.refresh_from_db()
    assert {clock.state for clock in SLAClock.objects.filter(ticket=ticket)} == {ClockState.PAUSED}
    assert (ticket.sla_state, ticket.first_response_due, ticket.resolution_due) == (SLAState.PAUSED, None, None)
    services.ticket_transition(ticket_id=ticket.pk, to=TicketStatus.OPEN, by=agent)
    ticket.refresh_from_db()
    clock = clock_of(ticket, RES)
    assert clock.state == ClockState.RUNNING
    assert ticket.resolution_due == clock.due_at
    assert clock.due_at > ticket.created_at + datetime.timedelta(hours=8) - datetime.timedelta(seconds=5)


def test_resolving_meets_reopening_starts_a_new_cycle_closing_cancels(account, agent, customer, round_the_clock):
    ticket = services.ticket_create(account_id=account.pk, subject="Down", by=agent)
    services.ticket_transition(ticket_id=ticket.pk, to=TicketStatus.RESOLVED, by=agent, resolution="Rebooted")
    first = clock_of(ticket, RES)
    assert (first.state, first.cycle) == (ClockState.MET, 1)
    assert first.met_at is not None and first.elapsed_seconds < 60
    assert clock_of(ticket, FR).state == ClockState.CANCELLED  # resolved without a reply: nothing to respond to
    ticket.refresh_from_db()
    assert ticket.sla_state == SLAState.MET

    services.comment_add(ticket_id=ticket.pk, author=customer, body="It is down again")  # reopens
    second = clock_of(ticket, RES)
    assert (second.state, second.cycle) == (ClockState.RUNNING, 2)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.sla_state, ticket.resolution_due) == (
        TicketStatus.OPEN,
        SLAState.RUNNING,
        second.due_at,
    )

    services.ticket_transition(ticket_id=ticket.pk, to=TicketStatus.CLOSED, by=agent)
    assert clock_of(ticket, RES).state == ClockState.CANCELLED
    assert clock_of(ticket, RES, cycle=1).state == ClockState.MET
    ticket.refresh_from_db()
    assert ticket.sla_state == SLAState.NONE


def test_no_policy_no_clocks(account, agent):
    ticket = services.ticket_create(account_id=account.pk, subject="Down", by=agent)
    ticket.refresh_from_db()
    assert (ticket.sla_state, ticket.first_response_due, ticket.resolution_due) == ("", None, None)
    assert not SLAClock.objects.filter(ticket=ticket).exists()
    assert not SLAEvent.objects.exists()


def test_a_retarget_to_no_policy_cancels_and_a_new_match_starts_clocks(account, agent):
    policy_with(priorities=[TicketPriority.URGENT], business_hours=False, resolution=60)
    ticket = services.ticket_create(account_id=account.pk, subject="Down", by=agent)
    assert clock_of(ticket) is None
    services.ticket_update(ticket_id=ticket.pk, priority=TicketPriority.URGENT, by=agent)
    clock = clock_of(ticket)
    assert (clock.state, clock.started_at) == (ClockState.RUNNING, ticket.created_at)
    services.ticket_update(ticket_id=ticket.pk, priority=TicketPriority.LOW, by=agent)
    assert clock_of(ticket).state == ClockState.CANCELLED
    ticket.refresh_from_db()
    assert ticket.sla_state == SLAState.NONE
