"""SLA clocks (DOMAIN.md C.6, point 3): started, paused, resumed, met, re-targeted and stopped inside the ticket's
transaction by services.desk (the ticket row is locked there, so its clocks change one writer at a time). The beat
scan (scan.py) marks warnings and breaches of running clocks in set-based SQL.

A clock's arithmetic is in business time on its policy's calendar (tickets.business_time), or round the clock
when its target says so. `elapsed_seconds` is the target time used up at the last pause or stop; a paused clock
keeps the `remaining_seconds` it had; a re-target counts from `started_at` plus the time spent paused."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from uuid import UUID

from django.db import connection

from crm.models import Account

from .. import selectors
from ..business_time import CalendarSpec, add_business, business_between
from ..choices import DONE_STATUSES, ClockState, EscalationKind, SLAMetric, TicketStatus
from ..models import EscalationRule, SLAClock, SLAPolicy, SLATarget, Ticket

__all__ = [
    "sla_on_comment",
    "sla_on_status",
    "sla_retarget",
    "sla_start",
]

PAUSING = frozenset({TicketStatus.PENDING_CUSTOMER, TicketStatus.ON_HOLD})
LIVE = (ClockState.RUNNING, ClockState.PAUSED)
RESPONSES = (SLAMetric.FIRST_RESPONSE, SLAMetric.NEXT_RESPONSE)
# The fields whose change may pick another policy (or other targets): ticket_update re-targets on them.
POLICY_FIELDS = frozenset({"priority", "category", "source", "tags", "account_id"})

# The ticket's SLA at a glance from its current clocks (the latest cycle of each metric): the worst state wins,
# breached > warning > running > paused > met; no clock (or only cancelled ones): "". One statement for any
# number of tickets; the scan runs it for the tickets it touched, the services for one.
SLA_STATE_SQL = """
UPDATE tickets_ticket t
   SET sla_state = s.state, updated_at = %(now)s
  FROM (
    SELECT ticket_id,
           CASE WHEN bool_or(state = 'breached') THEN 'breached'
                WHEN bool_or(state = 'running' AND warn_at <= %(now)s) THEN 'warning'
                WHEN bool_or(state = 'running') THEN 'running'
                WHEN bool_or(state = 'paused') THEN 'paused'
                WHEN bool_or(state = 'met') THEN 'met'
                ELSE '' END AS state
      FROM (SELECT DISTINCT ON (ticket_id, metric) ticket_id, state, warn_at
              FROM tickets_slaclock
             WHERE ticket_id = ANY(%(ids)s)
             ORDER BY ticket_id, metric, cycle DESC) latest
     GROUP BY ticket_id
  ) s
 WHERE t.id = s.ticket_id AND t.sla_state IS DISTINCT FROM s.state
RETURNING t.id
"""


def _seconds(value: datetime.timedelta) -> int:
    return int(value.total_seconds())


@dataclass
class _Context:
    """What one hook needs more than once: calendars (three queries each, read once) and warning shares."""

    now: datetime.datetime
    specs: dict[UUID, CalendarSpec] = field(default_factory=dict)
    warn: dict[tuple[UUID, str], int | None] = field(default_factory=dict)
    breached: list[UUID] = field(default_factory=list)  # clocks this hook breached: their events fire

    def spec(self, policy: SLAPolicy | None) -> CalendarSpec | None:
        if policy is None:
            return None
        if policy.calendar_id not in self.specs:
            self.specs[policy.calendar_id] = selectors.calendar_spec(calendar_id=policy.calendar_id)
        return self.specs[policy.calendar_id]

    def warn_percent(self, policy_id: UUID | None, metric: str) -> int | None:
        """The earliest warning share of the policy's rules for the metric (None: the policy does not warn)."""
        if policy_id is None:
            return None
        if (policy_id, metric) not in self.warn:
            percents = EscalationRule.objects.filter(
                policy_id=policy_id, metric=metric, kind=EscalationKind.WARN
            ).values_list("percent", flat=True)
            self.warn[(policy_id, metric)] = min(percents, default=None)
        return self.warn[(policy_id, metric)]


# ---- arithmetic on a clock ---------------------------------------------------------------------------------


def _add(ctx: _Context, clock: SLAClock, start: datetime.datetime, seconds: float) -> datetime.datetime:
    spec = ctx.spec(clock.policy)
    if spec is None or not clock.business_hours:
        return start + datetime.timedelta(seconds=seconds)
    return add_business(spec, start, datetime.timedelta(seconds=seconds))


def _between(ctx: _Context, clock: SLAClock, a: datetime.datetime, b: datetime.datetime) -> int:
    """Seconds of the clock's time from a to b, negative when b is before a."""
    if b < a:
        return -_between(ctx, clock, b, a)
    spec = ctx.spec(clock.policy)
    if spec is None or not clock.business_hours:
        return _seconds(b - a)
    return _seconds(business_between(spec, a, b))


def _target(clock: SLAClock) -> int:
    return clock.target_minutes * 60


def _used(ctx: _Context, clock: SLAClock, at: datetime.datetime) -> int:
    """The target time used up by `at` (more than the target once overdue)."""
    if clock.state == ClockState.PAUSED:
        return _target(clock) - clock.remaining_seconds
    return _target(clock) - _between(ctx, clock, at, clock.due_at)


def _warn_at(ctx: _Context, clock: SLAClock, start: datetime.datetime, used: int) -> datetime.datetime | None:
    """When the clock reaches its warning share, counting on from `start` with `used` seconds spent already."""
    percent = ctx.warn_percent(clock.policy_id, clock.metric)
    if percent is None:
        return None
    return _add(ctx, clock, start, max(_target(clock) * percent / 100 - used, 0))


# ---- transitions of one clock ------------------------------------------------------------------------------


def _save(clock: SLAClock) -> None:
    clock.save()


def _breach(ctx: _Context, clock: SLAClock, at: datetime.datetime) -> None:
    clock.state, clock.breached_at, clock.due_at = ClockState.BREACHED, at, at
    clock.paused_at = clock.remaining_seconds = None
    ctx.breached.append(clock.pk)


def _start(ctx: _Context, ticket: Ticket, target: SLATarget, *, start: datetime.datetime, cycle: int = 1) -> SLAClock:
    clock = SLAClock(
        ticket=ticket,
        metric=target.metric,
        cycle=cycle,
        policy=target.policy,
        target_minutes=target.minutes,
        business_hours=target.business_hours,
        state=ClockState.RUNNING,
        started_at=start,
    )
    clock.due_at = _add(ctx, clock, start, _target(clock))
    clock.warn_at = _warn_at(ctx, clock, start, 0)
    if clock.due_at <= ctx.now:
        clock.save()  # the breach's events need the row
        _breach(ctx, clock, clock.due_at)
    elif ticket.status in PAUSING:
        _pause(ctx, clock)
    clock.save()
    return clock


def _pause(ctx: _Context, clock: SLAClock) -> None:
    if clock.due_at <= ctx.now:  # overdue, the scan has not seen it yet: it is breached, not paused
        _breach(ctx, clock, clock.due_at)
        return
    remaining = _between(ctx, clock, ctx.now, clock.due_at)
    clock.state, clock.paused_at, clock.remaining_seconds = ClockState.PAUSED, ctx.now, remaining
    clock.elapsed_seconds = max(_target(clock) - remaining, 0)
    clock.due_at = clock.warn_at = None


def _resume(ctx: _Context, clock: SLAClock) -> None:
    used = _target(clock) - clock.remaining_seconds
    clock.due_at = _add(ctx, clock, ctx.now, clock.remaining_seconds)
    clock.warn_at = _warn_at(ctx, clock, ctx.now, used)
    clock.state, clock.paused_at, clock.remaining_seconds = ClockState.RUNNING, None, None


def _meet(ctx: _Context, clock: SLAClock) -> None:
    """Met now: in time it is met; overdue (or breached already) it stays breached, with met_at set."""
    if clock.state in LIVE:
        used = _used(ctx, clock, ctx.now)
        clock.elapsed_seconds = max(used, 0)
        if clock.state == ClockState.RUNNING and clock.due_at <= ctx.now:
            _breach(ctx, clock, clock.due_at)
        else:
            clock.state, clock.paused_at, clock.remaining_seconds = ClockState.MET, None, None
    elif clock.due_at is not None:  # breached, met late
        clock.elapsed_seconds = _target(clock) + _between(ctx, clock, clock.due_at, ctx.now)
    clock.met_at = ctx.now


def _cancel(ctx: _Context, clock: SLAClock) -> None:
    if clock.state == ClockState.RUNNING:
        clock.elapsed_seconds = max(_used(ctx, clock, ctx.now), 0)
    clock.state, clock.warn_at, clock.paused_at, clock.remaining_seconds = ClockState.CANCELLED, None, None, None


def _retarget(ctx: _Context, clock: SLAClock, target: SLATarget) -> None:
    """New target from the start: due = started_at + the new target + the time spent paused; a due already past
    breaches the clock at once, at that due."""
    at = clock.paused_at if clock.state == ClockState.PAUSED else ctx.now
    used = _used(ctx, clock, at)
    clock.policy, clock.target_minutes, clock.business_hours = target.policy, target.minutes, target.business_hours
    paused = max(_between(ctx, clock, clock.started_at, at) - used, 0)
    due = _add(ctx, clock, clock.started_at, _target(clock) + paused)
    if used >= _target(clock) or due <= ctx.now:
        _breach(ctx, clock, min(due, at))
    elif clock.state == ClockState.PAUSED:
        clock.remaining_seconds = _target(clock) - used
    else:
        clock.due_at = due
        clock.warn_at = _warn_at(ctx, clock, clock.started_at, -paused)


# ---- the ticket's clocks -----------------------------------------------------------------------------------


def _policy(ticket: Ticket) -> SLAPolicy | None:
    kind = Account.objects.filter(pk=ticket.account_id).values_list("kind", flat=True).first() or ""
    return selectors.sla_policy_for(
        priority=ticket.priority,
        category=ticket.category,
        channel=ticket.source,
        account_kind=kind,
        tags=ticket.tags or (),
    )


def _targets(policy: SLAPolicy | None) -> dict[str, SLATarget]:
    if policy is None:
        return {}
    return {target.metric: target for target in SLATarget.objects.filter(policy=policy).select_related("policy")}


def _current(ticket: Ticket) -> dict[str, SLAClock]:
    """The latest cycle of each metric's clock."""
    clocks: dict[str, SLAClock] = {}
    # Locked (FOR NO KEY UPDATE, after the ticket's row): the scan skips them meanwhile, and never overwrites a
    # change made here, nor this one a breach it made.
    rows = SLAClock.objects.select_for_update(no_key=True, of=("self",)).filter(ticket=ticket)
    for clock in rows.select_related("policy").order_by("metric", "-cycle"):
        clocks.setdefault(clock.metric, clock)
    return clocks


def _finish(ctx: _Context, ticket: Ticket) -> None:
    """After the clocks changed: the ticket's dues and SLA state, and the events of clocks breached here."""
    from .scan import breaches_fire

    if ctx.breached:
        breaches_fire(clock_ids=ctx.breached, now=ctx.now)
    dues = {metric: clock.due_at for metric, clock in _current(ticket).items()}
    ticket.first_response_due = dues.get(SLAMetric.FIRST_RESPONSE)
    ticket.resolution_due = dues.get(SLAMetric.RESOLUTION)
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due=ticket.first_response_due, resolution_due=ticket.resolution_due
    )
    with connection.cursor() as cursor:
        cursor.execute(SLA_STATE_SQL, {"now": ctx.now, "ids": [ticket.pk]})
    state = Ticket.objects.filter(pk=ticket.pk).values_list("sla_state", flat=True).get()
    ticket.sla_state = state if dues else ""


def sla_start(*, ticket: Ticket, now: datetime.datetime) -> None:
    """A new ticket: the first policy that matches it starts its first-response and resolution clocks."""
    ctx = _Context(now)
    targets = _targets(_policy(ticket))
    for metric in (SLAMetric.FIRST_RESPONSE, SLAMetric.RESOLUTION):
        if metric in targets:
            _start(ctx, ticket, targets[metric], start=ticket.created_at or now)
    if targets:
        _finish(ctx, ticket)


def sla_on_status(*, ticket: Ticket, old: str, new: str, now: datetime.datetime) -> None:
    """A status move: pausing statuses pause the running clocks and leaving them resumes; resolving meets the
    resolution clock (and ends the response clocks); reopening starts a new resolution cycle; closing cancels
    what is left."""
    clocks = _current(ticket)
    if not clocks:
        return
    ctx = _Context(now)
    changed = []
    for clock in clocks.values():
        before = (clock.state, clock.met_at)
        if new == TicketStatus.CLOSED or (new == TicketStatus.RESOLVED and clock.metric in RESPONSES):
            if clock.state in LIVE:
                _cancel(ctx, clock)
        elif new == TicketStatus.RESOLVED:
            if clock.state in LIVE or (clock.state == ClockState.BREACHED and clock.met_at is None):
                _meet(ctx, clock)
        elif new in PAUSING and old not in PAUSING and clock.state == ClockState.RUNNING:
            _pause(ctx, clock)
        elif new not in PAUSING and old in PAUSING and clock.state == ClockState.PAUSED:
            _resume(ctx, clock)
        if (clock.state, clock.met_at) != before or clock.state in LIVE:
            changed.append(clock)
    for clock in changed:
        _save(clock)
    if old == TicketStatus.RESOLVED and new == TicketStatus.OPEN:
        target = _targets(_policy(ticket)).get(SLAMetric.RESOLUTION)
        if target is not None:
            cycle = clocks[SLAMetric.RESOLUTION].cycle + 1 if SLAMetric.RESOLUTION in clocks else 1
            _start(ctx, ticket, target, start=now, cycle=cycle)
    _finish(ctx, ticket)


def sla_on_comment(*, ticket: Ticket, staff: bool, public: bool, now: datetime.datetime) -> None:
    """A public staff reply meets the response clocks (internal notes never do); a customer's reply after a
    staff reply starts a new cycle of the next-response clock."""
    if not public:
        return
    clocks = _current(ticket)
    ctx = _Context(now)
    if staff:
        answered = [
            clock
            for metric, clock in clocks.items()
            if metric in RESPONSES
            and (clock.state in LIVE or (clock.state == ClockState.BREACHED and clock.met_at is None))
        ]
        for clock in answered:
            _meet(ctx, clock)
            _save(clock)
        if answered:
            _finish(ctx, ticket)
        return
    last = clocks.get(SLAMetric.NEXT_RESPONSE)
    waiting = last is not None and (last.state in LIVE or (last.state == ClockState.BREACHED and not last.met_at))
    if ticket.first_response_at is None or waiting or ticket.status in DONE_STATUSES:
        return
    target = _targets(_policy(ticket)).get(SLAMetric.NEXT_RESPONSE)
    if target is not None:
        _start(ctx, ticket, target, start=now, cycle=last.cycle + 1 if last else 1)
        _finish(ctx, ticket)


def sla_retarget(*, ticket: Ticket, now: datetime.datetime) -> None:
    """The ticket changed in a way that may pick another policy or targets (priority, category, channel, account,
    tags): live clocks take the new targets from their start (breaching at once when the new due has passed),
    clocks whose metric the new policy lacks are cancelled, and metrics it adds start from the ticket's
    creation."""
    ctx = _Context(now)
    targets = _targets(_policy(ticket))
    clocks = _current(ticket)
    for metric, clock in clocks.items():
        if clock.state not in LIVE:
            continue
        target = targets.get(metric)
        if target is None:
            _cancel(ctx, clock)
        elif (clock.policy_id, clock.target_minutes, clock.business_hours) == (
            target.policy_id,
            target.minutes,
            target.business_hours,
        ):
            continue
        else:
            _retarget(ctx, clock, target)
        _save(clock)
    missing = {
        SLAMetric.FIRST_RESPONSE: ticket.first_response_at is None,
        SLAMetric.RESOLUTION: ticket.status not in DONE_STATUSES,
    }
    for metric, wanted in missing.items():
        if wanted and metric in targets and metric not in clocks:
            _start(ctx, ticket, targets[metric], start=ticket.created_at)
    if clocks or targets:
        _finish(ctx, ticket)
