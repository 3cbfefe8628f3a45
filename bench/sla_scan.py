"""Benchmark: the SLA scan over 100,000 open tickets against a single UPDATE of the same rows, and the ticket API
list page against its raw-SQL floor.

Loads 100,000 open tickets, each with a running resolution clock and a running first-response clock, into a
database of its own (DATABASE_URL with the name `<name>_sla`), with INSERT ... SELECT generate_series. A share
of the resolution clocks is overdue (10%: breach, and the level an hour after the breach) and a share of the
first-response clocks is past its 75% warning (10%). The policy's rules notify a user at the warning and the
breach and reassign an hour after it.

1. services.sla_scan (breach UPDATE, events INSERT ... ON CONFLICT, tickets' sla_state UPDATE, the outbox
   INSERT) against the floor the issue names, "a single UPDATE over the same rows" as the scan's: the scan is over
   the 100,000 open tickets, so one plain `UPDATE tickets_slaclock SET updated_at = now() WHERE state =
   'running'` over their running clocks (target: at most 1.5x). Printed beside it: the ratio to an UPDATE of only
   the overdue clocks (`... AND due_at <= now`, the rows the scan's own breach UPDATE changes; the scan writes
   about eight times as many rows: warnings, escalation events, tickets, outbox), and the scan's time per row
   written against that UPDATE's. Each run is inside a transaction that is rolled back, so every run starts from
   the same state (and queues nothing); the three alternate, medians are compared. A second scan right after the
   first (nothing new: the steady state of a scan every minute) is timed too.
2. GET /api/v1/tickets/tickets/?limit=100 as an Admin token, through gunicorn (2 sync workers, DEBUG off), against
   the same page and COUNT(*) straight from psycopg plus json.dumps (target: at most 2x).

Run with `make bench` (or .venv/bin/python bench/sla_scan.py [--tickets N] [--runs N] [--requests N]).
"""

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    dsn,
    free_port,
    migrate,
    pct,
    progress,
    read_token,
    start_gunicorn,
    time_api,
    time_floor,
    use_database,
)

BENCH_URL = use_database("sla")

QUERY = "/api/v1/tickets/tickets/?limit=100"
FLOOR_PAGE_SQL = """
SELECT id, number, account_id, contact_id, subject, description, category, priority, status, team_id, assignee_id,
       tags, first_response_due, resolution_due, sla_state, created_at, updated_at
FROM tickets_ticket WHERE deleted_at IS NULL ORDER BY created_at DESC, id LIMIT 100 OFFSET 0
"""
FLOOR_COUNT_SQL = "SELECT COUNT(*) FROM tickets_ticket WHERE deleted_at IS NULL"
# the floor: every running clock of the open tickets (the rows the scan is over)
FLOOR_UPDATE_SQL = "UPDATE tickets_slaclock SET updated_at = now() WHERE state = 'running'"
# for comparison: only the overdue clocks (the rows the scan's breach UPDATE changes)
OVERDUE_UPDATE_SQL = "UPDATE tickets_slaclock SET updated_at = now() WHERE state = 'running' AND due_at <= %s"

# Rows the scan wrote besides the breached clocks and the events: tickets whose state changed, outbox events.
ROWS_WRITTEN_SQL = """
SELECT (SELECT COUNT(*) FROM tickets_ticket WHERE updated_at = %s AND sla_state IN ('breached', 'warning'))
     + (SELECT COUNT(*) FROM notifications_outboxevent WHERE created_at = %s AND event LIKE 'tickets.sla.%%')
"""
TICKETS_SQL = """
INSERT INTO tickets_ticket (id, created_at, updated_at, subject, description, category, priority, source, status,
                            tags, resolution, account_id, sla_state)
SELECT gen_random_uuid(), %(now)s - make_interval(mins => i %% 600), %(now)s,
       'No internet ' || i, 'The light on the router is red.', 'connectivity',
       (ARRAY['low','normal','high','urgent'])[1 + i %% 4], 'portal', 'open', ARRAY['fiber'], '', %(account)s,
       'running'
FROM generate_series(%(start)s::int, %(end)s::int) AS i
"""
# Resolution clocks: 10% overdue by two hours. First-response clocks: 10% past their warning, not yet due.
CLOCKS_SQL = """
INSERT INTO tickets_slaclock (id, ticket_id, metric, cycle, policy_id, target_minutes, business_hours, state,
                              started_at, due_at, warn_at, elapsed_seconds, updated_at)
SELECT gen_random_uuid(), t.id, m.metric, 1, %(policy)s, m.minutes, false, 'running', t.created_at,
       CASE WHEN m.metric = 'resolution' AND n %% 10 = 0 THEN %(now)s - interval '2 hours'
            WHEN m.metric = 'resolution' THEN %(now)s + interval '3 hours'
            ELSE %(now)s + interval '20 minutes' END,
       CASE WHEN m.metric = 'first_response' AND n %% 10 = 1 THEN %(now)s - interval '5 minutes'
            ELSE %(now)s + interval '2 hours' END,
       0, %(now)s
FROM (SELECT id, created_at, row_number() OVER (ORDER BY id) AS n FROM tickets_ticket
       WHERE NOT EXISTS (SELECT 1 FROM tickets_slaclock c WHERE c.ticket_id = tickets_ticket.id)) t
CROSS JOIN (VALUES ('resolution', 240), ('first_response', 60)) AS m(metric, minutes)
"""


def _policy(now):
    from django.contrib.auth import get_user_model

    from omni.choices import Audience
    from tickets.choices import EscalationKind
    from tickets.models import BusinessCalendar, EscalationRule, SLAPolicy, SLATarget

    User = get_user_model()
    boss = User.objects.filter(email="sla-boss@example.com").first() or User.objects.create_user(
        "sla-boss@example.com", None, audience=Audience.STAFF, is_staff=True
    )
    calendar, _ = BusinessCalendar.objects.get_or_create(name="Bench", defaults={"time_zone": "Africa/Lagos"})
    policy, created = SLAPolicy.objects.get_or_create(name="Bench", defaults={"position": 1, "calendar": calendar})
    if created:
        for metric, minutes in (("resolution", 240), ("first_response", 60)):
            SLATarget.objects.create(policy=policy, metric=metric, minutes=minutes, business_hours=False)
        rules = [
            ("first_response", EscalationKind.WARN, 1, {"percent": 75, "action": "notify_user", "user": boss}),
            ("resolution", EscalationKind.BREACH, 1, {"action": "notify_user", "user": boss}),
            ("resolution", EscalationKind.AFTER_BREACH, 2, {"offset_minutes": 60, "action": "reassign", "user": boss}),
        ]
        for metric, kind, level, fields in rules:
            EscalationRule.objects.create(policy=policy, metric=metric, kind=kind, level=level, **fields)
    return policy


def prepare(count: int, now) -> str:
    import psycopg

    migrate("the SLA bench database")
    from crm.models import Account
    from tickets.models import Ticket

    account = Account.objects.filter(name="SLA bench").first() or Account.objects.create(name="SLA bench")
    policy = _policy(now)
    have = Ticket.objects.count()
    if have < count:
        print(f"- loading {count - have:,} tickets with two running clocks each")
        batch = 20_000
        with psycopg.connect(dsn()) as conn:
            for start in range(have + 1, count + 1, batch):
                end = min(start + batch - 1, count)
                conn.execute(TICKETS_SQL, {"now": now, "account": account.pk, "start": start, "end": end})
                conn.commit()
                progress(end - have, count - have, "tickets")
            conn.execute(CLOCKS_SQL, {"now": now, "policy": policy.pk})
            conn.commit()
    with psycopg.connect(dsn(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE tickets_ticket")
        conn.execute("VACUUM ANALYZE tickets_slaclock")
    return read_token("sla-bench@example.com", "sla bench", is_staff=True, is_superuser=True)


class Rollback(Exception):
    pass


def _timed(work) -> float:
    """Run `work` in a transaction that is rolled back: every run starts from the same rows."""
    from django.db import transaction

    started = 0.0
    elapsed = 0.0
    try:
        with transaction.atomic():
            started = time.perf_counter()
            work()
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed


def time_scans(now, runs: int) -> tuple[list[float], list[float], list[float], dict]:
    from django.db import connection

    from tickets import services

    scan, floor, steady, overdue = [], [], [], []
    counts = {}

    def scan_once():
        counts.update(services.sla_scan(now))
        if "rows" not in counts:  # what the scan wrote (counted once, outside the timing that matters)
            with connection.cursor() as cursor:
                cursor.execute(ROWS_WRITTEN_SQL, [now, now])
                counts["rows"] = cursor.fetchone()[0] + counts["breached"] + counts["escalations"]

    def scan_twice():
        services.sla_scan(now)
        started = time.perf_counter()
        services.sla_scan(now)
        steady.append(time.perf_counter() - started)

    def update_once():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_UPDATE_SQL)
            counts["floor_rows"] = cursor.rowcount

    def update_overdue():
        with connection.cursor() as cursor:
            cursor.execute(OVERDUE_UPDATE_SQL, [now])
            counts["overdue_rows"] = cursor.rowcount

    for run in range(runs):
        if run % 2:
            floor.append(_timed(update_once))
            overdue.append(_timed(update_overdue))
            scan.append(_timed(scan_once))
        else:
            scan.append(_timed(scan_once))
            overdue.append(_timed(update_overdue))
            floor.append(_timed(update_once))
        progress(run + 1, runs, "scans  ")
    for _ in range(max(runs // 2, 1)):
        _timed(scan_twice)
    counts["overdue_ms"] = statistics.median(overdue) * 1000
    return scan, floor, steady, counts


def main() -> None:
    import signal

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    token = prepare(args.tickets, now)
    from tickets.models import SLAClock

    # The seeded clocks were due relative to the load time; scan at that moment so every run sees the same rows.
    seeded_at = SLAClock.objects.order_by("updated_at").values_list("updated_at", flat=True).first() or now
    scan, floor, steady, counts = time_scans(seeded_at, args.runs)

    port = free_port()
    print(f"- starting gunicorn (2 sync workers) on 127.0.0.1:{port}")
    server = start_gunicorn(port)
    try:
        api, size = time_api(port, token, QUERY, args.requests)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    page_floor = time_floor(args.requests, count_sql=FLOOR_COUNT_SQL, page_sql=FLOOR_PAGE_SQL)

    scan_ms, floor_ms = statistics.median(scan) * 1000, statistics.median(floor) * 1000
    print()
    print(
        f"SLA scan over {args.tickets:,} open tickets ({2 * args.tickets:,} running clocks): {counts['breached']:,} "
        f"breached, {counts['warned']:,} warned, {counts['escalations']:,} escalation events; medians of {args.runs}"
    )
    overdue_ms, overdue_rows, rows = counts["overdue_ms"], counts["overdue_rows"], counts["rows"]
    print(f"  services.sla_scan                                      {scan_ms:9.1f} ms")
    print(f"  single UPDATE over the same rows ({counts['floor_rows']:,} running clocks)  {floor_ms:9.1f} ms")
    ok = scan_ms <= 1.5 * floor_ms
    print(f"  {'PASS' if ok else 'MISS'}: ratio scan/UPDATE {scan_ms / floor_ms:.2f}x (target <= 1.5x)")
    print(
        f"  beside: an UPDATE of only the {overdue_rows:,} overdue clocks {overdue_ms:.1f} ms (scan "
        f"{scan_ms / overdue_ms:.2f}x); rows written: scan {rows:,} (clocks, events, tickets, outbox), per row "
        f"{scan_ms * 1000 / rows:.1f} us vs {overdue_ms * 1000 / overdue_rows:.1f} us: "
        f"{(scan_ms / rows) / (overdue_ms / overdue_rows):.2f}x"
    )
    print(f"  a second scan right after (nothing new): {statistics.median(steady) * 1000:.1f} ms")
    api_p50, floor_p50 = statistics.median(api) * 1000, statistics.median(page_floor) * 1000
    print(f"GET {QUERY}  ({args.tickets:,} tickets, {args.requests} requests, {size:,} bytes per page)")
    print(f"  {'':8} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"  {'API':8} {api_p50:8.2f} {pct(api, 99) * 1000:8.2f}")
    print(f"  {'floor':8} {floor_p50:8.2f} {pct(page_floor, 99) * 1000:8.2f}")
    print(f"  ratio p50 API/floor: {api_p50 / floor_p50:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
