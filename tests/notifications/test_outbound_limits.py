"""Outbound calls end: one wall-clock deadline per request (webhook, push, SMS) against receivers that trickle
a byte at a time (real local servers, tests/notifications/webhook_support.SlowServer); push reads a capped,
uncompressed answer; a user's push subscriptions are capped; send batches keep their claim while they run and,
stopped by their time budget or their task's soft time limit, leave no row claimed."""

import datetime as dt
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import orjson
import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection
from django.utils import timezone

from notifications import services, tasks
from notifications.channels import push, sms
from notifications.channels.base import TransientError
from notifications.choices import Channel, DeliveryStatus, WebhookMessageStatus
from notifications.management.commands.vapid_keys import vapid_key_pair
from notifications.models import Delivery, PushSubscription, WebhookAttempt, WebhookMessage
from notifications.recipients import Recipient
from notifications.services import sending, webhook_sending
from tests.celery_support import BASE_DIR, celery_env
from tests.notifications.sms_support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CONTEXT,
    EVENT,
    FROM,
    GOOD_NUMBER,
    Answer,
    Browser,
    PushService,
    twilio_configured,
)
from tests.notifications.webhook_support import BODY_TRICKLE, HEADERS_TRICKLE, Receiver, SlowServer, fake_dns
from tests.notifications.webhook_support import Answer as HookAnswer

DEADLINE = 0.5  # seconds: the receivers below drip a byte every 0.1 s, well inside any per-read timeout
SLACK = 4.0  # seconds allowed past the deadline on a machine busy with other work; the servers hang up after 10


@pytest.fixture(autouse=True)
def _private_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # every receiver here listens on 127.0.0.1
    settings.WEBHOOK_RETRY_SCHEDULE = [5, 300]
    settings.WEBHOOK_TIMEOUT = DEADLINE


@contextmanager
def _timed():
    started = time.monotonic()
    elapsed = []
    yield elapsed
    elapsed.append(time.monotonic() - started)


def _webhook_messages(url: str, count: int = 1, *, now=None) -> list[WebhookMessage]:
    endpoint = services.webhook_endpoint_create(url=url, events=["*"])
    now = now or timezone.now()
    return [
        message
        for _ in range(count)
        for message in services.webhook_publish(event="crm.account.created", data={"id": "a1"}, now=now)
        if message.endpoint_id == endpoint.pk
    ]


# ---- one deadline per request -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("answer", [HEADERS_TRICKLE, BODY_TRICKLE], ids=["headers", "body"])
def test_a_webhook_receiver_that_trickles_is_cut_off_at_the_deadline(answer):
    with SlowServer(answer) as server:
        (message,) = _webhook_messages(server.url)
        with _timed() as elapsed:
            assert services.webhook_messages_send([message.pk]) == 0
    assert elapsed[0] < DEADLINE + SLACK  # per-read timeouts alone let it run until the server hung up (10 s)
    attempt = WebhookAttempt.objects.get(message=message)
    assert attempt.succeeded is False
    assert attempt.error == f"timed out after {DEADLINE:g} s (ReadTimeout)"
    assert DEADLINE * 1000 <= attempt.latency_ms < (DEADLINE + SLACK) * 1000
    message.refresh_from_db()
    assert (message.status, message.locked_until) == (WebhookMessageStatus.PENDING, None)


@pytest.mark.django_db
def test_a_host_name_that_resolves_slowly_is_cut_off_at_the_deadline(monkeypatch):
    def slow_dns():
        time.sleep(3)
        return ["127.0.0.1"]

    with Receiver() as receiver:
        fake_dns(monkeypatch, {"slow.example.com": slow_dns})
        (message,) = _webhook_messages(f"http://slow.example.com:{receiver.port}/hooks")
        with _timed() as elapsed:
            services.webhook_messages_send([message.pk])
        assert receiver.requests == []
    assert elapsed[0] < DEADLINE + SLACK
    attempt = WebhookAttempt.objects.get(message=message)
    assert attempt.error == f"timed out after {DEADLINE:g} s (ConnectTimeout)"


@pytest.mark.django_db
def test_a_webhook_batch_ends_within_its_rounds_of_deadlines():
    """SEND_BATCH messages to receivers that all trickle: CONCURRENCY at a time, each cut off at its deadline,
    so the batch takes SEND_ROUNDS deadlines, not as long as the receivers care to drip."""
    with SlowServer(HEADERS_TRICKLE) as server:
        messages = _webhook_messages(server.url, webhook_sending.SEND_BATCH)
        with _timed() as elapsed:
            assert services.webhook_messages_send([m.pk for m in messages]) == 0
        assert len(server.requests) == webhook_sending.SEND_BATCH
    assert elapsed[0] < webhook_sending.SEND_ROUNDS * DEADLINE + SLACK
    errors = set(WebhookAttempt.objects.filter(message__in=messages).values_list("error", flat=True))
    assert errors == {f"timed out after {DEADLINE:g} s (ReadTimeout)"}


@pytest.fixture
def vapid(settings):
    public, private = vapid_key_pair()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    settings.VAPID_SUBJECT = "mailto:ops@example.com"


def _push_to(user, endpoint: str) -> Delivery:
    services.push_subscription_save(user=user, endpoint=endpoint, **Browser().keys)
    (delivery,) = services.notify(EVENT, [Recipient.for_user(user)], CONTEXT, channels=[Channel.PUSH])
    services.deliveries_send([delivery.pk])
    delivery.refresh_from_db()
    return delivery


@pytest.mark.django_db
def test_a_push_service_that_trickles_is_cut_off_at_the_deadline(vapid, customer, monkeypatch):
    monkeypatch.setattr(push, "TIMEOUT", DEADLINE)
    with SlowServer(HEADERS_TRICKLE) as server, _timed() as elapsed:
        delivery = _push_to(customer, f"{server.url}/push/1")
    assert elapsed[0] < DEADLINE + SLACK
    assert delivery.status == DeliveryStatus.QUEUED  # transient: retried with a backoff
    assert delivery.reason == "no push service took the message yet"
    assert "transient ReadTimeout" in delivery.attempt_log_text


@pytest.mark.django_db
def test_a_push_answer_is_read_capped_and_uncompressed(vapid, customer):
    # 201 with a body that claims 100 MB, sends 5 KB and then nothing: only RESPONSE_BYTES are ever read.
    answer = b"HTTP/1.1 201 Created\r\nLocation: /m/1\r\nContent-Length: 100000000\r\n\r\n" + b"x" * 5000
    with SlowServer(answer, every=None) as server:
        with _timed() as elapsed:
            delivery = _push_to(customer, f"{server.url}/push/1")
        (head,) = server.requests
    assert elapsed[0] < DEADLINE + SLACK  # reading the whole answer would wait for the timeout (10 s)
    assert (delivery.status, delivery.provider_message_id) == (DeliveryStatus.SENT, "/m/1")
    assert b"\r\naccept-encoding: identity\r\n" in head.lower()


def _twilio_provider(url: str) -> sms.TwilioProvider:
    return sms.TwilioProvider(
        api_url=url, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sender=FROM, timeout=DEADLINE
    )


@pytest.mark.parametrize("answer", [HEADERS_TRICKLE, BODY_TRICKLE], ids=["headers", "body"])
def test_an_sms_gateway_that_trickles_is_cut_off_at_the_deadline(answer):
    with SlowServer(answer) as server:
        with _timed() as elapsed, pytest.raises(TransientError, match="ReadTimeout"):
            _twilio_provider(server.url.removesuffix("/hooks")).send(GOOD_NUMBER, "Hello")
        (head,) = server.requests
    assert elapsed[0] < DEADLINE + SLACK
    assert b"\r\naccept-encoding: identity\r\n" in head.lower()


# ---- push subscriptions per user ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_user_keeps_the_latest_ten_push_subscriptions(customer, other_customer):
    cap = services.PUSH_SUBSCRIPTIONS_MAX
    assert cap == 10
    endpoints = [f"https://push.example.com/send/{n}" for n in range(cap + 2)]
    for endpoint in endpoints[:cap]:
        services.push_subscription_save(user=customer, endpoint=endpoint, **Browser().keys)
    services.push_subscription_save(user=other_customer, endpoint="https://push.example.com/other", **Browser().keys)
    # Browser 0 subscribes again (a refresh): it is recent now; the next new browsers push out 1 and 2.
    services.push_subscription_save(user=customer, endpoint=endpoints[0], **Browser().keys)
    for endpoint in endpoints[cap:]:
        subscription, created = services.push_subscription_save(user=customer, endpoint=endpoint, **Browser().keys)
        assert created and subscription.endpoint == endpoint
    kept = set(PushSubscription.objects.filter(user=customer).values_list("endpoint", flat=True))
    assert kept == set(endpoints) - {endpoints[1], endpoints[2]}
    assert PushSubscription.objects.filter(user=other_customer).count() == 1  # someone else's are not touched


@pytest.mark.django_db
def test_a_push_goes_to_the_ten_latest_subscriptions_at_most(vapid, customer):
    with PushService() as server:
        for n in range(12):  # rows from before the cap: more than a user may now have
            PushSubscription.objects.create(user=customer, endpoint=f"{server.url}/push/{n}", **Browser().keys)
        (delivery,) = services.notify(EVENT, [Recipient.for_user(customer)], CONTEXT, channels=[Channel.PUSH])
        assert services.deliveries_send([delivery.pk]) == 1
        assert sorted(request.path for request in server.requests) == sorted(f"/push/{n}" for n in range(2, 12))


@pytest.mark.django_db
def test_the_api_subscribes_past_the_cap_by_dropping_the_oldest(api_as, agent):
    client = api_as(agent)  # portal tokens are read-only: portal users subscribe with their session
    for n in range(services.PUSH_SUBSCRIPTIONS_MAX + 1):
        body = {"endpoint": f"https://push.example.com/send/{n}", "keys": Browser().keys}
        response = client.post("/api/v1/notifications/push-subscriptions/", body)
        assert response.status_code == 201, response.content
    endpoints = set(PushSubscription.objects.filter(user=agent).values_list("endpoint", flat=True))
    assert len(endpoints) == services.PUSH_SUBSCRIPTIONS_MAX
    assert "https://push.example.com/send/0" not in endpoints


# ---- claims outlive their batch; time limits leave nothing claimed ------------------------------------------


def test_the_claim_of_a_delivery_batch_outlives_the_slowest_send_between_two_renewals():
    # Renewed before a send once RENEW_SECONDS have passed; one send takes at most SEND_MAX_SECONDS (a push to
    # every subscription of a user, each request within its deadline; an SMS is one request).
    assert services.SEND_MAX_SECONDS == services.PUSH_SUBSCRIPTIONS_MAX * push.TIMEOUT
    assert sms.TIMEOUT <= services.SEND_MAX_SECONDS
    assert sending.RENEW_SECONDS + services.SEND_MAX_SECONDS < services.CLAIM_SECONDS
    # The batch's budget plus its last send fit in the task's soft limit; the hard one leaves time to release.
    soft, hard = tasks.deliveries_send_task.soft_time_limit, tasks.deliveries_send_task.time_limit
    assert services.SEND_BUDGET_SECONDS + services.SEND_MAX_SECONDS < soft < hard < 3600


def test_a_webhook_batch_fits_in_its_tasks_time_limit(settings):
    soft, hard = tasks.webhook_messages_send_task.soft_time_limit, tasks.webhook_messages_send_task.time_limit
    assert webhook_sending.SEND_ROUNDS * settings.WEBHOOK_TIMEOUT < soft < hard < 3600


def test_every_task_has_soft_and_hard_time_limits():
    from omni.celery import app

    assert (app.conf.task_soft_time_limit, app.conf.task_time_limit) == (300, 360)
    for task in (tasks.deliveries_scan, tasks.webhook_scan):  # the global limits
        assert (task.soft_time_limit, task.time_limit) == (300, 360)
    assert tasks.retention_prune.soft_time_limit > tasks.RETENTION_RUN_SECONDS  # a run, then its last batch


def test_time_limits_in_the_wrong_order_are_refused_at_start():
    env = celery_env(CELERY_TASK_SOFT_TIME_LIMIT="400", CELERY_TASK_TIME_LIMIT="300")
    check = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert check.returncode != 0
    assert "0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < 3600" in check.stderr


@pytest.mark.django_db(transaction=True)
def test_a_webhook_batch_longer_than_its_claim_renews_it(settings, monkeypatch):
    monkeypatch.setattr(webhook_sending, "CLAIM_SECONDS", 1.0)
    monkeypatch.setattr(webhook_sending, "RENEW_SECONDS", 0.2)
    settings.WEBHOOK_TIMEOUT = 5.0
    with Receiver() as receiver:
        (message,) = _webhook_messages(receiver.url)
        receiver.answer(HookAnswer(delay=2.0))  # twice the claim
        scans = []

        def scan():  # the beat scan, while the batch is out: it finds the claim held, not stale
            try:
                scans.append(services.webhook_dispatch_due(now=timezone.now()))
            finally:
                connection.close()

        timer = threading.Timer(1.5, scan)
        timer.start()
        assert services.webhook_messages_send([message.pk]) == 1
        timer.join()
        assert len(receiver.posts()) == 1
    assert scans == [[]]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.locked_until) == (WebhookMessageStatus.SUCCEEDED, 1, None)


@pytest.mark.django_db(transaction=True)
def test_a_delivery_batch_longer_than_its_claim_renews_it(settings, monkeypatch):
    monkeypatch.setattr(sending, "CLAIM_SECONDS", 1.0)
    monkeypatch.setattr(sending, "RENEW_SECONDS", 0.3)
    with twilio_configured(settings) as twilio:
        deliveries = _sms_deliveries(4)
        for _ in deliveries:
            twilio.answer(_twilio_ok(delay=0.5))  # the batch takes 2 s: twice the claim
        scans = []

        def scan():
            try:
                scans.append(services.deliveries_due(now=timezone.now()))
            finally:
                connection.close()

        timers = [threading.Timer(at, scan) for at in (1.2, 1.7)]
        for timer in timers:
            timer.start()
        assert services.deliveries_send([d.pk for d in deliveries]) == 4
        for timer in timers:
            timer.join()
        assert len(twilio.requests) == 4
    assert scans == [[], []]
    rows = Delivery.objects.filter(pk__in=[d.pk for d in deliveries])
    assert {(r.status, r.attempts, r.locked_until) for r in rows} == {(DeliveryStatus.SENT, 1, None)}


@contextmanager
def soft_time_limit_after(seconds: float):
    """What billiard does to a task at its soft time limit: a signal handler raises SoftTimeLimitExceeded in the
    task's (main) thread, wherever it is. Here from SIGALRM."""

    def raise_soft_limit(signum, frame):
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, raise_soft_limit)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _sms_deliveries(count: int) -> list[Delivery]:
    people = [Recipient(key=f"crm.contact:{n}", name=f"P{n}", phone=f"+23480312345{60 + n}") for n in range(count)]
    return services.notify(EVENT, people, CONTEXT, channels=[Channel.SMS])


def _twilio_ok(sid: str = "", delay: float = 0.0):
    sid = sid or f"SM{time.monotonic_ns():032x}"
    return Answer(201, orjson.dumps({"sid": sid, "status": "queued"}), {"Content-Type": "application/json"}, delay)


@pytest.mark.django_db
def test_a_soft_time_limit_in_a_delivery_batch_leaves_every_row_claimable(settings):
    with twilio_configured(settings) as twilio:
        deliveries = _sms_deliveries(3)
        twilio.answer(_twilio_ok("SMfirst"), _twilio_ok("SMslow", delay=3.0))
        with soft_time_limit_after(0.5):
            assert services.deliveries_send([d.pk for d in deliveries]) == 1  # it returns: the task ends cleanly
        assert len(twilio.requests) == 2  # the third was never tried
    now = timezone.now()
    rows = {r.pk: r for r in Delivery.objects.filter(pk__in=[d.pk for d in deliveries])}
    sent = [r for r in rows.values() if r.status == DeliveryStatus.SENT]
    interrupted = [r for r in rows.values() if r.reason.startswith(sending.INTERRUPTED)]
    untried = [r for r in rows.values() if r.attempts == 0]
    assert [r.provider_message_id for r in sent] == ["SMfirst"]
    # In flight when the limit came: it may have gone out, so it is retried later, like a timeout.
    (retry,) = interrupted
    assert (retry.status, retry.attempts, retry.locked_until) == (DeliveryStatus.QUEUED, 1, None)
    assert now + dt.timedelta(seconds=20) < retry.scheduled_for < now + dt.timedelta(seconds=40)
    # Never tried: given back at once, its attempt undone.
    (rest,) = untried
    assert (rest.status, rest.reason, rest.scheduled_for, rest.locked_until) == (DeliveryStatus.QUEUED, "", None, None)
    due = services.deliveries_due(now=max(now + dt.timedelta(seconds=31), retry.scheduled_for))
    assert sorted(due) == sorted([rest.pk, retry.pk])  # nothing stays claimed


@pytest.mark.django_db
def test_a_delivery_batch_past_its_budget_gives_the_rest_back(settings, django_capture_on_commit_callbacks):
    with twilio_configured(settings) as twilio:
        deliveries = _sms_deliveries(3)
        twilio.answer(_twilio_ok(delay=0.4), _twilio_ok(delay=0.4))
        with django_capture_on_commit_callbacks() as queued:
            assert services.deliveries_send([d.pk for d in deliveries], budget=0.5) == 2
        assert len(twilio.requests) == 2
    rows = Delivery.objects.filter(pk__in=[d.pk for d in deliveries])
    assert sorted((r.status, r.attempts) for r in rows) == [
        (DeliveryStatus.QUEUED, 0),
        (DeliveryStatus.SENT, 1),
        (DeliveryStatus.SENT, 1),
    ]
    (rest,) = [r for r in rows if r.status == DeliveryStatus.QUEUED]
    assert rest.locked_until is None
    assert len(queued) == 1  # a new send task for the rest, at once


@pytest.mark.django_db
def test_a_soft_time_limit_in_a_webhook_batch_releases_what_was_not_tried(monkeypatch):
    monkeypatch.setattr(webhook_sending, "_pool", ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-test"))
    with Receiver() as receiver:
        now = timezone.now()
        messages = _webhook_messages(receiver.url, 3, now=now)
        receiver.answer(HookAnswer(), HookAnswer(delay=2.0))
        with soft_time_limit_after(0.5):
            assert services.webhook_messages_send([m.pk for m in messages], now=now) == 1
        assert len(receiver.posts()) == 2  # one at a time: the third never started
    rows = {m.pk: m for m in WebhookMessage.objects.filter(pk__in=[m.pk for m in messages])}
    attempts = {a.message_id: a for a in WebhookAttempt.objects.filter(message__in=messages)}
    (done,) = [m for m in rows.values() if m.status == WebhookMessageStatus.SUCCEEDED]
    (in_flight,) = [m for pk, m in rows.items() if pk in attempts and not attempts[pk].succeeded]
    (untried,) = [m for pk, m in rows.items() if pk not in attempts]
    assert attempts[done.pk].succeeded
    assert attempts[in_flight.pk].error == webhook_sending.INTERRUPTED
    assert (in_flight.status, in_flight.attempts, in_flight.next_attempt_at) == (
        WebhookMessageStatus.PENDING,
        1,
        now + dt.timedelta(seconds=5),
    )
    assert (untried.status, untried.attempts, untried.next_attempt_at, untried.locked_until) == (
        WebhookMessageStatus.PENDING,
        0,
        now,
        None,
    )
    assert services.webhook_dispatch_due(now=now) == [str(untried.pk)]  # claimable at once
