"""The transactional outbox: an event is written with its change, sent after commit by a worker or the beat sweep,
exactly once, and a broker outage neither fails the write nor loses the event."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis
from django.db import connection, transaction
from django.utils import timezone

from crm import services as crm_services
from notifications import outbox, registry
from notifications import services as notifications
from notifications.choices import Channel
from notifications.models import Delivery, OutboxEvent, WebhookEndpoint, WebhookMessage
from notifications.recipients import Recipient
from notifications.registry import DefaultTemplate
from notifications.services import secret_generate
from notifications.tasks import outbox_dispatch_task
from tests.celery_support import broker_lock, celery_env, celery_start, process_stop, run_published
from tests.conftest import TEST_REDIS_URL
from tests.notifications.email_support import free_port, smtp_running
from tests.notifications.webhook_support import Receiver

LATER = timedelta(seconds=outbox.LEASE_SECONDS + 1)  # past the lease: the sweep takes the event
FLAKY = "testoutbox.thing.happened"


@contextmanager
def broker_at(url: str):
    """Point this process's Celery producer at `url` (a dead port: the broker is down), and back afterwards."""
    from omni.celery import app

    def point(to: str) -> None:
        app.conf.broker_url = to
        app._pool = None  # the connection and producer pools are cached per app: drop them
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    point(url)
    try:
        yield
    finally:
        point(previous)


def _dead_broker() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # a port nothing listens on


def _follow(user, event: str, channel: str) -> None:
    notifications.preference_set(recipient_key=Recipient.for_user(user).key, event=event, channel=channel, enabled=True)


def _webhook(owner, url: str = "https://hooks.example.com/omni", events=("crm.account.created",)):
    return WebhookEndpoint.objects.create(url=url, events=list(events), secret=secret_generate(), owner=owner)


# ---- recording ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_event_is_written_in_the_transaction_of_its_change():
    with pytest.raises(RuntimeError), transaction.atomic():
        account = crm_services.account_create(name="Never Committed Ltd")
        [event] = OutboxEvent.objects.all()  # visible inside the transaction, before any commit
        assert (event.event, event.data["id"], event.dispatched_at) == ("crm.account.created", str(account.pk), None)
        raise RuntimeError("the request failed after the write")
    assert not OutboxEvent.objects.exists()  # rolled back with the account


@pytest.mark.django_db
def test_an_unknown_event_cannot_be_recorded():
    with pytest.raises(LookupError):
        outbox.event_record("crm.account.exploded", {"id": "x"})
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_a_committed_event_is_dispatched_by_its_task_exactly_once(
    admin_user, agent, sales, django_capture_on_commit_callbacks
):
    _webhook(admin_user)
    _follow(agent, "crm.account.created", Channel.INAPP)
    with django_capture_on_commit_callbacks(execute=True):
        account = crm_services.account_create(by=sales, name="Lekki Gardens")
    [event] = OutboxEvent.objects.all()
    assert event.actor == sales and event.permission == "crm.view_account"
    assert not WebhookMessage.objects.exists() and not Delivery.objects.exists()  # nothing sent in the request

    # The commit published the dispatch task to the real broker; a worker runs it.
    [result] = run_published(outbox_dispatch_task, str(event.pk))
    assert result.state == "SUCCESS"
    event.refresh_from_db()
    assert event.dispatched_at is not None and event.attempts == 1
    [message] = WebhookMessage.objects.all()
    assert message.payload["data"]["id"] == str(account.pk)
    [delivery] = Delivery.objects.all()
    assert (delivery.recipient_key, delivery.channel) == (Recipient.for_user(agent).key, Channel.INAPP)

    # The task again (a redelivered message) and the sweep: nothing twice.
    assert outbox.outbox_dispatch(event.pk) is False
    assert outbox.outbox_dispatch_due(now=timezone.now() + LATER) == 0
    assert WebhookMessage.objects.count() == 1 and Delivery.objects.count() == 1


@pytest.mark.django_db
def test_the_sweep_leaves_a_fresh_event_to_its_task_then_takes_it(admin_user):
    _webhook(admin_user)
    crm_services.account_create(name="Ikoyi Towers")
    assert outbox.outbox_dispatch_due() == 0  # its task is due any moment: the sweep leaves it alone
    assert outbox.outbox_dispatch_due(now=timezone.now() + LATER) == 1
    assert WebhookMessage.objects.count() == 1


# ---- the broker is down ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_with_the_broker_down_the_api_answers_201_and_the_sweep_sends_the_event(
    api_as, sales, admin_user, django_capture_on_commit_callbacks
):
    _webhook(admin_user)
    with broker_at(_dead_broker()), django_capture_on_commit_callbacks(execute=True):
        started = time.monotonic()
        response = api_as(sales).post("/api/v1/crm/accounts/", {"name": "Outage Bakery"})
        elapsed = time.monotonic() - started
    assert response.status_code == 201, response.content
    assert elapsed < 3  # the hand-off gave up at once instead of holding the request
    [event] = OutboxEvent.objects.all()
    assert event.dispatched_at is None and not WebhookMessage.objects.exists()
    assert run_published(outbox_dispatch_task, str(event.pk)) == []  # nothing reached the broker

    assert outbox.outbox_dispatch_due(now=timezone.now() + LATER) == 1
    [message] = WebhookMessage.objects.all()
    assert message.payload["data"] == response.json()


# ---- failures and races ------------------------------------------------------------------------------------


@pytest.fixture
def flaky_event():
    """An event registered now and taken out of the catalogue by the test: its fan-out then fails."""
    registry.register(
        FLAKY, "A thing happened (test event)", channels=(), templates={Channel.INAPP: DefaultTemplate("x")}
    )
    yield FLAKY
    registry._events.pop(FLAKY, None)


@pytest.mark.django_db
def test_a_failing_event_is_retried_with_backoff_and_holds_up_no_other(admin_user, flaky_event):
    _webhook(admin_user, events=["*"])
    bad = outbox.event_record(flaky_event, {"n": 1})
    crm_services.account_create(name="Good Event Ltd")
    registry._events.pop(flaky_event)  # e.g. an app removed the event while rows were pending

    now = timezone.now() + LATER
    assert outbox.outbox_dispatch_due(now=now) == 1  # the account's event went out
    bad.refresh_from_db()
    assert bad.dispatched_at is None and bad.attempts == 1
    assert bad.last_error.startswith("LookupError")
    assert bad.next_attempt_at == now + timedelta(seconds=outbox.RETRY_BASE_SECONDS)
    assert list(WebhookMessage.objects.values_list("event", flat=True)) == ["crm.account.created"]

    assert outbox.outbox_dispatch_due(now=now + timedelta(seconds=1)) == 0  # not before its backoff
    registry.register(
        flaky_event, "A thing happened (test event)", channels=(), templates={Channel.INAPP: DefaultTemplate("x")}
    )
    assert outbox.outbox_dispatch_due(now=bad.next_attempt_at) == 1
    bad.refresh_from_db()
    assert bad.dispatched_at is not None and bad.attempts == 2
    assert WebhookMessage.objects.filter(event=flaky_event).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_dispatching_one_event_send_it_once(admin_user):
    _webhook(admin_user)
    crm_services.account_create(name="Race Condition Ltd")
    [event] = OutboxEvent.objects.all()
    barrier = threading.Barrier(2)

    def dispatch(_):
        barrier.wait()
        try:
            return outbox.outbox_dispatch(event.pk)
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(dispatch, range(2))) == [False, True]
    assert WebhookMessage.objects.count() == 1


# ---- a real worker and beat after an outage ----------------------------------------------------------------


@pytest.fixture
def private_queue(transactional_db):
    from omni.celery import app

    name = f"outbox-test-{uuid.uuid4().hex[:8]}"
    with broker_lock():
        previous = app.conf.task_default_queue
        app.conf.task_default_queue = name
        try:
            yield name
        finally:
            app.conf.task_default_queue = previous
            client = redis.Redis.from_url(TEST_REDIS_URL)
            leftovers = list(client.scan_iter(f"*{name}*"))
            if leftovers:
                client.delete(*leftovers)


def _wait_for(condition, what: str, logs, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            text = "\n".join(log.read_text(errors="replace")[-3000:] for log in logs if log.exists())
            pytest.fail(f"{what} not after {timeout} s\n{text}")
        time.sleep(0.1)


@pytest.mark.slow
def test_a_write_during_a_broker_outage_is_delivered_exactly_once_when_it_returns(
    private_queue, api_as, sales, agent, admin_user, settings, tmp_path
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with smtp_running(settings) as smtp, Receiver() as receiver:
        endpoint = _webhook(admin_user, url=receiver.url)
        receiver.secrets.append(endpoint.secret)
        _follow(agent, "crm.account.created", Channel.EMAIL)

        with broker_at(_dead_broker()):
            response = api_as(sales).post("/api/v1/crm/accounts/", {"name": "Broker Outage Farms"})
        assert response.status_code == 201, response.content
        account_id = response.json()["id"]
        assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 1

        # The broker is back: a worker and beat (whose sweep finds the event) start on it.
        env = celery_env(
            EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
            WEBHOOK_ALLOW_PRIVATE_URLS="true",
            CELERY_TASK_DEFAULT_QUEUE=private_queue,
            HEARTBEAT_INTERVAL="3600",
        )
        logs = [tmp_path / "worker.log", tmp_path / "beat.log"]
        worker = celery_start(
            "worker", "-c", "1", "-P", "solo", "-Q", private_queue, "-n", f"{private_queue}@%h",
            "--without-mingle", "--without-gossip", env=env, log=logs[0],
        )  # fmt: skip
        beat = celery_start("beat", "--pidfile=", "-s", str(tmp_path / "beat-schedule"), env=env, log=logs[1])
        try:
            _wait_for(lambda: receiver.posts() and smtp.messages, "the webhook and the follower's email", logs)
            time.sleep(outbox.LEASE_SECONDS / 2 + 6)  # more sweeps and scans: anything sent twice arrives now
        finally:
            process_stop(beat)
            process_stop(worker)

    [post] = receiver.posts()
    assert post.verified[endpoint.secret] and post.payload["type"] == "crm.account.created"
    assert post.payload["data"]["id"] == account_id
    [mail] = smtp.messages
    assert mail["To"].addresses[0].addr_spec == agent.email
    event = OutboxEvent.objects.get()
    assert event.dispatched_at is not None and event.attempts == 1


# ---- admin -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_lists_events_by_state_and_dispatches_the_chosen_ones(client_as, admin_user, agent):
    _webhook(admin_user)
    crm_services.account_create(name="Admin Listed Ltd")
    event = OutboxEvent.objects.get()
    url = "/admin/notifications/outboxevent/"
    staff = client_as(admin_user)

    page = staff.get(url, {"state": "pending", "q": "crm.account"})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1 and "crm.account.created" in page.content.decode()
    assert staff.get(url, {"state": "dispatched"}).context["cl"].result_count == 0

    response = staff.post(url, {"action": "dispatch_now", "_selected_action": [str(event.pk)]})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.dispatched_at is not None and WebhookMessage.objects.count() == 1
    assert staff.get(f"{url}{event.pk}/change/").status_code == 200  # read-only view

    assert client_as(agent).get(url).status_code == 403  # an Agent has no business here
