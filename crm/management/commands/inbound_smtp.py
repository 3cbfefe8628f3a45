"""`manage.py inbound_smtp`: the inbox's SMTP receiver (aiosmtpd). Point the MX (or a relay's transport) for the
email channels' addresses here. RCPT TO is accepted only for the address of an active email channel (550
otherwise), a message over INBOUND_EMAIL_MAX_BYTES is refused (552), and each accepted message is stored on every
channel it was addressed to through crm.services.email_receive, the same service as the MTA hook.

DATA answers: 250 stored (or already stored: a resend stores nothing twice), 550 unreadable (no sender), 451 on
any other failure (the database away: the sending MTA queues and retries). The database work runs in a worker
thread (asgiref's sync_to_async), never on the event loop. Plain SMTP without TLS or AUTH: run it behind the
organisation's MTA or on a private address (README)."""

from __future__ import annotations

import logging
import signal
import threading

from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from crm import services

logger = logging.getLogger(__name__)


def _channel_ids_for(address: str) -> list:
    close_old_connections()
    try:
        return [channel.pk for channel in services.email_channels_for([address])]
    finally:
        close_old_connections()


def _store(channel_ids: list, raw: bytes, envelope_from: str) -> list[tuple]:
    """Store the message on each channel; [(message id, created)]."""
    from crm.models import Channel

    close_old_connections()
    try:
        stored = []
        for channel in Channel.objects.filter(pk__in=channel_ids, active=True):
            message, created = services.email_receive(channel=channel, raw=raw, envelope_from=envelope_from)
            stored.append((message.pk, created))
        return stored
    finally:
        close_old_connections()


class InboxHandler:
    """aiosmtpd handler: RCPT TO checks the channel, DATA stores the message."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        try:
            channel_ids = await sync_to_async(_channel_ids_for)(address)
        except Exception:
            logger.exception("inbound SMTP: looking up %s failed", address)
            return "451 4.3.0 Temporary failure, try again later"
        if not channel_ids:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.omni_channels = [*getattr(envelope, "omni_channels", []), *channel_ids]
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        channel_ids = list(dict.fromkeys(getattr(envelope, "omni_channels", [])))
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        mail_from = (envelope.mail_from or "").strip().strip("<>")  # MAIL FROM:<> (bounces) arrives as "<>"
        try:
            stored = await sync_to_async(_store)(channel_ids, raw, mail_from)
        except ValidationError as exc:
            detail = " ".join(message for messages in exc.message_dict.values() for message in messages)
            return f"550 5.6.0 {detail}"[:500]
        except Exception:
            logger.exception("inbound SMTP: storing a message from %s failed", envelope.mail_from)
            return "451 4.3.0 Temporary failure, try again later"
        logger.info("inbound SMTP: %s from %s stored %s", envelope.rcpt_tos, envelope.mail_from, stored)
        return "250 2.0.0 OK: stored"


def smtp_controller(host: str, port: int) -> Controller:
    return Controller(
        InboxHandler(),
        hostname=host,
        port=port,
        data_size_limit=settings.INBOUND_EMAIL_MAX_BYTES,
        server_hostname=settings.OMNI_DOMAIN,
    )


class Command(BaseCommand):
    help = "Receive email for the inbox's email channels over SMTP (aiosmtpd)."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ready = threading.Event()  # set once listening (tests wait for it)
        self.stopping = threading.Event()  # set to stop (SIGINT, SIGTERM; tests set it)

    def add_arguments(self, parser):
        parser.add_argument("--host", default=None, help="Address to listen on (INBOUND_SMTP_HOST).")
        parser.add_argument("--port", type=int, default=None, help="Port to listen on (INBOUND_SMTP_PORT).")

    def handle(self, *args, **options):
        if options["verbosity"] < 2:  # aiosmtpd logs every SMTP command at INFO: one line per command, per client
            logging.getLogger("mail.log").setLevel(logging.WARNING)
        host = options["host"] or settings.INBOUND_SMTP_HOST
        port = options["port"] or settings.INBOUND_SMTP_PORT
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_args: self.stopping.set())
        controller = smtp_controller(host, port)
        controller.start()
        self.ready.set()
        self.stdout.write(f"Inbound SMTP listening on {host}:{port}")
        try:
            while not self.stopping.wait(1):
                pass
        finally:
            controller.stop()
            self.stdout.write("Inbound SMTP stopped")
