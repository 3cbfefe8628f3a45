"""Email through Django's email backend, configured by EMAIL_URL (plain SMTP), or any other backend such as
django-anymail's (set EMAIL_BACKEND; see README). Every message has a text and an HTML part
(rendering.email_parts).

SMTP answers decide what happens next: 4xx (greylisting, a full queue), a dropped connection or a timeout are
transient (retried with backoff); 5xx for the recipient or the message is permanent (failed at once).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from .base import PermanentError, SendResult, TransientError

DEFAULT_TIMEOUT = 30  # seconds, when EMAIL_TIMEOUT is not set
# A connection shared by the sends of one batch (see batch()); None: each send opens its own.
_connection: ContextVar = ContextVar("notifications_email_connection", default=None)


@contextmanager
def batch() -> Iterator[None]:
    """Send a batch of emails over one connection (opened on the first send, closed at the end): a worker
    sending 100 deliveries does one SMTP handshake, not 100."""
    token = _connection.set({"backend": None})
    try:
        yield
    finally:
        state = _connection.get()
        _connection.reset(token)
        _close(state)


def _close(state: dict | None) -> None:
    backend = state and state.get("backend")
    if backend is not None:
        state["backend"] = None
        # A connection that already broke cannot be closed cleanly; it is gone anyway.
        with contextlib.suppress(Exception):
            backend.close()


def _new_backend():
    # Django's SMTP backend waits forever by default (EMAIL_TIMEOUT None): a stuck server must not hang a worker.
    return get_connection(timeout=settings.EMAIL_TIMEOUT or DEFAULT_TIMEOUT)


def _backend():
    """The batch's open connection, opening it first if needed; a fresh one outside a batch."""
    state = _connection.get()
    if state is None:
        return _new_backend()
    if state["backend"] is None:
        backend = _new_backend()
        backend.open()
        state["backend"] = backend
    return state["backend"]


def _smtp_text(code, message) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {message}".strip()


def _attachments(delivery) -> list[tuple[str, bytes, str]]:
    """The files notify() kept in the payload (notifying.ATTACHMENTS_KEY); a damaged one fails the delivery."""
    files = []
    for item in delivery.payload.get("attachments") or ():
        try:
            files.append((item["filename"], base64.b64decode(item["content_b64"], validate=True), item["mimetype"]))
        except (KeyError, TypeError, binascii.Error) as exc:
            raise PermanentError(f"a damaged attachment: {exc}") from exc
    return files


def send(delivery, rendered) -> SendResult:
    """A text and an HTML part. The Message-ID is the delivery's id, so a resend after a crash is
    recognisable; List-Unsubscribe (RFC 8058 one-click) carries the no-login unsubscribe link."""
    domain = settings.OMNI_DOMAIN if "." in settings.OMNI_DOMAIN else "omni.localhost"
    message_id = f"<{delivery.pk}@{domain}>"
    headers = {
        "Message-ID": message_id,
        "Auto-Submitted": "auto-generated",
        "X-Omni-Event": delivery.event,
        "X-Omni-Delivery": str(delivery.pk),
    }
    unsubscribe = delivery.payload.get("unsubscribe_url")
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    try:
        connection = _backend()
        message = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            to=[formataddr((delivery.recipient_name, delivery.address))],
            headers=headers,
            connection=connection,
        )
        if rendered.html:
            message.attach_alternative(rendered.html, "text/html")
        for attachment in _attachments(delivery):
            message.attach(*attachment)
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        _close(_connection.get())
        answers = "; ".join(f"{address}: {_smtp_text(*answer)}" for address, answer in exc.recipients.items())
        if all(code >= 500 for code, _message in exc.recipients.values()):
            raise PermanentError("recipient refused", response=answers) from exc
        raise TransientError("recipient deferred", response=answers) from exc
    except smtplib.SMTPAuthenticationError as exc:  # a configuration problem: it works again once fixed
        _close(_connection.get())
        raise TransientError("SMTP authentication failed", response=_smtp_text(exc.smtp_code, exc.smtp_error)) from exc
    except smtplib.SMTPResponseException as exc:  # DATA, MAIL FROM, HELO answered with an error code
        _close(_connection.get())
        answer = _smtp_text(exc.smtp_code, exc.smtp_error)
        if exc.smtp_code >= 500:
            raise PermanentError("message refused", response=answer) from exc
        raise TransientError("message deferred", response=answer) from exc
    except (OSError, smtplib.SMTPException) as exc:  # refused connection, timeout, disconnect: later
        _close(_connection.get())
        raise TransientError(f"{type(exc).__name__}: {exc}", response=str(exc)[:500]) from exc
    except Exception as exc:
        _close(_connection.get())
        _raise_provider_error(exc)
        raise
    return _accepted(message, message_id)


# django-anymail errors that trying again cannot fix (the others, AnymailAPIError with a 5xx or no answer, can).
REFUSED_BY_ANYMAIL = {"AnymailRecipientsRefused", "AnymailInvalidAddress", "AnymailUnsupportedFeature"}


def _raise_provider_error(exc: Exception) -> None:
    """An HTTP provider's error (django-anymail): 429 and 5xx are transient, other 4xx permanent."""
    if not type(exc).__module__.startswith("anymail"):
        return
    status = getattr(exc, "status_code", None)
    response = str(exc)[:500]
    if type(exc).__name__ in REFUSED_BY_ANYMAIL or (status and 400 <= status < 500 and status != 429):
        raise PermanentError(f"{type(exc).__name__}", response=response) from exc
    raise TransientError(f"{type(exc).__name__}", response=response) from exc


def _accepted(message, message_id: str) -> SendResult:
    status = getattr(message, "anymail_status", None)  # django-anymail: the provider's id (for its webhooks)
    if status is not None and getattr(status, "message_id", None):
        answer = f"accepted by the provider: {', '.join(sorted(status.status or [])) or 'queued'}"
        return SendResult(provider_message_id=str(status.message_id), provider_response=answer)
    return SendResult(provider_message_id=message_id, provider_response="250 accepted")
