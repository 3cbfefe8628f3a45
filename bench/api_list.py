"""Benchmark: one 100-row page of /api/v1/crm/accounts/ (filtered, ordered) against its floor.

Loads 100,000 accounts into a database of its own (DATABASE_URL with the name `<name>_bench`), starts the app
under gunicorn (2 sync workers, DEBUG off, as in shared PERFORMANCE.md), and times
    GET /api/v1/crm/accounts/?limit=100&status=active&ordering=name   (Bearer token)
from one client on loopback. The floor is the same page and the same COUNT(*) straight from psycopg plus
json.dumps, in this process. Prints p50/p99 of each and the ratio (target: at most 2x the floor).

Run with `make bench` (or .venv/bin/python bench/api_list.py [--rows N] [--requests N]).
"""

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import environ  # noqa: E402

env = environ.Env()
if (ROOT / ".env").exists():
    environ.Env.read_env(ROOT / ".env")
BASE_URL = env.str("DATABASE_URL", default="postgis://postgres@127.0.0.1:5432/omni")
BENCH_URL = BASE_URL.rsplit("/", 1)[0] + "/" + BASE_URL.rsplit("/", 1)[1].split("?")[0] + "_bench"
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni.settings")
os.environ.setdefault("DEBUG", "true")  # this process seeds in development mode; the servers run with DEBUG off

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


def progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    print(f"\r  {label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}", end="", flush=True)
    if done >= total:
        print()


def prepare(rows: int) -> str:
    """Create and migrate the bench database, load `rows` accounts, return a read token."""
    import psycopg

    subprocess.run([sys.executable, str(ROOT / "scripts" / "createdb.py")], check=True, env=os.environ)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    print("- migrating the bench database")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM crm_account")
        have = cursor.fetchone()[0]
    if have < rows:
        print(f"- loading {rows - have:,} accounts")
        batch = 10_000
        with psycopg.connect(_dsn(connection.settings_dict)) as conn:
            for start in range(have + 1, rows + 1, batch):
                end = min(start + batch - 1, rows)
                conn.execute(LOAD_SQL, [start, end])
                conn.commit()
                progress(end - have, rows - have, "accounts")
        with psycopg.connect(_dsn(connection.settings_dict), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE crm_account")  # index-only COUNT needs the visibility map
    from omni.choices import Audience
    from omni.models import User
    from omni.tokens import api_token_create

    user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user(
        "bench@example.com", secrets.token_urlsafe(16), audience=Audience.STAFF
    )
    _token, raw = api_token_create(user=user, name="bench", scopes=["read"])
    return raw


def _dsn(settings_dict: dict) -> str:
    parts = {
        "dbname": settings_dict["NAME"],
        "host": settings_dict.get("HOST") or "127.0.0.1",
        "port": settings_dict.get("PORT") or 5432,
        "user": settings_dict.get("USER") or "postgres",
    }
    if settings_dict.get("PASSWORD"):
        parts["password"] = settings_dict["PASSWORD"]
    return " ".join(f"{k}={v}" for k, v in parts.items())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    server_env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "EMAIL_URL": "consolemail://",  # production requires a choice; the bench sends no email or SMS
        "SMS_PROVIDER": "console",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The limiter still counts every request in Redis; the limit is only raised so the bench is not refused.
        "API_RATE_LIMIT": "100000000",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "omni.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--preload",
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=ROOT,
        env=server_env,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start")


def time_api(port: int, token: str, requests: int) -> tuple[list[float], int]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {token}", "Host": "localhost"}
    timings, size = [], 0
    for i in range(requests + 20):
        started = time.perf_counter()
        conn.request("GET", QUERY, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise SystemExit(f"API answered {response.status}: {body[:300]!r}")
        if i >= 20:  # warm-up: connections, caches, the token lookup
            timings.append(elapsed)
        size = len(body)
        if i % 50 == 0:
            progress(min(i, requests), requests, "api    ")
    progress(requests, requests, "api    ")
    return timings, size


def time_floor(requests: int) -> list[float]:
    import psycopg
    from django.db import connection

    timings = []
    with psycopg.connect(_dsn(connection.settings_dict)) as conn:
        for i in range(requests + 20):
            started = time.perf_counter()
            with conn.cursor() as cursor:
                cursor.execute(FLOOR_COUNT_SQL)
                count = cursor.fetchone()[0]
                cursor.execute(FLOOR_PAGE_SQL)
                columns = [c.name for c in cursor.description]
                rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            json.dumps({"count": count, "next": None, "previous": None, "results": rows}, default=str)
            elapsed = time.perf_counter() - started
            if i >= 20:
                timings.append(elapsed)
    return timings


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()

    token = prepare(args.rows)
    port = free_port()
    print(f"- starting gunicorn (2 sync workers) on 127.0.0.1:{port}")
    server = start_server(port)
    try:
        api, size = time_api(port, token, args.requests)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    floor = time_floor(args.requests)

    api_p50, floor_p50 = statistics.median(api) * 1000, statistics.median(floor) * 1000
    print()
    print(f"GET {QUERY}  ({args.rows:,} accounts, {args.requests} requests, {size:,} bytes per page)")
    print(f"  {'':8} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"  {'API':8} {api_p50:8.2f} {pct(api, 99) * 1000:8.2f}")
    print(f"  {'floor':8} {floor_p50:8.2f} {pct(floor, 99) * 1000:8.2f}")
    print(f"  ratio p50 API/floor: {api_p50 / floor_p50:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
