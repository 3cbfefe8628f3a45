"""The SLA scan (DOMAIN.md C.6, point 4), beat every minute: a few set-based statements whatever the number of
clocks, then escalations queued for exactly the rows the statements returned.

1. `UPDATE tickets_slaclock ... RETURNING`: running clocks past due become breached, `breached_at` = their due
   (not the scan's time, so reports do not depend on scan lag). Clocks whose clock or ticket row a service holds
   are skipped (SKIP LOCKED: the scan never waits while holding rows, so it cannot deadlock with a service); the
   next scan takes them.
2. `INSERT INTO tickets_slaevent ... SELECT ... JOIN tickets_escalationrule ... ON CONFLICT DO NOTHING RETURNING`:
   warnings (running clocks past warn_at), the breach level (clocks breached by 1.) and the levels after the
   breach (breached_at + offset passed). The unique key (clock, kind, level) makes each level fire once per
   clock and cycle, however many scans run, at once or again.
3. The touched tickets' sla_state in one UPDATE; tickets.sla.warning / .breached in the outbox in one INSERT.
4. After commit, the returned events with an action are queued (tasks.sla_escalate): notify a user or a team,
   reassign, move to a team, raise the priority, through the services (so history and events are right). An
   event whose action has not run REQUEUE_AFTER after it fired (its task was lost with the broker, a worker
   died) is queued again by a later scan (one bounded SELECT on a partial index); acted_at makes it run once.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from notifications.choices import Channel
from notifications.recipients import Recipient
from notifications.services import notify
from omni.models import User

from .. import events
from ..choices import PRIORITY_RANK, EscalationAction, EscalationKind
from ..models import SLAEvent

__all__ = ["breaches_fire", "sla_escalate", "sla_scan"]

logger = logging.getLogger(__name__)

ESCALATE_BATCH = 100  # events per escalation task
ESCALATION_CHANNELS = (Channel.EMAIL, Channel.INAPP, Channel.SMS)  # SMS waits for the person's quiet hours

# The clock and its ticket are locked together: a clock whose ticket a service holds is left to the next scan
# (its breached_at is its due either way), and the tickets' state below is then never skipped for a breach.
BREACH_SQL = """
UPDATE tickets_slaclock c
   SET state = 'breached', breached_at = c.due_at, updated_at = %(now)s
 WHERE c.id IN (SELECT due.id FROM tickets_slaclock due JOIN tickets_ticket t ON t.id = due.ticket_id
                 WHERE due.state = 'running' AND due.due_at <= %(now)s
                   FOR NO KEY UPDATE OF due, t SKIP LOCKED)
   AND c.state = 'running'
RETURNING c.id, c.ticket_id
"""

_EVENT_SELECT = """
SELECT gen_random_uuid(), c.id, r.kind, r.level, r.id, %(now)s
  FROM tickets_escalationrule r
  JOIN tickets_slaclock c ON c.policy_id = r.policy_id AND c.metric = r.metric
"""
# Warnings and after-breach levels of every clock (the scan), or of the given clocks only (a service's breach).
EVENTS_SQL = f"""
INSERT INTO tickets_slaevent (id, clock_id, kind, level, rule_id, at)
{_EVENT_SELECT}
 WHERE r.kind = 'warn' AND %(scan)s AND c.state = 'running' AND c.warn_at <= %(now)s
UNION ALL
{_EVENT_SELECT}
 WHERE r.kind = 'breach' AND c.id = ANY(%(breached)s)
UNION ALL
{_EVENT_SELECT}
 WHERE r.kind = 'after_breach' AND c.state = 'breached' AND c.met_at IS NULL
   AND c.breached_at <= %(now)s - make_interval(mins => r.offset_minutes)
   AND (%(scan)s OR c.id = ANY(%(breached)s))
ON CONFLICT (clock_id, kind, level) DO NOTHING
RETURNING id, clock_id, kind
"""
# The scan only ever makes a ticket worse: a breached clock makes it breached, a warned one warning (unless it is
# breached already), so the state needs no look at the other clocks. Tickets a service holds are skipped (SKIP
# LOCKED: waiting for one while holding clocks could deadlock with it); that service sets their state itself.
SCAN_STATE_SQL = """
WITH wanted AS (
    SELECT DISTINCT ON (id) id, state
      FROM (SELECT unnest(%(breached)s::uuid[]) AS id, 'breached' AS state, 0 AS rank
            UNION ALL
            SELECT ticket_id, 'warning', 1 FROM tickets_slaclock WHERE id = ANY(%(warned)s::uuid[])) AS marked
     ORDER BY id, rank
), locked AS (
    SELECT t.id, wanted.state
      FROM tickets_ticket t JOIN wanted ON wanted.id = t.id
     WHERE t.sla_state <> 'breached' AND (wanted.state = 'breached' OR t.sla_state <> 'warning')
       FOR NO KEY UPDATE OF t SKIP LOCKED
)
UPDATE tickets_ticket t SET sla_state = locked.state, updated_at = %(now)s FROM locked WHERE t.id = locked.id
"""


# Events whose action never ran (the task was lost: the broker was down at commit, a worker died): queued again
# by the next scan once they are REQUEUE_AFTER old, a bounded batch per scan.
REQUEUE_AFTER = datetime.timedelta(minutes=5)
REQUEUE_BATCH = 1000
REQUEUE_SQL = """
SELECT e.id FROM tickets_slaevent e
 WHERE e.acted_at IS NULL AND e.at <= %(before)s AND e.rule_id IS NOT NULL
 ORDER BY e.at
 LIMIT %(limit)s
"""


def _events_insert(cursor, *, now: datetime.datetime, breached: list[UUID], scan: bool) -> list[tuple]:
    cursor.execute(EVENTS_SQL, {"now": now, "breached": breached, "scan": scan})
    return cursor.fetchall()


def _queue(event_ids: list[UUID]) -> None:
    """After commit: the escalation actions of these events, ESCALATE_BATCH per task."""
    if not event_ids:
        return
    from ..tasks import sla_escalate as task

    for start in range(0, len(event_ids), ESCALATE_BATCH):
        task.delay_on_commit([str(pk) for pk in event_ids[start : start + ESCALATE_BATCH]])


def breaches_fire(*, clock_ids: list[UUID], now: datetime.datetime) -> None:
    """Clocks a service just breached (a re-target, an overdue clock met or paused before the scan saw it):
    their breach and due after-breach levels, their tickets.sla.breached events, escalations after commit. In
    the caller's transaction."""
    with connection.cursor() as cursor:
        rows = _events_insert(cursor, now=now, breached=list(clock_ids), scan=False)
    events.sla_events_record(warned=[], breached=list(clock_ids), now=now)
    _queue([row[0] for row in rows])


@transaction.atomic
def sla_scan(now: datetime.datetime | None = None) -> dict[str, int]:
    """Mark breaches and warnings of every running clock and fire the escalation levels that are due, in a fixed
    number of statements. Safe to run twice or at once: each level fires once (the events' unique key), and
    only the events this call inserted are queued, plus events older than REQUEUE_AFTER whose action never ran.
    Returns counts of what this call did."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(BREACH_SQL, {"now": now})
        breached = cursor.fetchall()
        breached_ids = [row[0] for row in breached]
        fired = _events_insert(cursor, now=now, breached=breached_ids, scan=True)
        warned = [clock_id for _id, clock_id, kind in fired if kind == EscalationKind.WARN]
        cursor.execute(REQUEUE_SQL, {"before": now - REQUEUE_AFTER, "limit": REQUEUE_BATCH})
        stale = [row[0] for row in cursor.fetchall()]
        if breached or warned:
            cursor.execute(
                SCAN_STATE_SQL,
                {
                    "now": now,
                    "breached": list({row[1] for row in breached}),
                    "warned": warned,
                },
            )
    events.sla_events_record(warned=warned, breached=breached_ids, now=now)
    _queue([row[0] for row in fired] + stale)
    return {"breached": len(breached), "warned": len(warned), "escalations": len(fired), "requeued": len(stale)}


def _recipients(event: SLAEvent) -> list[Recipient]:
    rule = event.rule
    if rule.action == EscalationAction.NOTIFY_USER:
        users = [rule.user] if rule.user.is_active else []
    else:
        users = list(rule.team.members.filter(is_active=True))
    return [Recipient.for_user(user) for user in users]


def _act(event: SLAEvent, *, now: datetime.datetime) -> None:
    from .desk import ticket_update

    rule, ticket = event.rule, event.clock.ticket
    if ticket.deleted_at is not None:
        return  # deleted since: nobody is told about it, nothing is moved
    if rule.action in (EscalationAction.NOTIFY_USER, EscalationAction.NOTIFY_TEAM):
        key = "tickets.sla.warning" if event.kind == EscalationKind.WARN else "tickets.sla.breached"
        notify(
            key,
            _recipients(event),
            events.sla_payload(event.clock, level=event.level),
            channels=ESCALATION_CHANNELS,
            idempotency_key=f"tickets.slaevent:{event.pk}",
            url=events.ticket_url(ticket.pk),
            now=now,
        )
    elif rule.action == EscalationAction.REASSIGN:
        ticket_update(ticket_id=ticket.pk, assignee_id=rule.user_id)
    elif rule.action == EscalationAction.REASSIGN_TEAM:
        ticket_update(ticket_id=ticket.pk, team_id=rule.team_id)
    elif rule.action == EscalationAction.RAISE_PRIORITY and PRIORITY_RANK[rule.priority] > PRIORITY_RANK.get(
        ticket.priority, -1
    ):
        ticket_update(ticket_id=ticket.pk, priority=rule.priority)


def sla_escalate(*, event_ids: Iterable[UUID | str], now: datetime.datetime | None = None) -> int:
    """Carry out the actions of these SLA events (tasks.sla_escalate, queued by the scan for the events it
    inserted, and again for events whose action never ran), each in its own transaction with the event locked:
    carried out, it gets acted_at, so a retried, requeued or concurrent task skips it. One failing (a rule
    naming a deactivated user) is logged, marked and not retried; the others still run. Returns how many were
    carried out."""
    now = now or timezone.now()
    done = 0
    ids = list(event_ids)
    for event_id in SLAEvent.objects.filter(pk__in=ids).order_by("at", "level").values_list("pk", flat=True):
        try:
            with transaction.atomic():
                # Locked and re-read: a retried or requeued task that meets an event already acted on skips it.
                event = (
                    SLAEvent.objects.select_for_update(of=("self",), skip_locked=True)
                    .filter(pk=event_id, acted_at__isnull=True, rule__isnull=False)
                    .select_related("rule__user", "rule__team", "clock__ticket")
                    .first()
                )
                if event is None:
                    continue
                _act(event, now=now)
                SLAEvent.objects.filter(pk=event.pk).update(acted_at=now)
            done += 1
        except (ValidationError, User.DoesNotExist) as exc:
            # It would fail the same way again (a rule naming a deactivated user): logged, and not requeued.
            logger.warning("SLA event %s: escalation failed: %s", event_id, exc)
            SLAEvent.objects.filter(pk=event_id, acted_at__isnull=True).update(acted_at=now)
    return done
