"""The transactional inbox of the SMS and WhatsApp webhooks (crm.models.InboundWebhook).

The webhook verifies the provider's signature, stores the raw event(s) with ONE `INSERT ... ON CONFLICT DO NOTHING`
(`inbound_webhooks_ingest`: a retried webhook inserts nothing) and answers: the 200 means the event is committed in
PostgreSQL (on disk within PostgreSQL's WAL writer delay, or before the 200: `_insert`). It then asks for processing
cheaply (`inbound_webhooks_kick`): a Redis `SET key NX PX 200` lets at most one Celery task be queued per 200 ms,
whatever the traffic; the task clears the key when it starts (so an event stored while a task is queued but not yet
running is always seen by that task). The webhook does not even wait for that: it hands the kick to its process's
kicker thread (`inbound_webhooks_kick_soon`), which kicks at most once per 200 ms for all the webhooks the process
answered meanwhile. Redis or the broker being down, or a process killed before its kick, loses nothing: the beat
sweep (CELERY_BEAT_SCHEDULE "crm-inbox-webhooks-sweep") runs the same processing every 30 seconds. Processed rows go
INBOX_WEBHOOK_RETENTION_DAYS after they arrived (`inbound_webhooks_prune`, nightly); rows still to process are never
pruned.

`inbound_webhooks_process` takes due rows one at a time (`SELECT ... FOR UPDATE SKIP LOCKED`: concurrent
processors never take the same row and never wait for each other), and in that row's transaction calls the
services the webhooks used to call (contact_resolve + inbound_receive, delivery_status_update), so every rule
holds (idempotency by provider id on Message, reopening, events, live updates) and `processed_at` commits with the
message. A failure rolls the row's work back, records the error, counts the attempt and retries after a backoff
(10 s, 20 s, 40 s... at most an hour); the other rows go on. Input the rules refuse (ValidationError, ValueError)
is not retried: the row is done, its `last_error` says why; so is a row after MAX_ATTEMPTS failures."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from datetime import datetime, timedelta

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, router, transaction
from django.utils import timezone

from omni import redis as omni_redis
from omni.db import fetch_prepared

from ..choices import ChannelKind, ContactChannel
from ..models import Channel, InboundWebhook, InboundWebhookKind, Message
from . import inbox

logger = logging.getLogger(__name__)

__all__ = [
    "inbound_webhooks_due",
    "inbound_webhooks_ingest",
    "inbound_webhooks_kick",
    "inbound_webhooks_kick_clear",
    "inbound_webhooks_kick_soon",
    "inbound_webhooks_process",
    "inbound_webhooks_prune",
]

KICK_MS = 200  # at most one processing task queued per this many milliseconds
MAX_ATTEMPTS = 10
BACKOFF = timedelta(seconds=10)
BACKOFF_MAX = timedelta(hours=1)


def _kick_key() -> str:
    return omni_redis.key("crm", "inbox-webhooks-kick")


def inbound_webhooks_ingest(rows: list[InboundWebhook], *, kick: bool = True) -> None:
    """Store the events in one INSERT ... ON CONFLICT DO NOTHING (those already stored are skipped), then ask
    for processing. Raises only when PostgreSQL does: then the provider gets a 5xx and retries."""
    if not rows:
        return
    using = router.db_for_write(InboundWebhook)
    own_transaction = not transaction.get_connection(using).in_atomic_block
    _insert(rows, using=using, own_transaction=own_transaction)
    if kick and own_transaction:  # committed: the worker can see it
        inbound_webhooks_kick_soon()
    elif kick:
        transaction.on_commit(inbound_webhooks_kick_soon, using=using)


# The statement's own transaction commits without waiting for the WAL flush (synchronous_commit off for it alone,
# set_config(..., true) inside the statement: no extra round trip, and the session keeps its setting).
_ASYNC_COMMIT = "WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)) "


def _insert(rows: list[InboundWebhook], *, using: str, own_transaction: bool) -> None:
    """One multi-row INSERT ... ON CONFLICT DO NOTHING, sent as is: outside a transaction it is one round trip
    and its own atomic commit (bulk_create would wrap it in BEGIN ... COMMIT: three). Prepared on the connection
    (omni.db.fetch_prepared): the webhook's statement is parsed and planned once per pooled connection, not on
    every request.

    Unless INBOX_WEBHOOK_SYNCHRONOUS_COMMIT is set, that commit does not wait for its WAL record to reach the disk
    (PostgreSQL's asynchronous commit, for this statement only): the 200 then means the event is committed, seen
    by the worker and safe from any crash of ours, and on disk within PostgreSQL's wal_writer_delay (200 ms; at
    most three times that); only a crash of PostgreSQL itself or of its machine in that window loses it. Inside a
    caller's transaction (not own_transaction) the statement is plain: that transaction's commit decides."""
    table = InboundWebhook._meta.db_table
    columns = "id, channel_id, kind, external_id, payload, received_at, due_at, attempts, last_error"
    values, params = [], []
    for row in rows:
        values.append("(%s::uuid, %s::uuid, %s::text, %s::text, %s::jsonb, %s::timestamptz, %s::timestamptz, 0, '')")
        params += [
            row.pk,
            row.channel_id,
            str(row.kind),
            row.external_id,
            orjson.dumps(row.payload).decode(),
            row.received_at,
            row.due_at,
        ]
    if settings.INBOX_WEBHOOK_SYNCHRONOUS_COMMIT or not own_transaction:
        sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join(values)} ON CONFLICT DO NOTHING RETURNING id"
    else:
        sql = (
            f"{_ASYNC_COMMIT}INSERT INTO {table} ({columns}) SELECT v.* FROM (VALUES {', '.join(values)}) AS v "
            "CROSS JOIN async_commit ON CONFLICT DO NOTHING RETURNING id"
        )
    fetch_prepared(sql, params, using=using)


def inbound_webhooks_kick() -> bool:
    """Queue a processing task unless one was queued in the last KICK_MS and has not started yet. Never raises:
    the beat sweep processes what a lost kick leaves. True when a task was queued."""
    from ..tasks import inbox_webhooks_process

    try:
        if not omni_redis.client().set(_kick_key(), b"1", nx=True, px=KICK_MS):
            return False
        inbox_webhooks_process.apply_async(retry=False)
    except Exception:
        logger.warning("inbox webhook processing not queued; the sweep will process", exc_info=True)
        return False
    return True


class _Kicker:
    """This process's kicks, off the webhooks' thread. `soon()` notes that events were stored and returns at once;
    one daemon thread then kicks (inbound_webhooks_kick) at once, and at most once per KICK_MS while webhooks keep
    coming: every event stored before a soon() is followed by a kick that starts after that soon(), so the task it
    queues (or the one already queued and not started) sees the event. A webhook thus spends no Redis round trip
    (0.08 ms of CPU and a round trip each before). The thread belongs to its process: a forked child (gunicorn's and
    Celery's workers) gets a new kicker. A process that exits with events not yet announced announces them
    (atexit); one killed outright leaves them to the beat sweep, as any lost kick."""

    def __init__(self):
        self._pending = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def soon(self) -> None:
        self._pending.set()
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="inbox-webhooks-kicker", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            self._pending.wait()
            self._pending.clear()  # a soon() from now on asks for the next kick
            try:
                inbound_webhooks_kick()
            except Exception:  # it never raises; should it, the thread must live on (the sweep covers this kick)
                logger.exception("inbox webhook kick failed")
            time.sleep(KICK_MS / 1000)

    def flush(self) -> bool:
        """Kick now, in this thread, if a soon() has not been followed by a kick yet; True when it was."""
        if not self._pending.is_set():
            return False
        self._pending.clear()
        inbound_webhooks_kick()
        return True


_kicker = _Kicker()


def _new_kicker_after_fork() -> None:
    global _kicker
    _kicker = _Kicker()  # the parent's thread is not in the child; its lock and event may be in any state


os.register_at_fork(after_in_child=_new_kicker_after_fork)
atexit.register(lambda: _kicker.flush())


def inbound_webhooks_kick_soon() -> None:
    """Ask for processing without waiting: this process's kicker thread kicks within about KICK_MS (inline when
    INBOX_WEBHOOK_KICK_INLINE is set: the test suite, whose tests count the tasks a webhook queues)."""
    if settings.INBOX_WEBHOOK_KICK_INLINE:
        inbound_webhooks_kick()
    else:
        _kicker.soon()


def inbound_webhooks_kick_clear() -> None:
    """A processing task starting: the next event stored queues another (this one may already be past it)."""
    try:
        omni_redis.client().delete(_kick_key())
    except Exception:
        logger.warning("inbox webhook kick key not cleared", exc_info=True)


def _backoff(attempts: int) -> timedelta:
    return min(BACKOFF * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def _thread_lock(channel: Channel, thread_key: str) -> None:
    """One processor at a time per sender (until its transaction ends): two of their messages processed at once
    would each find no contact and create one. Other senders' rows go on in parallel."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"crm-inbound:{channel.pk}:{thread_key}"])


def _sms_message(channel: Channel, payload: dict) -> None:
    from ..providers import sms

    number, inbound_ = sms.inbound_parse(payload)
    _thread_lock(channel, number)
    media = inbound_.metadata.get("media")
    if media and not Message.objects.filter(channel=channel, external_id=inbound_.external_id).exists():
        inbound_.attachments = sms.media_fetch(channel.credentials, media)
    sender = inbox.contact_resolve(phone=number, preferred_channel=ContactChannel.SMS)
    inbox.inbound_receive(channel=channel, sender=sender, inbound=inbound_)


def _whatsapp_message(channel: Channel, payload: dict) -> None:
    from ..providers import whatsapp

    item = payload.get("item") or {}
    parsed = whatsapp.message_parse(item, {str(item.get("from", "")): payload.get("name") or ""})
    if parsed is None:
        raise ValueError("not a usable WhatsApp message")
    inbound_ = parsed["inbound"]
    _thread_lock(channel, parsed["wa_id"])
    media = inbound_.metadata.get("media") or {}
    if media.get("id") and not Message.objects.filter(channel=channel, external_id=inbound_.external_id).exists():
        found = whatsapp.Provider(channel).media_download(media["id"])
        if found is not None:
            content, content_type = found
            extension = content_type.split("/")[-1].split(";")[0].strip()[:10] or "bin"
            filename = media.get("filename") or f"{inbound_.metadata['type']}.{extension}"
            inbound_.attachments = [inbox.InboundAttachment(filename, content, content_type)]
    sender = inbox.contact_resolve(
        phone=whatsapp.wa_id_to_e164(parsed["wa_id"]), name=parsed["name"], preferred_channel=ContactChannel.WHATSAPP
    )
    inbox.inbound_receive(channel=channel, sender=sender, inbound=inbound_)


def _status(channel: Channel, payload: dict) -> None:
    inbox.delivery_status_update(
        channel=channel,
        external_id=str(payload["external_id"]),
        status=str(payload["status"]),
        error=str(payload.get("error") or ""),
    )


HANDLERS = {
    InboundWebhookKind.SMS_MESSAGE: (ChannelKind.SMS, _sms_message),
    InboundWebhookKind.SMS_STATUS: (ChannelKind.SMS, _status),
    InboundWebhookKind.WHATSAPP_MESSAGE: (ChannelKind.WHATSAPP, _whatsapp_message),
    InboundWebhookKind.WHATSAPP_STATUS: (ChannelKind.WHATSAPP, _status),
}


def _handle(row: InboundWebhook, channels: dict) -> None:
    kind, handler = HANDLERS[row.kind]
    channel = channels.get(row.channel_id)
    if channel is None:
        channel = channels[row.channel_id] = Channel.objects.get(pk=row.channel_id)
    if channel.kind != kind:
        raise ValueError(f"channel {channel.pk} is not {kind}")
    handler(channel, row.payload)


def inbound_webhook_process_one(*, now: datetime | None = None, channels: dict | None = None) -> bool | None:
    """Process the oldest due row nobody else holds, in one transaction with what it stores. True when done,
    False when it failed (recorded, retried later), None when no row is due."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            InboundWebhook.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True, due_at__lte=now)
            .order_by("due_at", "received_at")
            .first()
        )
        if row is None:
            return None
        fields = ["processed_at"]
        try:
            with transaction.atomic():  # a failure undoes this row's work, not the row's bookkeeping
                _handle(row, channels if channels is not None else {})
        except (ValidationError, ValueError, KeyError, TypeError) as exc:  # refused input: retrying cannot help
            row.processed_at = timezone.now()
            row.last_error = f"refused: {exc}"[:4000]
            row.attempts += 1
            fields += ["last_error", "attempts"]
            ok = False
        except Exception as exc:  # the database, a bug, a deadlock...: later
            logger.warning("inbox webhook %s failed (attempt %s)", row.pk, row.attempts + 1, exc_info=True)
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:4000]
            if row.attempts >= MAX_ATTEMPTS:
                row.processed_at = timezone.now()
            else:
                row.due_at = now + _backoff(row.attempts)
                fields.append("due_at")
            fields += ["last_error", "attempts"]
            ok = False
        else:
            row.processed_at = timezone.now()
            ok = True
        row.save(update_fields=fields)
    return ok


def inbound_webhooks_process(
    *, now: datetime | None = None, seconds: float | None = None, limit: int | None = None
) -> int:
    """Process due rows until none is left (or `seconds` have passed, or `limit` rows); the number handled.
    Safe to run in any number of processes at once: each row is handled exactly once."""
    started = time.monotonic()
    channels: dict = {}
    handled = 0
    while limit is None or handled < limit:
        if seconds is not None and time.monotonic() - started > seconds:
            break
        if inbound_webhook_process_one(now=now, channels=channels) is None:
            break
        handled += 1
    return handled


def inbound_webhooks_due(*, now: datetime | None = None) -> bool:
    """Whether any stored event is due for processing."""
    return InboundWebhook.objects.filter(processed_at__isnull=True, due_at__lte=now or timezone.now()).exists()


PRUNE_BATCH = 5000


def inbound_webhooks_prune(*, now: datetime | None = None, batch_size: int = PRUNE_BATCH) -> int:
    """Delete processed events received more than INBOX_WEBHOOK_RETENTION_DAYS ago (0: none), oldest first, in
    batches of `batch_size`, each its own short transaction (rows another process holds are skipped, not waited
    for; they go on the next run). Rows still to process stay however old. The number deleted."""
    days = settings.INBOX_WEBHOOK_RETENTION_DAYS
    if not days:
        return 0
    before = (now or timezone.now()) - timedelta(days=days)
    table = InboundWebhook._meta.db_table
    sql = f"""
        DELETE FROM {table} WHERE id IN (
            SELECT id FROM {table} WHERE received_at < %s AND processed_at IS NOT NULL
            ORDER BY received_at LIMIT %s FOR UPDATE SKIP LOCKED
        )"""
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [before, batch_size])
            count = cursor.rowcount
        deleted += count
        if count < batch_size:
            return deleted
