"""Benchmark: signed inbound SMS webhooks against the production web server, beside the same server's empty view,
then the time the production worker takes to turn them into messages.

Starts the production commands (as the Procfile, the Dockerfile and docker-compose.yml run them):
    gunicorn -c omni/gunicorn_conf.py omni.wsgi:application
    celery -A omni worker -c WORKER_CONCURRENCY (default 2)
on a free port with DEBUG off, on a database of its own (DATABASE_URL's name + `_inbound`) and a Redis database of
its own (BENCH_REDIS_URL, default redis://127.0.0.1:6379/13; Celery tasks go to a queue of this run, deleted at
the end). Creates an SMS channel, then from CLIENTS concurrent clients (threads, one connection per request as
gunicorn's sync workers close them):
  floor    POST the same form bodies to /hooks/ping/ (the same middleware and routing, a view doing nothing)
  inbound  POST MESSAGES webhooks to /hooks/sms/<channel>/, each correctly signed (X-Twilio-Signature with the
           channel's auth token), distinct MessageSids, SENDERS distinct senders in turn
and prints requests per second and p95 latency of each, and the ratio (target: inbound >= 50% of the floor). The
webhook only stores the event (crm.InboundWebhook, one INSERT) and answers; the worker, running all along as in
production (or, with --worker-after, started once every webhook is answered), processes the rows: the bench waits
until every row is processed and prints how long the backlog took to drain after the last answer. Then checks
every answer was 200, every row processed without error and every message stored exactly once (by MessageSid).

Run with `make bench` (or .venv/bin/python bench/inbound_webhooks.py [--messages N] [--clients N] [--senders N]
[--worker-after]).
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, dsn, free_port, migrate, pct, progress, server_env, use_database, wait_port

BENCH_URL = use_database("inbound")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
QUEUE = f"bench-inbound-{os.getpid()}"
WORKER_CONCURRENCY = os.environ.get("WORKER_CONCURRENCY", "2")
DRAIN_TIMEOUT = 1800  # seconds the worker may take to process the backlog
# One key for this process (which encrypts the channel's credentials) and the server (which decrypts them).
os.environ["SECRETS_ENCRYPTION_KEY"] = secrets.token_urlsafe(32)
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = secrets.token_hex(16)
OUR_NUMBER = "+15005550006"
SECRET_KEY = secrets.token_urlsafe(50)
WARM_UP = 40  # requests per target before timing: imports, the pools, the first contacts


def prepare() -> tuple[str, str]:
    """Migrate the bench database; a new SMS channel (id, name) for this run."""
    migrate(BENCH_URL.rsplit("/", 1)[1])
    from django.db import connection

    from crm.choices import ChannelKind
    from crm.models import Channel

    channel = Channel(kind=ChannelKind.SMS, name=f"Bench SMS {time.time_ns()}", address=OUR_NUMBER)
    channel.set_credentials({"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": OUR_NUMBER})
    channel.save()
    connection.close()
    connection.close_pool()  # this process holds no connection while the server is measured
    return str(channel.pk), channel.name


def requests_for(base: str, channel_id: str, count: int, senders: int, run: str) -> list[tuple[str, bytes, str]]:
    """(path, form body, signature) of `count` inbound texts, signed as Twilio signs them."""
    from notifications.callbacks import twilio_signature

    path = f"/hooks/sms/{channel_id}/"
    made = []
    for i in range(count):
        sid = f"SM{run}{i:012d}"
        fields = {
            "ToCountry": "US", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid, "SmsStatus": "received",
            "Body": f"Bench message {i}: my connection drops every evening", "FromCountry": "NG", "To": OUR_NUMBER,
            "NumSegments": "1", "MessageSid": sid, "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01",
            "From": f"+234803{1000000 + i % senders:07d}",
        }  # fmt: skip
        signature = twilio_signature(base + path, {k: [v] for k, v in fields.items()}, AUTH_TOKEN)
        made.append((path, urlencode(fields).encode(), signature))
    return made


def fire(port: int, work: list[tuple[str, bytes, str]], clients: int) -> tuple[float, list[float], dict[int, int]]:
    """POST every request from `clients` threads; (seconds, per-request latencies, count per status)."""
    import http.client

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    position = iter(range(len(work)))

    def client():
        mine, codes = [], {}
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                break
            path, body, signature = work[index]
            headers = {
                "Host": f"127.0.0.1:{port}",
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            }
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                status = 0
            finally:
                conn.close()
            mine.append(time.perf_counter() - started)
            codes[status] = codes.get(status, 0) + 1
        with lock:
            latencies.extend(mine)
            for status, n in codes.items():
                statuses[status] = statuses.get(status, 0) + n

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


def _env(port: int) -> dict:
    return server_env(
        HOST="127.0.0.1",
        PORT=str(port),
        SECRET_KEY=SECRET_KEY,
        REDIS_URL=REDIS_URL,
        CELERY_BROKER_URL=REDIS_URL,
        CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        OMNI_BASE_URL=f"http://127.0.0.1:{port}",
        GUNICORN_CMD_ARGS="--log-level warning",  # gunicorn's own start/stop lines only
    )


def start_worker(port: int) -> subprocess.Popen:
    """The Procfile's worker (DATABASE_POOL_MAX_SIZE=0, prefork, WORKER_CONCURRENCY processes) on this run's queue."""
    argv = [str(ROOT / ".venv" / "bin" / "celery"), "-A", "omni", "worker", "-l", "warning"]
    argv += ["-c", WORKER_CONCURRENCY, "-Q", QUEUE, "-n", f"{QUEUE}@%h", "--without-heartbeat", "--without-gossip"]
    process_env = _env(port) | {"DATABASE_POOL_MAX_SIZE": "0"}
    return subprocess.Popen(argv, cwd=ROOT, env=process_env, start_new_session=True)


def start_server(port: int) -> subprocess.Popen:
    argv = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "omni/gunicorn_conf.py", "omni.wsgi:application"]
    process = subprocess.Popen(argv, cwd=ROOT, env=_env(port), start_new_session=True)
    try:
        wait_port(port, process=process, name="gunicorn", tries=300)
    except SystemExit:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen, *, group: bool = True) -> None:
    """SIGTERM to the process group (gunicorn), or to the main process only (Celery's warm shutdown finishes
    the tasks in hand before its pool stops); SIGKILL to the group after 30 s."""
    if process.poll() is None:
        if group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def backlog(channel_id: str) -> tuple[int, int, int]:
    """(ingest rows of the channel, of which processed, of which with an error)."""
    import psycopg

    with psycopg.connect(dsn()) as conn:
        return conn.execute(
            "SELECT COUNT(*), COUNT(processed_at), COUNT(*) FILTER (WHERE last_error <> '')"
            " FROM crm_inboundwebhook WHERE channel_id = %s",
            [channel_id],
        ).fetchone()


def drain(channel_id: str, expected: int, worker: subprocess.Popen) -> float:
    """Seconds until the worker has processed all `expected` rows (polled every 0.2 s)."""
    started = time.perf_counter()
    while time.perf_counter() - started < DRAIN_TIMEOUT:
        total, processed, _errors = backlog(channel_id)
        progress(processed, expected, "processed")
        if total >= expected and processed >= total:
            return time.perf_counter() - started
        if worker.poll() is not None:
            raise SystemExit(f"FAILED: the worker exited ({worker.returncode}) with {total - processed} rows left")
        time.sleep(0.2)
    raise SystemExit(f"FAILED: {expected - processed:,} rows still unprocessed after {DRAIN_TIMEOUT} s")


def stored(channel_id: str, run: str) -> tuple[int, int]:
    """(messages of this run on the channel, distinct MessageSids among them)."""
    import psycopg

    with psycopg.connect(dsn()) as conn:
        return conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM crm_message"
            " WHERE channel_id = %s AND external_id LIKE %s",
            [channel_id, f"SM{run}%"],
        ).fetchone()


def report(label: str, seconds: float, latencies: list[float], statuses: dict[int, int]) -> float:
    rate = len(latencies) / seconds
    print(
        f"  {label:8} {len(latencies):6,} requests in {seconds:6.2f} s  {rate:8.1f} /s  "
        f"p50 {pct(latencies, 50) * 1000:7.1f} ms  p95 {pct(latencies, 95) * 1000:7.1f} ms  answers {statuses}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--senders", type=int, default=300)
    parser.add_argument(
        "--worker-after", action="store_true", help="start the worker once every webhook is answered (not before)"
    )
    args = parser.parse_args()

    channel_id, name = prepare()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    run = secrets.token_hex(4)
    print(f"- channel {name}; signing {args.messages:,} webhooks ({args.senders} senders)")
    warm = requests_for(base, channel_id, WARM_UP, args.senders, "warm" + run)
    work = requests_for(base, channel_id, args.messages, args.senders, run)
    floor_work = [("/hooks/ping/", body, signature) for _path, body, signature in work]
    print("- server: gunicorn -c omni/gunicorn_conf.py omni.wsgi:application (DEBUG=false)")
    from django.conf import settings  # set up by prepare(), from the environment the server gets too

    print(
        "- a webhook answers once its INSERT is committed, "
        + (
            "and flushed to disk (INBOX_WEBHOOK_SYNCHRONOUS_COMMIT)"
            if settings.INBOX_WEBHOOK_SYNCHRONOUS_COMMIT
            else "before the flush (default)"
        )
    )
    server = start_server(port)
    worker = None
    if not args.worker_after:
        print(f"- worker: celery -A omni worker -c {WORKER_CONCURRENCY} (running during the webhooks, as production)")
        worker = start_worker(port)
    try:
        fire(port, warm, 4)
        fire(port, floor_work[:WARM_UP], 4)
        if worker is not None:
            drain(channel_id, WARM_UP, worker)  # the worker is up and idle before the floor is measured
        print(f"- {args.clients} clients, one connection per request")
        floor_seconds, floor_latencies, floor_statuses = fire(port, floor_work, args.clients)
        inbound_seconds, inbound_latencies, inbound_statuses = fire(port, work, args.clients)
        answered_at = time.perf_counter()
        if worker is None:
            print(f"- worker: celery -A omni worker -c {WORKER_CONCURRENCY} (started now)")
            worker = start_worker(port)
        drain(channel_id, WARM_UP + args.messages, worker)
        drained = time.perf_counter() - answered_at
    finally:
        if worker is not None:
            stop(worker, group=False)
        stop(server)
        try:
            import redis

            redis.Redis.from_url(REDIS_URL).delete(QUEUE)  # whatever the worker left (the outbox hand-offs)
        except Exception as exc:  # noqa: BLE001 - cleaning up is best effort
            print(f"  (could not delete the bench queue {QUEUE}: {exc})")

    print()
    print(f"Inbound SMS webhooks, {args.messages:,} per target, {args.clients} clients, {os.cpu_count()} cores")
    floor = report("floor", floor_seconds, floor_latencies, floor_statuses)
    inbound = report("inbound", inbound_seconds, inbound_latencies, inbound_statuses)
    print(f"  inbound / floor: {inbound / floor:.2f} (target >= 0.50); load average {os.getloadavg()[0]:.1f}")
    worker_note = "started after the last answer" if args.worker_after else "running during the webhooks"
    print(
        f"  backlog drained {drained:.1f} s after the last answer (worker -c {WORKER_CONCURRENCY}, {worker_note}); "
        f"first webhook to last message {inbound_seconds + drained:.1f} s, "
        f"{args.messages / (inbound_seconds + drained):.1f} messages/s end to end"
    )
    rows, processed, errors = backlog(channel_id)
    total, distinct = stored(channel_id, run)
    print(f"  ingest rows: {rows:,} ({processed:,} processed, {errors} with an error, {WARM_UP} of the warm-up)")
    print(f"  stored: {total:,} messages, {distinct:,} distinct MessageSids (sent {args.messages:,})")
    failures = []
    if inbound_statuses != {200: args.messages} or floor_statuses != {200: args.messages}:
        failures.append(f"answers other than 200: floor {floor_statuses}, inbound {inbound_statuses}")
    if not total == distinct == args.messages:
        failures.append(f"{args.messages:,} webhooks stored {total:,} messages ({distinct:,} distinct)")
    if errors or rows != processed or rows != args.messages + WARM_UP:
        failures.append(f"ingest rows {rows:,}, processed {processed:,}, with an error {errors}")
    if failures:
        raise SystemExit("FAILED: " + "; ".join(failures))


if __name__ == "__main__":
    main()
