"""Builders for the SLA tests: a Lagos office-hours calendar, policies with targets and escalation rules, and a
ticket opened at a given moment."""

import datetime
from zoneinfo import ZoneInfo

from tests.tickets.factories import BusinessCalendarFactory, SLAPolicyFactory, TicketFactory, office_hours
from tickets.choices import ConditionField, EscalationKind, SLAMetric, TicketStatus
from tickets.models import EscalationRule, SLAClock, SLACondition, SLATarget, Ticket

LAGOS = ZoneInfo("Africa/Lagos")


def lagos(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime.datetime:
    """A wall-clock moment in Lagos in March 2026 (Mon 2, Fri 6, Mon 9, Tue 10, Wed 11)."""
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=LAGOS)


def lagos_calendar():
    calendar = BusinessCalendarFactory(time_zone="Africa/Lagos")
    office_hours(calendar)
    return calendar


def policy_with(calendar=None, *, priorities=None, business_hours=True, **minutes):
    """A policy with targets in minutes per metric (first_response=60, resolution=120, ...)."""
    policy = SLAPolicyFactory(calendar=calendar or lagos_calendar())
    if priorities:
        SLACondition.objects.create(policy=policy, field=ConditionField.PRIORITY, values=list(priorities))
    for metric, value in minutes.items():
        SLATarget.objects.create(policy=policy, metric=metric, minutes=value, business_hours=business_hours)
    return policy


def rule(policy, *, kind, level=1, metric=SLAMetric.RESOLUTION, **fields):
    return EscalationRule.objects.create(policy=policy, metric=metric, kind=kind, level=level, **fields)


def warn_rule(policy, percent=75, **fields):
    return rule(policy, kind=EscalationKind.WARN, percent=percent, **fields)


def opened(at: datetime.datetime, *, status=TicketStatus.OPEN, **fields) -> Ticket:
    """A ticket row created at `at` (no clocks yet: the test starts them)."""
    ticket = TicketFactory(status=status, **fields)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at)
    ticket.refresh_from_db()
    return ticket


def clock_of(ticket, metric=SLAMetric.RESOLUTION, cycle=None) -> SLAClock:
    clocks = SLAClock.objects.filter(ticket=ticket, metric=metric)
    return clocks.get(cycle=cycle) if cycle else clocks.order_by("-cycle").first()
