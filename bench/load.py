"""Load benchmark: the production web server under many concurrent API clients, beside gunicorn's sync workers.

Seeds ACCOUNTS accounts into a database of its own (DATABASE_URL's name + `_load`), then, for each server:
  production  the command the Procfile, the Dockerfile and docker-compose run:
              gunicorn -c omni/gunicorn_conf.py omni.wsgi:application   (sync workers, psycopg pool)
  asgi        the same configuration with uvicorn (ASGI) workers, as production ran before (psycopg pool)
  sync        gunicorn omni.wsgi:application --workers 3 (sync), persistent connections (CONN_MAX_AGE=60): the
              reference set-up of issue 8 (169 req/s, 0 errors)
runs 20 and then 200 concurrent clients for DURATION seconds each on
    GET /api/v1/crm/accounts/?limit=25   (Bearer token, keep-alive)
and prints requests/s, p50, p99, errors (non-2xx answers and socket errors) and the PostgreSQL connections the
server held (pg_stat_activity on the bench database): the most seen during the load and the count 5 s after it.

The clients are wrk (Debian's package, C with epoll; `make setup` installs it) with one thread, so the load
generator takes a few percent of one core and the 2-core machine's CPU goes to the server and PostgreSQL.
wrk counts a request that takes longer than its 30 s timeout as a socket error.

Run with `make bench` (or .venv/bin/python bench/load.py [--duration S] [--accounts N] [--clients 20,200]).
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, dsn, free_port, migrate, read_token, server_env, use_database, wait_port

LOAD_URL = use_database("load")

PATH = "/api/v1/crm/accounts/?limit=25"
LOAD_SQL = """
INSERT INTO crm_account (id, created_at, updated_at, name, kind, status, email, phone, service_address,
                         billing_address, location, tags, notes)
SELECT gen_random_uuid(), now() - make_interval(mins => i), now(),
       (ARRAY['Adebayo','Chioma','Emeka','Ngozi','Tunde','Aisha','Femi','Kemi'])[1 + i %% 8] || ' ' || i,
       CASE WHEN i %% 5 = 0 THEN 'business' ELSE 'residential' END,
       CASE WHEN i %% 10 < 8 THEN 'active' ELSE 'suspended' END,
       'load' || i || '@example.com', '+23481' || lpad(i::text, 8, '0'), i || ' Admiralty Way, Lekki, Lagos', '',
       ST_SetSRID(ST_MakePoint(3.30 + (i %% 997) / 3300.0, 6.40 + (i %% 991) / 4950.0), 4326), ARRAY['fiber'], ''
FROM generate_series(%s::int, %s::int) AS i
"""
SERVERS = {
    "production": {
        "argv": ["gunicorn", "-c", "omni/gunicorn_conf.py", "omni.wsgi:application"],
        "env": {},
    },
    # The same configuration with uvicorn (ASGI) workers: what production ran before it measured slower here.
    "asgi": {
        "argv": ["gunicorn", "-c", "omni/gunicorn_conf.py", "omni.asgi:application"],
        "env": {"WEB_WORKER_CLASS": "uvicorn_worker.UvicornWorker"},
    },
    "sync": {
        "argv": ["gunicorn", "omni.wsgi:application", "--workers", "3", "--preload", "--log-level", "warning"],
        "env": {"DATABASE_POOL_MAX_SIZE": "0", "DATABASE_CONN_MAX_AGE": "60"},
    },
}


@dataclass
class Result:
    server: str
    clients: int
    requests: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    connections_max: int = 0
    connections_after: int = 0
    load: float = 0.0  # the machine's 1-minute load average at the end: other work on it slows both servers


def prepare(accounts: int) -> str:
    """Create and migrate the load database, seed the accounts, return a read token."""
    import psycopg

    migrate(LOAD_URL.rsplit("/", 1)[1])
    from django.db import connection

    with psycopg.connect(dsn()) as conn:
        have = conn.execute("SELECT COUNT(*) FROM crm_account").fetchone()[0]
        if have < accounts:
            print(f"- seeding {accounts - have:,} accounts")
            conn.execute(LOAD_SQL, [have + 1, accounts])
            conn.commit()
    with psycopg.connect(dsn(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE crm_account")
    raw = read_token("load@example.com", "load", is_staff=True, is_superuser=True)
    connection.close()
    connection.close_pool()  # this process holds no connection while the servers are measured
    return raw


def start(name: str, port: int) -> subprocess.Popen:
    spec = SERVERS[name]
    argv = [str(ROOT / ".venv" / "bin" / spec["argv"][0]), *spec["argv"][1:]]
    if name == "sync":
        argv += ["--bind", f"127.0.0.1:{port}"]
    process_env = server_env(HOST="127.0.0.1", PORT=str(port), **spec["env"])
    process = subprocess.Popen(argv, cwd=ROOT, env=process_env, start_new_session=True)
    try:
        wait_port(port, process=process, name=f"{name} server", tries=200)
    except SystemExit:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


class ConnectionSampler:
    """Counts the server's connections to the bench database every 0.25 s (this sampler's own excluded)."""

    def __init__(self):
        import psycopg

        self.conn = psycopg.connect(dsn(), autocommit=True)
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def count(self) -> int:
        sql = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        return self.conn.execute(sql).fetchone()[0]

    def __enter__(self):
        self.peak = 0
        self._stop.clear()

        def run():
            while not self._stop.wait(0.25):
                self.peak = max(self.peak, self.count())

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def wrk(port: int, token: str, clients: int, duration: int) -> dict:
    argv = [
        "wrk", "-t1", f"-c{clients}", f"-d{duration}s", "--timeout", "30s", "--latency",
        "-H", f"Authorization: Bearer {token}", "-H", "Host: localhost", f"http://127.0.0.1:{port}{PATH}",
    ]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse_wrk(out: str) -> dict:
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99_ms": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0) + (sum(int(n) for n in sockets.groups()) if sockets else 0),
        "raw": out,
    }


def measure(name: str, token: str, clients_list: list[int], duration: int, sampler: ConnectionSampler):
    port = free_port()
    print(f"- {name}: {' '.join(SERVERS[name]['argv'])}")
    server = start(name, port)
    results = []
    try:
        wrk(port, token, 4, 3)  # warm-up: imports, caches, the token lookup, the pools
        for clients in clients_list:
            print(f"  {clients} clients for {duration} s ...", flush=True)
            with sampler:
                figures = wrk(port, token, clients, duration)
            time.sleep(5)
            result = Result(name, clients, connections_max=sampler.peak, connections_after=sampler.count())
            result.load = os.getloadavg()[0]
            for key in ("requests", "rps", "p50_ms", "p99_ms", "errors"):
                setattr(result, key, figures[key])
            results.append(result)
    finally:
        stop(server)
    time.sleep(1)
    return results, sampler.count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=60, help="seconds per load (default 60)")
    parser.add_argument("--clients", default="20,200", help="concurrent clients per load (default 20,200)")
    parser.add_argument("--servers", default="production,asgi,sync")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (make setup installs it)")
    clients_list = [int(n) for n in args.clients.split(",")]

    token = prepare(args.accounts)
    sampler = ConnectionSampler()
    results, after_stop = [], {}
    for name in args.servers.split(","):
        server_results, after_stop[name] = measure(name, token, clients_list, args.duration, sampler)
        results += server_results

    from django.conf import settings

    print()
    print(f"GET {PATH}  ({args.accounts:,} accounts, {args.duration} s per load, wrk -t1, {os.cpu_count()} cores)")
    print(f"pool: DATABASE_POOL_MAX_SIZE={settings.DATABASE_POOL_MAX_SIZE} per process (production)")
    header = f"  {'server':11} {'clients':>7} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    print(header + f" {'conns peak':>10} {'conns +5 s':>10} {'load':>5}")
    for r in results:
        print(
            f"  {r.server:11} {r.clients:7} {r.requests:9} {r.rps:8.1f} {r.p50_ms:8.1f} {r.p99_ms:8.1f} {r.errors:7}"
            f" {r.connections_max:10} {r.connections_after:10} {r.load:5.1f}"
        )
    for name, count in after_stop.items():
        print(f"  connections left after the {name} server stopped: {count}")
    by = {(r.server, r.clients): r for r in results}
    for clients in clients_list:
        prod, sync = by.get(("production", clients)), by.get(("sync", clients))
        if prod and sync:
            print(f"  {clients} clients: production/sync throughput {prod.rps / sync.rps:.2f}x (target >= 1)")
    sampler.conn.close()


if __name__ == "__main__":
    main()
