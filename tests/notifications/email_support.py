"""Support for the email, template, preference and unsubscribe tests: a real SMTP server (aiosmtpd) on a free
port that Django's SMTP backend talks to, and two events of our own (one mandatory)."""

from __future__ import annotations

import email
import email.policy
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller

from notifications import registry
from notifications.choices import Channel
from notifications.recipients import Recipient
from notifications.registry import DefaultTemplate

NEWSLETTER = "testmail.newsletter.published"  # people may leave it
OUTAGE = "testmail.outage.started"  # service-critical: mandatory

registry.register(
    NEWSLETTER,
    "A newsletter was published (test event)",
    payload=("title", "body", "account"),
    channels=(Channel.EMAIL,),
    templates={
        Channel.EMAIL: DefaultTemplate(
            subject="News: {{ title }}",
            text="Hello {{ recipient.name }},\n\n{{ body }}\n\nRead more: {{ url }}\n",
            html="<h1>{{ title }}</h1>\n<p>Hello {{ recipient.name }},</p>\n<p>{{ body }}</p>",
        ),
        Channel.INAPP: DefaultTemplate(subject="News: {{ title }}"),
    },
)
registry.register(
    OUTAGE,
    "An outage started in your area (test event)",
    payload=("area", "eta"),
    channels=(Channel.EMAIL, Channel.SMS),
    mandatory=True,
    templates={
        Channel.EMAIL: DefaultTemplate(subject="Outage in {{ area }}", text="Service is down in {{ area }}.\n"),
        Channel.SMS: DefaultTemplate(text="Outage in {{ area }}, back by {{ eta }}."),
    },
)


def contact(name="Ada Obi", email_address="ada@example.com", phone="", language="", time_zone="") -> Recipient:
    return Recipient(
        key=f"crm.contact:{uuid.uuid4()}",
        name=name,
        email=email_address,
        phone=phone,
        language=language,
        time_zone=time_zone,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpServer:
    """What the local SMTP server received, and how it should answer next.

    `data_replies`: answers to the next DATA commands, in order (e.g. "451 4.3.0 Try again"); empty: accept.
    `refuse`: addresses answered 550 at RCPT TO."""

    port: int = 0
    messages: list = field(default_factory=list)
    sessions: set = field(default_factory=set)
    data_replies: list[str] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    data_commands: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        self.sessions.add(id(session))
        if self.data_replies:
            return self.data_replies.pop(0)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 2.0.0 OK: queued"


@contextmanager
def smtp_running(settings) -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1:<free port>; Django's SMTP backend is pointed at it (through pytest's
    `settings` fixture). Use: `with smtp_running(settings) as server: ...` inside a fixture."""
    handler = SmtpServer(port=free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = handler.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()


def parts(message) -> tuple[str, str]:
    """(text/plain, text/html) bodies of a received message."""
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def unsubscribe_link(message) -> str:
    return str(message["List-Unsubscribe"]).strip().strip("<>")


def unsubscribe_path(message) -> tuple[str, str]:
    """(host, path) of the List-Unsubscribe link of a received message."""
    url = unsubscribe_link(message)
    split = urlsplit(url)
    return split.netloc, split.path
