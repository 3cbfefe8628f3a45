"""Benchmark: one 100-row page of /api/v1/crm/accounts/ (filtered, ordered) against its floor.

Loads 100,000 accounts into a database of its own (DATABASE_URL with the name `<name>_bench`), starts the app
under gunicorn (2 sync workers, DEBUG off, as in shared PERFORMANCE.md), and times
    GET /api/v1/crm/accounts/?limit=100&status=active&ordering=name   (Bearer token)
from one client on loopback. The floor is the same page and the same COUNT(*) straight from psycopg plus
json.dumps, in this process. Prints p50/p99 of each and the ratio (target: at most 2x the floor).

Run with `make bench` (or .venv/bin/python bench/api_list.py [--rows N] [--requests N]).
"""

import argparse
import signal
import statistics
import sys
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

BENCH_URL = use_database("bench")

QUERY = "/api/v1/crm/accounts/?limit=100&status=active&ordering=name"
FLOOR_PAGE_SQL = """
SELECT a.id, a.number, a.name, a.kind, a.status, a.email, a.phone, a.service_address, a.billing_address,
       a.tags, a.notes, a.created_at, a.updated_at, a.deleted_at, a.reseller_id, r.name,
       ST_X(a.location), ST_Y(a.location)
FROM crm_account a LEFT JOIN crm_reseller r ON r.id = a.reseller_id
WHERE a.deleted_at IS NULL AND a.status = 'active'
ORDER BY a.name, a.id LIMIT 100 OFFSET 0
"""
FLOOR_COUNT_SQL = "SELECT COUNT(*) FROM crm_account WHERE deleted_at IS NULL AND status = 'active'"
LOAD_SQL = """
INSERT INTO crm_account (id, created_at, updated_at, name, kind, status, email, phone, service_address,
                         billing_address, location, tags, notes)
SELECT gen_random_uuid(), now() - make_interval(mins => i), now(),
       (ARRAY['Adebayo','Chioma','Emeka','Ngozi','Tunde','Aisha','Femi','Kemi'])[1 + i %% 8] || ' ' ||
       (ARRAY['Okafor','Bello','Eze','Balogun','Lawal','Nwosu','Adeyemi'])[1 + (i / 8) %% 7] || ' ' || i,
       CASE WHEN i %% 5 = 0 THEN 'business' ELSE 'residential' END,
       CASE WHEN i %% 10 < 8 THEN 'active' WHEN i %% 10 = 8 THEN 'suspended' ELSE 'closed' END,
       'bench' || i || '@example.com', '+23480' || lpad(i::text, 8, '0'),
       i || ' Admiralty Way, Lekki, Lagos', '',
       ST_SetSRID(ST_MakePoint(3.30 + (i %% 997) / 3300.0, 6.40 + (i %% 991) / 4950.0), 4326),
       ARRAY['fiber'], ''
FROM generate_series(%s::int, %s::int) AS i
"""


def prepare(rows: int) -> str:
    """Create and migrate the bench database, load `rows` accounts, return a read token."""
    import psycopg

    migrate("the bench database")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM crm_account")
        have = cursor.fetchone()[0]
    if have < rows:
        print(f"- loading {rows - have:,} accounts")
        batch = 10_000
        with psycopg.connect(dsn()) as conn:
            for start in range(have + 1, rows + 1, batch):
                end = min(start + batch - 1, rows)
                conn.execute(LOAD_SQL, [start, end])
                conn.commit()
                progress(end - have, rows - have, "accounts")
        with psycopg.connect(dsn(), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE crm_account")  # index-only COUNT needs the visibility map
    return read_token("bench@example.com", "bench", is_staff=True, is_superuser=True)  # a role that may read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()

    token = prepare(args.rows)
    port = free_port()
    print(f"- starting gunicorn (2 sync workers) on 127.0.0.1:{port}")
    server = start_gunicorn(port)
    try:
        api, size = time_api(port, token, QUERY, args.requests)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    floor = time_floor(args.requests, count_sql=FLOOR_COUNT_SQL, page_sql=FLOOR_PAGE_SQL)

    api_p50, floor_p50 = statistics.median(api) * 1000, statistics.median(floor) * 1000
    print()
    print(f"GET {QUERY}  ({args.rows:,} accounts, {args.requests} requests, {size:,} bytes per page)")
    print(f"  {'':8} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"  {'API':8} {api_p50:8.2f} {pct(api, 99) * 1000:8.2f}")
    print(f"  {'floor':8} {floor_p50:8.2f} {pct(floor, 99) * 1000:8.2f}")
    print(f"  ratio p50 API/floor: {api_p50 / floor_p50:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
