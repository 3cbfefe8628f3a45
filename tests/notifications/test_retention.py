"""Retention (notifications.retention): the nightly prune deletes final deliveries, final webhook messages with
their attempts and read in-app notifications past their windows, and keeps everything else; in batches, with a
dry run, a management command and a beat task. Rows are built with the ORM at exact ages around each cutoff."""

import io
import os
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection, models, transaction
from django.utils import timezone

from notifications import retention, tasks
from notifications.choices import DELIVERY_OPEN, Channel, DeliveryStatus, WebhookMessageStatus
from notifications.models import (
    Delivery,
    DeliveryAttempt,
    Notification,
    OutboxEvent,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
)
from tests.notifications.email_support import NEWSLETTER

pytestmark = pytest.mark.django_db

DAYS = {
    "NOTIFICATIONS_RETENTION_DAYS": 180,
    "WEBHOOK_RETENTION_DAYS": 90,
    "INAPP_RETENTION_DAYS": 365,
    "OUTBOX_RETENTION_DAYS": 7,
}
SECOND = timedelta(seconds=1)
NOTHING = {"deliveries": 0, "webhook_messages": 0, "webhook_attempts": 0, "inapp_notifications": 0, "outbox_events": 0}


@pytest.fixture(autouse=True)
def _windows(settings):
    """The documented defaults, whatever the environment running the tests sets."""
    for name, days in DAYS.items():
        setattr(settings, name, days)


@pytest.fixture
def now() -> datetime:
    return timezone.now()


@pytest.fixture
def endpoint(db) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(url="https://erp.example.com/hooks", events=["*"], secret="whsec_test")


def ages(now: datetime, days: int) -> dict[str, datetime]:
    """created_at values around a window of `days`: a second past it, exactly on it, a second inside it."""
    edge = now - timedelta(days=days)
    return {"outside": edge - SECOND, "on the edge": edge, "inside": edge + SECOND}


def delivery(status: str, created_at: datetime, *, channel: str = Channel.EMAIL) -> Delivery:
    return Delivery.objects.create(
        idempotency_key=uuid.uuid4().hex,
        event=NEWSLETTER,
        channel=channel,
        recipient_key=f"crm.contact:{uuid.uuid4()}",
        address="ada@example.com",
        subject="Hello Ada",
        body_text="Personal text",
        payload={"name": "Ada"},
        status=status,
        created_at=created_at,
    )


def message(endpoint: WebhookEndpoint, status: str, created_at: datetime, *, attempts: int = 2) -> WebhookMessage:
    row = WebhookMessage.objects.create(
        endpoint=endpoint,
        message_id=f"msg_{uuid.uuid4().hex}",
        event="crm.account.created",
        payload={"type": "crm.account.created", "data": {}},
        status=status,
        attempts=attempts,
        created_at=created_at,
    )
    WebhookAttempt.objects.bulk_create(
        WebhookAttempt(message=row, number=n, status_code=500, created_at=created_at) for n in range(1, attempts + 1)
    )
    return row


def note(user, created_at: datetime, *, read: bool, delivery: Delivery | None = None) -> Notification:
    return Notification.objects.create(
        user=user,
        delivery=delivery,
        event=NEWSLETTER,
        title="Your bill",
        read_at=created_at + SECOND if read else None,
        created_at=created_at,
    )


def outbox_event(created_at: datetime, *, dispatched: bool) -> OutboxEvent:
    return OutboxEvent.objects.create(
        event=NEWSLETTER,
        data={"title": "x"},
        created_at=created_at,
        dispatched_at=created_at + SECOND if dispatched else None,
    )


def left(model: type[models.Model]) -> set:
    return set(model.objects.values_list("pk", flat=True))


# ---- what goes and what stays ------------------------------------------------------------------------------


def test_final_deliveries_past_the_window_go_and_open_or_younger_ones_stay(now):
    rows = {
        (status, age): delivery(status, created_at)
        for status in DeliveryStatus
        for age, created_at in ages(now, 180).items()
    }

    counts = retention.prune(now=now)

    gone = {key for key, row in rows.items() if row.pk not in left(Delivery)}
    assert gone == {(status, "outside") for status in retention.DELIVERY_FINAL}
    assert counts == {**NOTHING, "deliveries": 4}


def test_a_pruned_delivery_takes_its_attempt_log_along(now):
    old, young = delivery(DeliveryStatus.SENT, now - timedelta(days=200)), delivery(DeliveryStatus.SENT, now)
    for row in (old, young):
        row.attempt_log.create(number=1, outcome="sent", answer="250 ok", created_at=row.created_at)

    assert retention.prune(now=now) == {**NOTHING, "deliveries": 1}
    assert list(DeliveryAttempt.objects.values_list("delivery_id", flat=True)) == [young.pk]


def test_an_in_app_notification_outlives_its_deleted_delivery_unlinked(customer, now):
    old = now - timedelta(days=200)
    sent = delivery(DeliveryStatus.SENT, old, channel=Channel.INAPP)
    bell = note(customer, old, read=False, delivery=sent)

    retention.prune(now=now)

    assert not Delivery.objects.filter(pk=sent.pk).exists()
    bell.refresh_from_db()
    assert bell.delivery_id is None and bell.title == "Your bill"


def test_final_webhook_messages_past_the_window_go_with_their_attempts(endpoint, now):
    rows = {
        (status, age): message(endpoint, status, created_at)
        for status in WebhookMessageStatus
        for age, created_at in ages(now, 90).items()
    }

    counts = retention.prune(now=now)

    gone = {key for key, row in rows.items() if row.pk not in left(WebhookMessage)}
    assert gone == {(status, "outside") for status in retention.WEBHOOK_FINAL}
    kept = left(WebhookMessage)
    assert set(WebhookAttempt.objects.values_list("message_id", flat=True)) == kept
    assert WebhookAttempt.objects.count() == 2 * len(kept) == 2 * 10
    assert counts == {**NOTHING, "webhook_messages": 2, "webhook_attempts": 4}


def test_read_in_app_notifications_past_the_window_go_and_unread_ones_stay_however_old(customer, now):
    rows = {
        (read, age): note(customer, created_at, read=read)
        for read in (True, False)
        for age, created_at in ages(now, 365).items()
    }
    ancient_unread = note(customer, now - timedelta(days=3650), read=False)

    counts = retention.prune(now=now)

    gone = {key for key, row in rows.items() if row.pk not in left(Notification)}
    assert gone == {(True, "outside")}
    assert ancient_unread.pk in left(Notification)
    assert counts == {**NOTHING, "inapp_notifications": 1}


def test_each_kind_has_its_own_window(settings, customer, endpoint, now):
    settings.NOTIFICATIONS_RETENTION_DAYS, settings.WEBHOOK_RETENTION_DAYS, settings.INAPP_RETENTION_DAYS = 30, 60, 30
    forty_days = now - timedelta(days=40)
    sent, succeeded, read = (
        delivery(DeliveryStatus.DELIVERED, forty_days),
        message(endpoint, WebhookMessageStatus.SUCCEEDED, forty_days),
        note(customer, forty_days, read=True),
    )

    retention.prune(now=now)

    assert sent.pk not in left(Delivery) and read.pk not in left(Notification)
    assert succeeded.pk in left(WebhookMessage) and WebhookAttempt.objects.filter(message=succeeded).count() == 2


@pytest.mark.parametrize("setting", list(DAYS))
def test_zero_days_keeps_that_kind_forever(settings, setting, customer, endpoint, now):
    setattr(settings, setting, 0)
    ten_years = now - timedelta(days=3650)
    rows = {
        "NOTIFICATIONS_RETENTION_DAYS": (Delivery, delivery(DeliveryStatus.FAILED, ten_years)),
        "WEBHOOK_RETENTION_DAYS": (WebhookMessage, message(endpoint, WebhookMessageStatus.FAILED, ten_years)),
        "INAPP_RETENTION_DAYS": (Notification, note(customer, ten_years, read=True)),
        "OUTBOX_RETENTION_DAYS": (OutboxEvent, outbox_event(ten_years, dispatched=True)),
    }

    retention.prune(now=now)

    assert {name for name, (model, row) in rows.items() if row.pk in left(model)} == {setting}


def test_zero_everywhere_deletes_nothing(settings, customer, endpoint, now):
    for name in DAYS:
        setattr(settings, name, 0)
    ten_years = now - timedelta(days=3650)
    delivery(DeliveryStatus.SENT, ten_years)
    message(endpoint, WebhookMessageStatus.SUCCEEDED, ten_years)
    note(customer, ten_years, read=True)
    outbox_event(ten_years, dispatched=True)

    assert retention.prune(now=now) == NOTHING
    assert (Delivery.objects.count(), WebhookMessage.objects.count(), WebhookAttempt.objects.count()) == (1, 1, 2)
    assert Notification.objects.count() == OutboxEvent.objects.count() == 1


def test_a_negative_window_is_refused_before_anything_is_deleted(settings, now):
    settings.WEBHOOK_RETENTION_DAYS = -1
    old = delivery(DeliveryStatus.SENT, now - timedelta(days=400))

    with pytest.raises(ImproperlyConfigured, match="WEBHOOK_RETENTION_DAYS"):
        retention.prune(now=now, dry_run=True)
    with pytest.raises(ImproperlyConfigured, match="WEBHOOK_RETENTION_DAYS"):
        retention.prune(now=now)
    assert old.pk in left(Delivery)  # deliveries are pruned first: every window is checked before that


def test_settings_refuse_a_negative_window_at_startup():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "omni.settings", "INAPP_RETENTION_DAYS": "-5"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "_RETENTION_DAYS" in result.stderr


def test_every_status_is_either_final_or_open():
    assert set(retention.DELIVERY_FINAL) | set(DELIVERY_OPEN) == set(DeliveryStatus)
    assert not set(retention.DELIVERY_FINAL) & set(DELIVERY_OPEN)
    open_webhooks = {WebhookMessageStatus.PENDING, WebhookMessageStatus.SENDING}
    assert set(retention.WEBHOOK_FINAL) | open_webhooks == set(WebhookMessageStatus)
    assert not set(retention.WEBHOOK_FINAL) & open_webhooks


def test_retention_handles_every_row_pointing_at_what_it_deletes():
    """retention._delete deals with these foreign keys by hand (one statement per table); a new one pointing at
    a pruned model must be handled there too, or the prune fails at commit on the foreign key."""

    def pointing_at(model):
        return {(rel.related_model, rel.field.name, rel.on_delete) for rel in model._meta.related_objects}

    assert pointing_at(Delivery) == {
        (Notification, "delivery", models.SET_NULL),
        (DeliveryAttempt, "delivery", models.CASCADE),
    }
    assert pointing_at(WebhookMessage) == {(WebhookAttempt, "message", models.CASCADE)}
    assert pointing_at(Notification) == set()


# ---- batches -----------------------------------------------------------------------------------------------


def test_a_backlog_bigger_than_a_batch_goes_in_batches_of_batch_size(customer, now):
    old = now - timedelta(days=400)
    expired = [delivery(DeliveryStatus.SENT, old + i * SECOND) for i in range(23)]
    # Rows that stay, between and after the expired ones: the walk must pass them, not stop at them.
    queued = [delivery(DeliveryStatus.QUEUED, old + i * SECOND) for i in range(0, 30, 3)]
    read = [note(customer, old + i * SECOND, read=True) for i in range(12)]
    unread = [note(customer, old + i * SECOND, read=False) for i in range(12)]

    batches = list(retention.prune_batches(now=now, batch_size=5))

    assert batches == [
        *[("deliveries", {"deliveries": 5})] * 4,
        ("deliveries", {"deliveries": 3}),
        *[("inapp_notifications", {"inapp_notifications": 5})] * 2,
        ("inapp_notifications", {"inapp_notifications": 2}),
    ]
    assert not {row.pk for row in expired} & left(Delivery)
    assert left(Delivery) == {row.pk for row in queued}
    assert left(Notification) == {row.pk for row in unread}
    assert not {row.pk for row in read} & left(Notification)


def test_rows_sharing_a_created_at_across_batches_all_go(endpoint, now):
    same = now - timedelta(days=100)
    rows = [message(endpoint, WebhookMessageStatus.SUCCEEDED, same, attempts=1) for _ in range(12)]

    counts = retention.prune(now=now, batch_size=5)

    assert counts == {**NOTHING, "webhook_messages": 12, "webhook_attempts": 12}
    assert not {row.pk for row in rows} & left(WebhookMessage) and WebhookAttempt.objects.count() == 0


def test_each_batch_is_a_few_statements_whatever_its_size(endpoint, now, django_assert_num_queries):
    old = now - timedelta(days=400)
    for i in range(40):
        delivery(DeliveryStatus.SENT, old + i * SECOND)
        message(endpoint, WebhookMessageStatus.FAILED, old + i * SECOND)

    # Per kind and batch: savepoint, SELECT ... FOR UPDATE SKIP LOCKED, then SET NULL on in-app notifications and
    # DELETE of attempts (deliveries) or DELETE of attempts (webhooks), DELETE, release. In-app and outbox,
    # nothing expired: savepoint, SELECT, release.
    with django_assert_num_queries(6 + 5 + 3 + 3):
        counts = retention.prune(now=now, batch_size=1000)

    assert counts == {**NOTHING, "deliveries": 40, "webhook_messages": 40, "webhook_attempts": 80}


def test_prune_for_stops_between_batches_when_out_of_time_and_the_next_run_finishes(now):
    for i in range(12):
        delivery(DeliveryStatus.FAILED, now - timedelta(days=400) + i * SECOND)

    assert retention.prune_for(seconds=0, now=now, batch_size=5) is False
    assert Delivery.objects.count() == 7  # one whole batch, then it stopped
    assert retention.prune_for(seconds=0, now=now, batch_size=5) is False
    assert retention.prune_for(seconds=60, now=now, batch_size=5) is True
    assert Delivery.objects.count() == 0


def test_a_batch_size_below_one_is_refused(now):
    with pytest.raises(ValueError, match="batch_size"):
        retention.prune(now=now, batch_size=0)


@pytest.mark.django_db(transaction=True)
def test_a_row_another_transaction_holds_is_skipped_not_waited_for_and_goes_next_run(now):
    old = now - timedelta(days=400)
    held, free = delivery(DeliveryStatus.FAILED, old), delivery(DeliveryStatus.FAILED, old + SECOND)
    locked, release = threading.Event(), threading.Event()

    def hold():  # a staff retry holding the row, as deliveries_retry does
        try:
            with transaction.atomic():
                Delivery.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        holder = pool.submit(hold)
        assert locked.wait(10)
        try:
            counts = retention.prune(now=now)
            still_there = left(Delivery)
        finally:
            release.set()
        holder.result()

    assert counts["deliveries"] == 1 and still_there == {held.pk}
    assert free.pk not in still_there
    assert retention.prune(now=now)["deliveries"] == 1 and not left(Delivery)


# ---- dry run and command -----------------------------------------------------------------------------------


@pytest.fixture
def backlog(customer, endpoint, now):
    """Expired: 3 deliveries, 2 webhook messages with 4 attempts, 1 read notification, 1 dispatched outbox event;
    and rows that stay."""
    for status in (DeliveryStatus.SENT, DeliveryStatus.SUPPRESSED, DeliveryStatus.FAILED, DeliveryStatus.QUEUED):
        delivery(status, now - timedelta(days=181))
    delivery(DeliveryStatus.SENT, now - timedelta(days=179))
    for status in (WebhookMessageStatus.SUCCEEDED, WebhookMessageStatus.FAILED, WebhookMessageStatus.PENDING):
        message(endpoint, status, now - timedelta(days=91))
    note(customer, now - timedelta(days=366), read=True)
    note(customer, now - timedelta(days=366), read=False)
    outbox_event(now - timedelta(days=8), dispatched=True)
    outbox_event(now - timedelta(days=8), dispatched=False)  # never sent yet: kept
    outbox_event(now - timedelta(days=6), dispatched=True)


EXPECTED = {
    "deliveries": 3,
    "webhook_messages": 2,
    "webhook_attempts": 4,
    "inapp_notifications": 1,
    "outbox_events": 1,
}


def test_a_dry_run_counts_what_a_real_run_then_deletes_and_deletes_nothing(backlog, now):
    before = (left(Delivery), left(WebhookMessage), left(WebhookAttempt), left(Notification))

    assert retention.prune(now=now, dry_run=True) == EXPECTED
    assert (left(Delivery), left(WebhookMessage), left(WebhookAttempt), left(Notification)) == before

    assert retention.prune(now=now) == EXPECTED
    assert (Delivery.objects.count(), WebhookMessage.objects.count(), WebhookAttempt.objects.count()) == (2, 1, 2)
    assert Notification.objects.count() == 1
    kept = OutboxEvent.objects.values_list("dispatched_at", "created_at")
    assert sorted((sent is not None, (now - made).days) for sent, made in kept) == [(False, 8), (True, 6)]


def _command(*args) -> list[str]:
    out = io.StringIO()
    call_command("notifications_prune", *args, stdout=out, no_color=True)
    return out.getvalue().splitlines()


def test_the_command_dry_run_lists_what_would_go_and_deletes_nothing(backlog, settings):
    settings.INAPP_RETENTION_DAYS = 0
    counts = (Delivery.objects.count(), WebhookMessage.objects.count(), Notification.objects.count())

    lines = _command("--dry-run")

    assert len(lines) == 5
    assert lines[0].startswith("deliveries (sent, delivered, failed, suppressed) older than 180 days (created before ")
    assert lines[0].endswith("): 3")
    assert lines[1].startswith("webhook messages (succeeded, failed) older than 90 days (created before ")
    assert lines[1].endswith("): 2 with 4 attempts")
    assert lines[2] == "in-app notifications (read): kept forever (INAPP_RETENTION_DAYS=0)"
    assert lines[3].startswith("outbox events (dispatched) older than 7 days (created before ")
    assert lines[3].endswith("): 1")
    assert lines[4] == "Dry run: nothing deleted."
    assert (Delivery.objects.count(), WebhookMessage.objects.count(), Notification.objects.count()) == counts


def test_the_command_deletes_with_a_progress_bar_per_kind_and_reports(backlog, capsys):
    lines = _command("--batch-size", "2")

    assert lines[-1] == (
        "Deleted 3 deliveries, 2 webhook messages (4 attempts), 1 in-app notifications, 1 outbox events."
    )
    progress = capsys.readouterr().err
    assert "deliveries: 100%" in progress and "3/3" in progress
    assert "webhook_messages: 100%" in progress and "2/2" in progress
    assert "inapp_notifications: 100%" in progress and "1/1" in progress
    assert "outbox_events: 100%" in progress
    assert (Delivery.objects.count(), WebhookMessage.objects.count(), WebhookAttempt.objects.count()) == (2, 1, 2)
    assert Notification.objects.filter(read_at__isnull=True).count() == Notification.objects.count() == 1


def test_the_command_refuses_a_batch_size_below_one(db):
    with pytest.raises(CommandError, match="--batch-size"):
        _command("--batch-size", "0")


# ---- the nightly task ----------------------------------------------------------------------------------------


def test_the_task_is_scheduled_daily_and_django_celery_beat_can_store_the_entry(settings):
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import ModelEntry

    from omni.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["notifications-retention-prune"]
    assert entry["task"] == tasks.retention_prune.name == "notifications.tasks.retention_prune"
    assert entry["task"] in app.tasks
    assert isinstance(entry["schedule"], crontab) and entry["schedule"].hour == {3} and entry["schedule"].minute == {15}
    # The DatabaseScheduler copies the settings' entries into these rows on start, logging (not raising) on
    # an entry it cannot store.
    ModelEntry.from_entry("notifications-retention-prune", app=app, **entry)
    stored = PeriodicTask.objects.get(name="notifications-retention-prune")
    assert stored.task == entry["task"] and (stored.crontab.hour, stored.crontab.minute) == ("3", "15")
    assert tasks.retention_prune.acks_late and tasks.retention_prune.ignore_result
    assert 0 < tasks.retention_prune.expires < 24 * 3600  # a run not started by then gives way to the next


def test_the_task_prunes(backlog):
    tasks.retention_prune.apply().get()

    assert (Delivery.objects.count(), WebhookMessage.objects.count(), WebhookAttempt.objects.count()) == (2, 1, 2)
    assert Notification.objects.count() == 1
