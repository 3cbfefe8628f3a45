"""A real worker stopped in the middle of a fan-out and started again: no delivery is lost, none is sent twice.

One account created in crm fans out (crm.account.created) to webhook endpoints served by a local receiver that
verifies every signature with `standardwebhooks`, and to email recipients served by a local SMTP server. The
worker (prefork, 2 processes, as in production) gets SIGTERM — what `honcho`, systemd and Kubernetes send on
stop — when part of the fan-out has arrived; then a new worker drains the rest.
"""

import time
import uuid
from collections import Counter

import pytest
import redis
from django.db import transaction

from crm import services as crm_services
from notifications import services
from notifications.choices import Channel, DeliveryStatus, WebhookMessageStatus
from notifications.models import Delivery, WebhookAttempt, WebhookEndpoint, WebhookMessage
from notifications.recipients import Recipient
from notifications.services import secret_generate
from tests.celery_support import broker_lock, celery_env, celery_start, process_stop
from tests.conftest import TEST_REDIS_URL
from tests.notifications.email_support import smtp_running
from tests.notifications.webhook_support import Receiver

ENDPOINTS = 400  # 8 send tasks of 50
EMAILS = 400  # 4 send tasks of 100
TOTAL = ENDPOINTS + EMAILS
DEADLINE = 120  # seconds for any phase; the whole fan-out takes a few on this machine


@pytest.fixture
def fanout_queue(transactional_db, settings):
    """A private queue that this test's tasks go to and only its worker consumes."""
    from omni.celery import app

    name = f"fanout-test-{uuid.uuid4().hex[:8]}"
    with broker_lock():
        previous = app.conf.task_default_queue
        app.conf.task_default_queue = name  # read by Celery's router on every publish
        try:
            yield name
        finally:
            app.conf.task_default_queue = previous
            client = redis.Redis.from_url(TEST_REDIS_URL)
            leftovers = list(client.scan_iter(f"*{name}*"))
            if leftovers:
                client.delete(*leftovers)


def _received(receiver: Receiver, smtp) -> int:
    return len(receiver.posts()) + len(smtp.messages)


def _wait(condition, what: str, logs) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not after {DEADLINE} s\n{logs.read_text(errors='replace')[-4000:]}")
        time.sleep(0.02)


@pytest.mark.slow
def test_a_worker_stopped_mid_fan_out_loses_nothing_and_sends_nothing_twice(fanout_queue, settings, tmp_path):
    queue = fanout_queue
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    secret = secret_generate()
    log = tmp_path / "worker.log"
    with smtp_running(settings) as smtp, Receiver(secrets=[secret]) as receiver:
        WebhookEndpoint.objects.bulk_create(
            [WebhookEndpoint(url=receiver.url, events=["*"], secret=secret) for _ in range(ENDPOINTS)]
        )
        people = [
            Recipient(key=f"crm.contact:{uuid.uuid4()}", name=f"Person {n}", email=f"person{n}@example.com")
            for n in range(EMAILS)
        ]
        # The worker queues follow-up tasks (the outbox's webhook messages) on the same private queue.
        env = celery_env(
            EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
            WEBHOOK_ALLOW_PRIVATE_URLS="true",
            CELERY_TASK_DEFAULT_QUEUE=queue,
        )
        worker_args = ("worker", "-c", "2", "-Q", queue, "-n", f"{queue}@%h", "--without-mingle", "--without-gossip")
        worker = celery_start(*worker_args, env=env, log=log)
        try:
            with transaction.atomic():  # the webhooks go out after commit, through crm's outbox event
                account = crm_services.account_create(name="Lekki Gardens Estate Office", tags=["fiber"])
            _wait(lambda: WebhookMessage.objects.count() == ENDPOINTS, "the webhook messages", log)
            data = WebhookMessage.objects.values_list("payload", flat=True).first()["data"]
            assert data["id"] == str(account.pk)
            with transaction.atomic():
                services.notify("crm.account.created", people, data, channels=[Channel.EMAIL])

            _wait(lambda: _received(receiver, smtp) >= TOTAL // 5, "a fifth of the fan-out", log)
            process_stop(worker, timeout=DEADLINE)  # warm shutdown: tasks already running finish
            assert worker.returncode == 0, log.read_text(errors="replace")[-4000:]
            received_while_up = _received(receiver, smtp)
            # The stop really came mid fan-out: part of it is still to go.
            assert TOTAL // 5 <= received_while_up < TOTAL
            print(f"received {received_while_up} of {TOTAL} before the stop")
            time.sleep(0.5)
            assert _received(receiver, smtp) == received_while_up, "something was sent with no worker running"

            worker = celery_start(*worker_args, env=env, log=log)
            _wait(lambda: _received(receiver, smtp) >= TOTAL, "the rest of the fan-out", log)
            _wait(
                lambda: (
                    WebhookMessage.objects.filter(status=WebhookMessageStatus.SUCCEEDED).count() == ENDPOINTS
                    and Delivery.objects.filter(status=DeliveryStatus.SENT).count() == EMAILS
                ),
                "every outcome recorded",
                log,
            )
            time.sleep(1)  # anything sent twice would arrive now
        finally:
            process_stop(worker)

    # Every webhook message arrived exactly once, signed, with the body the database holds.
    posts = receiver.posts()
    ids = Counter(post.headers["webhook-id"] for post in posts)
    assert set(ids) == set(WebhookMessage.objects.values_list("message_id", flat=True))
    assert max(ids.values()) == 1, [i for i, n in ids.items() if n > 1][:5]
    assert all(post.verified[secret] for post in posts)
    assert {post.payload["data"]["id"] for post in posts} == {str(account.pk)}
    # One attempt each, and the log agrees.
    assert set(WebhookMessage.objects.values_list("attempts", flat=True)) == {1}
    assert WebhookAttempt.objects.filter(succeeded=True).count() == ENDPOINTS
    assert not WebhookAttempt.objects.filter(succeeded=False).exists()

    # Every person got exactly one email.
    to = Counter(message["To"].addresses[0].addr_spec for message in smtp.messages)
    assert len(smtp.messages) == EMAILS
    assert set(to) == {person.email for person in people}
    assert max(to.values()) == 1
    assert {str(message["Subject"]) for message in smtp.messages} == {f"Account {account.number} created"}
    assert not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()
