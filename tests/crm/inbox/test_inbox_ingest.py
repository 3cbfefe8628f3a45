"""The SMS and WhatsApp webhooks' transactional inbox (crm.services.inbox_ingest): a webhook stores its event in
one INSERT and answers; processing turns the rows into messages exactly once, a failing row neither blocks the
others nor is lost, and processors running at once never take the same row."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from crm import services, tasks
from crm.admin.inbox_ingest import InboundWebhookAdmin  # noqa: F401 - registers the admin (the lead imports it)
from crm.models import Contact, Conversation, InboundWebhook, InboundWebhookKind, Message
from crm.services import inbox_ingest
from tests.conftest import TEST_REDIS_URL

from .test_sms import _channel as sms_channel
from .test_sms import hook_url, inbound_form, post_signed
from .test_whatsapp import WA_ID, message_payload, status_payload
from .test_whatsapp import _channel as whatsapp_channel
from .test_whatsapp import post_signed as whatsapp_post

SID = "SM" + "a" * 32


def sms_row(channel, sid, sender="+2348031234567", body="Hello"):
    return InboundWebhook(
        channel_id=channel.pk,
        kind=InboundWebhookKind.SMS_MESSAGE,
        external_id=sid,
        payload=inbound_form(sid=sid, body=body, sender=sender),
    )


@pytest.mark.django_db
def test_a_webhook_stores_one_row_answers_and_the_task_makes_the_message_the_same_payload_twice_makes_one():
    channel = sms_channel()
    for _ in range(2):  # Twilio retrying: the same MessageSid
        response = post_signed(hook_url(channel), inbound_form(sid=SID), process=False)
        assert response.status_code == 200 and response.content.endswith(b"<Response/>")
    row = InboundWebhook.objects.get()
    assert (row.kind, row.external_id, row.processed_at, row.attempts) == (InboundWebhookKind.SMS_MESSAGE, SID, None, 0)
    assert row.payload["Body"] == "My internet is down since morning" and row.payload["MessageSid"] == SID
    assert Message.objects.count() == 0  # not yet: the worker stores it

    tasks.inbox_webhooks_process()  # what the Celery worker runs
    row.refresh_from_db()
    assert row.processed_at is not None and row.last_error == ""
    message = Message.objects.get()
    assert (message.external_id, message.body) == (SID, "My internet is down since morning")

    # Once processed, the same webhook again stores nothing new and makes no second message.
    post_signed(hook_url(channel), inbound_form(sid=SID))
    assert InboundWebhook.objects.count() == 1 and Message.objects.count() == 1


@pytest.mark.django_db
def test_a_whatsapp_batch_is_one_row_per_message_and_status_and_a_retried_batch_adds_none():
    channel = whatsapp_channel()
    batch = message_payload(wamid="wamid.ONE")
    value = batch["entry"][0]["changes"][0]["value"]
    value["messages"].append({**value["messages"][0], "id": "wamid.TWO", "text": {"body": "Still red"}})
    value["statuses"] = status_payload("wamid.OURS", "delivered")["entry"][0]["changes"][0]["value"]["statuses"]
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        assert whatsapp_post(channel, batch, process=False).status_code == 200
    inserts = [sql for sql in recorder.sql if sql.startswith("INSERT INTO crm_inboundwebhook ")]
    assert len(inserts) == 1 and "ON CONFLICT DO NOTHING" in inserts[0]  # the whole batch in one statement
    assert whatsapp_post(channel, batch, process=False).status_code == 200
    assert sorted(InboundWebhook.objects.values_list("kind", "external_id")) == [
        (InboundWebhookKind.WHATSAPP_MESSAGE, "wamid.ONE"),
        (InboundWebhookKind.WHATSAPP_MESSAGE, "wamid.TWO"),
        (InboundWebhookKind.WHATSAPP_STATUS, "wamid.OURS:delivered"),
    ]
    assert services.inbound_webhooks_process() == 3
    assert sorted(Message.objects.values_list("external_id", "body")) == [
        ("wamid.ONE", "Hello, my router shows a red light"),
        ("wamid.TWO", "Still red"),
    ]
    assert Conversation.objects.get().thread_key == WA_ID
    assert not InboundWebhook.objects.filter(processed_at=None).exists()


class Recorder:
    def __init__(self):
        self.sql = []

    def __call__(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)


@pytest.mark.django_db
def test_a_failing_row_does_not_block_the_others_and_is_retried_after_a_backoff(monkeypatch):
    channel = sms_channel()
    services.inbound_webhooks_ingest(
        [sms_row(channel, f"SM{i:032d}", sender=f"+23480312345{i:02d}") for i in range(3)], kick=False
    )
    real = services.inbox.inbound_receive
    failures = []

    def flaky(*, channel, sender, inbound):
        if inbound.external_id == f"SM{1:032d}" and not failures:
            failures.append(inbound.external_id)
            Message.objects.create(  # half done when it breaks: must be rolled back with the row's work
                conversation=Conversation.objects.create(channel=channel, thread_key="half", contact=sender),
                channel=channel,
                direction="inbound",
                status="received",
                external_id="half-done",
            )
            raise RuntimeError("the database went away")
        return real(channel=channel, sender=sender, inbound=inbound)

    monkeypatch.setattr(services.inbox, "inbound_receive", flaky)
    now = timezone.now()
    assert services.inbound_webhooks_process(now=now) == 3
    assert sorted(Message.objects.values_list("external_id", flat=True)) == [f"SM{0:032d}", f"SM{2:032d}"]
    failed = InboundWebhook.objects.get(external_id=f"SM{1:032d}")
    assert (failed.processed_at, failed.attempts) == (None, 1)
    assert failed.last_error == "RuntimeError: the database went away"
    assert failed.due_at == now + inbox_ingest.BACKOFF
    assert services.inbound_webhooks_process(now=now) == 0  # not due yet
    assert services.inbound_webhooks_due(now=now) is False

    assert services.inbound_webhooks_process(now=failed.due_at) == 1
    failed.refresh_from_db()
    assert failed.processed_at is not None and failed.attempts == 1
    assert Message.objects.filter(external_id__startswith="SM").count() == 3
    assert not Message.objects.filter(external_id="half-done").exists()


@pytest.mark.django_db
def test_refused_input_is_not_retried_and_repeated_failures_give_up(monkeypatch):
    channel = sms_channel()
    bad = sms_row(channel, "SMbad")
    bad.payload = {**bad.payload, "From": "not a number"}
    services.inbound_webhooks_ingest([bad, sms_row(channel, "SMbroken")], kick=False)
    monkeypatch.setattr(inbox_ingest, "MAX_ATTEMPTS", 2)
    monkeypatch.setattr(services.inbox, "contact_resolve", lambda **kwargs: 1 / 0)
    services.inbound_webhooks_process()
    refused = InboundWebhook.objects.get(external_id="SMbad")
    assert (
        refused.processed_at is not None and refused.last_error.startswith("refused:") and "From" in refused.last_error
    )
    broken = InboundWebhook.objects.get(external_id="SMbroken")
    assert broken.processed_at is None and broken.last_error.startswith("ZeroDivisionError")
    services.inbound_webhooks_process(now=broken.due_at + timedelta(seconds=1))
    broken.refresh_from_db()
    assert broken.processed_at is not None and broken.attempts == 2  # given up: the admin shows why
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_the_beat_sweep_processes_what_a_lost_kick_left(monkeypatch):
    from omni.schedule import beat_schedule

    entry = beat_schedule(heartbeat_interval=60)["crm-inbox-webhooks-sweep"]
    assert entry["task"] == tasks.inbox_webhooks_process.name and entry["schedule"] <= 60
    requeued = []
    monkeypatch.setattr(tasks.inbox_webhooks_process, "apply_async", lambda **kwargs: requeued.append(kwargs))
    channel = sms_channel()
    services.inbound_webhooks_ingest([sms_row(channel, SID)], kick=False)  # stored, no task queued
    tasks.inbox_webhooks_process()
    assert Message.objects.get().external_id == SID and requeued == []  # nothing left: not queued again


@pytest.mark.django_db
def test_the_kick_queues_at_most_one_task_per_window_and_never_fails_the_webhook(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.inbox_webhooks_process, "apply_async", lambda **kwargs: queued.append(kwargs))
    assert services.inbound_webhooks_kick() is True
    assert services.inbound_webhooks_kick() is False  # within 200 ms and the task not started: no second one
    assert len(queued) == 1
    services.inbound_webhooks_kick_clear()  # the task starting
    assert services.inbound_webhooks_kick() is True and len(queued) == 2

    def down():
        raise redis.ConnectionError("Redis is down")

    monkeypatch.setattr(inbox_ingest.omni_redis, "client", down)
    assert services.inbound_webhooks_kick() is False  # logged; the beat sweep processes
    channel = sms_channel()
    response = post_signed(hook_url(channel), inbound_form(sid=SID), process=False)
    assert response.status_code == 200 and InboundWebhook.objects.count() == 1


@pytest.fixture
def private_queue(transactional_db):
    """Tasks queued after commit (outbox hand-offs, kicks) go to a queue of this test, deleted at the end."""
    from omni.celery import app

    name = f"ingest-test-{uuid.uuid4().hex[:8]}"
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


def test_the_kicker_thread_kicks_at_once_then_once_a_window_and_after_the_last_webhook(private_queue, monkeypatch):
    """Webhooks in production hand their kick to the process's kicker thread (the suite kicks inline): three
    threads answering 20 webhooks each over ~0.6 s get a kick at once, then at most one per KICK_MS, and one
    after the last webhook, so that its event is seen; the tasks reach the broker; the thread then sleeps."""
    monkeypatch.setattr(settings, "INBOX_WEBHOOK_KICK_INLINE", False)
    monkeypatch.setattr(inbox_ingest, "_kicker", inbox_ingest._Kicker())  # a kicker of this test's own
    services.inbound_webhooks_kick_clear()
    kicks, asked, real_kick = [], [], inbox_ingest.inbound_webhooks_kick

    def timed_kick():  # the real kick (Redis, then the broker), timed
        kicks.append(time.monotonic())
        threads_kicking.add(threading.current_thread().name)
        return real_kick()

    threads_kicking = set()

    monkeypatch.setattr(inbox_ingest, "inbound_webhooks_kick", timed_kick)

    def webhooks():
        for _ in range(20):
            asked.append(time.monotonic())
            services.inbound_webhooks_kick_soon()
            time.sleep(0.03)

    threads = [threading.Thread(target=webhooks) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    last = max(asked)
    deadline = time.monotonic() + 3
    while not (kicks and kicks[-1] > last) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert kicks[0] - min(asked) < 0.1  # the first webhook's kick: right away
    assert kicks[-1] > last  # the last webhook's event is announced
    gaps = [b - a for a, b in zip(kicks, kicks[1:], strict=False)]
    assert all(gap >= inbox_ingest.KICK_MS / 1000 * 0.95 for gap in gaps), gaps  # at most one per window
    assert threads_kicking == {"inbox-webhooks-kicker"}  # never a webhook's thread: none waits for Redis
    settled = len(kicks)
    time.sleep(3 * inbox_ingest.KICK_MS / 1000)
    assert len(kicks) == settled  # nothing pending: no more kicks
    assert redis.Redis.from_url(TEST_REDIS_URL).llen(private_queue) >= 1  # queued tasks reached the broker


def test_a_process_exiting_announces_what_its_kicker_has_not_yet(monkeypatch):
    """The kicker's flush (atexit): a kick only when a webhook's kick is still pending."""
    kicks = []
    monkeypatch.setattr(inbox_ingest, "inbound_webhooks_kick", lambda: kicks.append(1) or True)
    kicker = inbox_ingest._Kicker()
    assert kicker.flush() is False and kicks == []
    kicker._pending.set()  # what soon() notes before its thread gets to it
    assert kicker.flush() is True and kicks == [1]
    assert kicker.flush() is False and kicks == [1]


def test_a_webhooks_own_commit_does_not_wait_for_the_flush_and_the_session_keeps_its_setting(transactional_db):
    """Outside a transaction the INSERT is its own transaction, committed with synchronous_commit off for it alone
    (set_config local to it, in the statement: still one round trip); the connection's setting is unchanged after.
    INBOX_WEBHOOK_SYNCHRONOUS_COMMIT, or a caller's transaction, makes it a plain INSERT."""
    from django.db import transaction

    channel = sms_channel()

    def ingest(sid) -> str:
        statements = []

        def record(execute, sql, params, many, context):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            services.inbound_webhooks_ingest([sms_row(channel, sid)], kick=False)
        [statement] = statements
        return statement

    assert "set_config('synchronous_commit', 'off'" in ingest(SID)
    assert InboundWebhook.objects.get(external_id=SID).payload["MessageSid"] == SID  # committed, all of it
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)
    with override_settings(INBOX_WEBHOOK_SYNCHRONOUS_COMMIT=True):
        assert "synchronous_commit" not in ingest("SMsynchronous")
    with transaction.atomic():
        assert "synchronous_commit" not in ingest("SMinside")
    assert set(InboundWebhook.objects.values_list("external_id", flat=True)) == {SID, "SMsynchronous", "SMinside"}


def test_concurrent_processors_store_each_message_once(private_queue):
    channel = sms_channel()
    senders = [f"+2348031234{i:03d}" for i in range(4)]
    count = 24
    services.inbound_webhooks_ingest(
        [sms_row(channel, f"SM{i:032d}", sender=senders[i % 4], body=f"text {i}") for i in range(count)], kick=False
    )
    start = threading.Barrier(2)
    handled, errors = [], []

    def processor():
        try:
            start.wait(10)
            handled.append(services.inbound_webhooks_process())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=processor) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(handled) == count  # every row handled by one of them, none twice
    assert Message.objects.count() == count
    assert Message.objects.values("external_id").distinct().count() == count
    assert not InboundWebhook.objects.filter(processed_at=None).exists()
    assert not InboundWebhook.objects.exclude(last_error="").exists()
    assert Conversation.objects.count() == 4 and Contact.objects.count() == 4  # one per sender, never two


@pytest.mark.django_db
def test_the_admin_lists_searches_and_filters_the_stored_webhooks(admin_user, client_as):
    channel = sms_channel()
    services.inbound_webhooks_ingest([sms_row(channel, SID), sms_row(channel, "SMother")], kick=False)
    InboundWebhook.objects.filter(external_id="SMother").update(last_error="refused: From", processed_at=timezone.now())
    admin = client_as(admin_user)
    page = admin.get("/admin/crm/inboundwebhook/", {"q": SID})
    assert page.status_code == 200 and SID.encode() in page.content and b"SMother" not in page.content
    page = admin.get("/admin/crm/inboundwebhook/", {"state": "refused"})
    assert page.status_code == 200 and b"SMother" in page.content and SID.encode() not in page.content
    row = InboundWebhook.objects.get(external_id="SMother")
    assert admin.get(f"/admin/crm/inboundwebhook/{row.pk}/change/").status_code == 200
    assert admin.get("/admin/crm/inboundwebhook/add/").status_code == 403
    response = admin.post(
        "/admin/crm/inboundwebhook/", {"action": "retry_now", "_selected_action": [str(row.pk)]}, follow=True
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.processed_at is None  # back in the queue
    assert Client(HTTP_HOST="localhost").get("/admin/crm/inboundwebhook/").status_code == 302


@pytest.mark.django_db
def test_the_prune_deletes_processed_events_past_their_days_and_keeps_the_rest(settings):
    settings.INBOX_WEBHOOK_RETENTION_DAYS = 7
    channel = sms_channel()
    now = timezone.now()
    post_signed(hook_url(channel), inbound_form(sid=SID))  # processed now
    InboundWebhook.objects.update(received_at=now - timedelta(days=8))
    old = [sms_row(channel, f"SM{i:032d}", body=f"old {i}") for i in range(5)]
    inbox_ingest.inbound_webhooks_ingest(old, kick=False)
    services.inbound_webhooks_process()
    InboundWebhook.objects.filter(external_id__in=[r.external_id for r in old]).update(
        received_at=now - timedelta(days=9)
    )
    recent = sms_row(channel, "SM" + "r" * 32)
    waiting = sms_row(channel, "SM" + "w" * 32)  # old, never processed: its message is not stored yet
    inbox_ingest.inbound_webhooks_ingest([recent], kick=False)
    services.inbound_webhooks_process()
    inbox_ingest.inbound_webhooks_ingest([waiting], kick=False)
    InboundWebhook.objects.filter(external_id=waiting.external_id).update(received_at=now - timedelta(days=30))

    assert services.inbound_webhooks_prune(now=now, batch_size=2) == 6  # three batches: 2, 2, 2 (then 0)
    kept = set(InboundWebhook.objects.values_list("external_id", flat=True))
    assert kept == {recent.external_id, waiting.external_id}
    assert Message.objects.count() == 7  # the messages stay
    # A provider retrying a pruned event: stored again, and processing makes no second message.
    post_signed(hook_url(channel), inbound_form(sid=SID))
    assert Message.objects.filter(external_id=SID).count() == 1


@pytest.mark.django_db
def test_the_prune_keeps_everything_with_zero_days(settings):
    from omni.schedule import beat_schedule

    assert beat_schedule(heartbeat_interval=60)["crm-inbox-webhooks-prune"]["task"] == tasks.inbox_webhooks_prune.name
    settings.INBOX_WEBHOOK_RETENTION_DAYS = 0
    channel = sms_channel()
    post_signed(hook_url(channel), inbound_form(sid=SID))
    InboundWebhook.objects.update(received_at=timezone.now() - timedelta(days=3650))
    tasks.inbox_webhooks_prune()
    assert InboundWebhook.objects.count() == 1
