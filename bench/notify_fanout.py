"""Benchmark: one event fanned out to webhook endpoints and email recipients through the real worker.

Creates (in a database of its own, `<name>_bench`) WEBHOOKS endpoints pointing at a local HTTP receiver and
EMAILS email recipients served by a local SMTP server (both in separate processes), starts a real Celery
worker (prefork, 2 processes), publishes one crm.account.created event and notifies the recipients, and times
until every webhook message has succeeded and every email delivery is sent. The floor is a bare loop posting
the same bodies to the same receiver (one keep-alive connection) and sending the same emails to the same SMTP
server (one connection), in this process. Prints deliveries per second of each and the ratio (target: the
system reaches at least 30% of the floor's rate).

Run with `make bench` (or .venv/bin/python bench/notify_fanout.py [--webhooks N] [--emails N]).
"""

import argparse
import os
import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, free_port, migrate, progress, use_database, wait_port

BENCH_URL = use_database("bench")

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # headers and body in one packet (no delayed-ACK stall on keep-alive connections)
    disable_nagle_algorithm = True
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""
SMTP_SERVER = """
import sys, time
from aiosmtpd.controller import Controller
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1])).start()
while True:
    time.sleep(3600)
"""
DATA = {
    "id": "0b0f3c5e-8d7a-4f6e-9c1b-2a3d4e5f6a7b", "number": "ACC-000042", "name": "Lekki Gardens Estate Office",
    "kind": "business", "status": "active", "email": "office@lekkigardens.example", "phone": "+2348031234567",
    "service_address": "12 Admiralty Way, Lekki Phase 1, Lagos", "billing_address": "",
    "location": {"type": "Point", "coordinates": [3.4723, 6.4478]}, "reseller": None, "tags": ["fiber", "sme"],
    "notes": "", "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z", "deleted_at": None,
}  # fmt: skip


def seed(url: str, webhooks: int, emails: int) -> list:
    """WEBHOOKS endpoints at the local receiver; the EMAILS recipients (returned)."""
    from notifications.models import Delivery, WebhookEndpoint, WebhookMessage
    from notifications.recipients import Recipient
    from notifications.services.webhook_signing import secret_generate

    WebhookMessage.objects.all().delete()
    WebhookEndpoint.objects.all().delete()
    Delivery.objects.all().delete()
    WebhookEndpoint.objects.bulk_create(
        [WebhookEndpoint(url=url, events=["*"], secret=secret_generate()) for _ in range(webhooks)], batch_size=2000
    )
    return [Recipient(key=f"bench:{i}", name=f"Bench {i}", email=f"bench{i}@example.com") for i in range(emails)]


def start_worker(env: dict) -> subprocess.Popen:
    print("- starting a Celery worker (prefork, 2 processes)")
    argv = [
        str(ROOT / ".venv" / "bin" / "celery"), "-A", "omni", "worker", "-c", "2", "-l", "warning",
        "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    worker = subprocess.Popen(argv, cwd=ROOT, env=env)
    from omni.celery import app

    for _ in range(60):
        if app.control.ping(timeout=0.5):
            return worker
    worker.send_signal(signal.SIGTERM)
    raise SystemExit("the worker did not start")


def time_system(recipients: list, total: int) -> float:
    """Seconds from publishing the event until every webhook message succeeded and every email was sent."""
    from django.db import transaction

    from notifications import services
    from notifications.choices import DeliveryStatus, WebhookMessageStatus
    from notifications.models import Delivery, WebhookMessage

    started = time.perf_counter()
    with transaction.atomic():
        services.event_publish("crm.account.created", DATA)
        services.notify("crm.account.created", recipients, DATA, channels=["email"])
    done = 0
    while done < total:
        time.sleep(0.25)
        done = (
            WebhookMessage.objects.filter(status=WebhookMessageStatus.SUCCEEDED).count()
            + Delivery.objects.filter(status=DeliveryStatus.SENT).count()
        )
        failed = (
            WebhookMessage.objects.filter(status=WebhookMessageStatus.FAILED).count()
            + Delivery.objects.filter(status=DeliveryStatus.FAILED).count()
        )
        if failed:
            raise SystemExit(f"{failed} deliveries failed; see the worker's log")
        progress(done, total, "system")
        if time.perf_counter() - started > 900:
            raise SystemExit("not done after 15 minutes")
    return time.perf_counter() - started


def time_floor(url: str, smtp_port: int, recipients: list, webhooks: int) -> tuple[float, float]:
    """The same bodies and emails, sent by a bare loop: (seconds for the webhooks, seconds for everything)."""
    import httpx
    from django.utils import timezone

    from notifications.choices import DeliveryStatus
    from notifications.models import Delivery, WebhookMessage
    from notifications.services.webhook_signing import body_bytes, headers_for

    total = webhooks + len(recipients)
    message = WebhookMessage.objects.select_related("endpoint").first()
    body = body_bytes(message.payload)
    headers = {**headers_for(message, body=body, timestamp=int(time.time()), now=timezone.now())}
    delivery = Delivery.objects.filter(status=DeliveryStatus.SENT).first()
    email = EmailMessage()
    email["From"], email["Subject"] = "bench@example.com", delivery.subject
    email.set_content(delivery.body_text)
    started = time.perf_counter()
    with httpx.Client() as client:
        for i in range(webhooks):
            client.post(url, content=body, headers=headers).raise_for_status()
            if i % 500 == 0:
                progress(i, total, "floor ")
    webhooks_seconds = time.perf_counter() - started
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        for i, recipient in enumerate(recipients):
            del email["To"]
            email["To"] = recipient.email
            smtp.send_message(email)
            if i % 500 == 0:
                progress(webhooks + i, total, "floor ")
    progress(total, total, "floor ")
    return webhooks_seconds, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--webhooks", type=int, default=5000)
    parser.add_argument("--emails", type=int, default=5000)
    args = parser.parse_args()

    http_port, smtp_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": BENCH_URL,
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": "omni-bench",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "LOG_LEVEL": "WARNING",
        "DATABASE_POOL_MAX_SIZE": "0",  # as the Procfile and docker-compose run workers (no pool)
    }
    os.environ.update({k: env[k] for k in ("REDIS_URL", "CACHE_KEY_PREFIX", "EMAIL_URL", "WEBHOOK_ALLOW_PRIVATE_URLS")})
    helpers = [
        subprocess.Popen([sys.executable, "-c", RECEIVER, str(http_port)]),
        subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-c", SMTP_SERVER, str(smtp_port)]),
    ]
    worker = None
    total = args.webhooks + args.emails
    url = f"http://127.0.0.1:{http_port}/hooks"
    try:
        wait_port(http_port, name="the webhook receiver")
        wait_port(smtp_port, name="the SMTP server")
        migrate("the bench database", env)
        recipients = seed(url, args.webhooks, args.emails)
        worker = start_worker(env)
        print(f"- fanning out one event to {args.webhooks:,} webhook endpoints and {args.emails:,} email recipients")
        system_seconds = time_system(recipients, total)
        webhooks_seconds, floor_seconds = time_floor(url, smtp_port, recipients, args.webhooks)
        emails_seconds = floor_seconds - webhooks_seconds
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        for process in helpers:
            process.kill()

    system_rate, floor_rate = total / system_seconds, total / floor_seconds
    print()
    print(f"One event to {args.webhooks:,} webhook endpoints + {args.emails:,} email recipients ({total:,} deliveries)")
    print(f"  system (notify + worker, signed webhooks, rendered emails): {system_rate:8.0f} deliveries/s")
    print(f"  floor  (bare loop, same bodies, same receivers):            {floor_rate:8.0f} deliveries/s")
    print(
        f"    (webhooks {args.webhooks / webhooks_seconds:.0f}/s, emails {args.emails / emails_seconds:.0f}/s; "
        "one connection each)"
    )
    print(f"  ratio system/floor: {system_rate / floor_rate:.0%} (target >= 30%)")


if __name__ == "__main__":
    main()
