"""SMS through a provider chosen by SMS_PROVIDER: "twilio" speaks Twilio's Messages API (any Twilio-compatible
gateway at SMS_API_URL will do), "console" logs the message (development).

A provider implements `send(to, body) -> message id`. Numbers must be valid E.164 (checked with phonenumbers
before any request): an invalid one fails the delivery at once. Twilio answers decide what happens next: 2xx
with a `sid` is sent; 429, 5xx, a timeout or a refused connection are transient (retried with backoff); any
other 4xx is permanent. The provider reports delivery later to notifications.callbacks.sms_status. A request
ends within TIMEOUT seconds of wall-clock time, however slowly the gateway answers (notifications.net), and at
most RESPONSE_BYTES of its answer are read.
"""

from __future__ import annotations

import logging
import uuid
from typing import Protocol
from urllib.parse import urlencode

import httpx
import orjson
import phonenumbers
from django.conf import settings
from django.urls import reverse

from .. import net
from .base import PermanentError, SendResult, TransientError

logger = logging.getLogger(__name__)
HEADERS = {"User-Agent": "DotMac-Omni", "Accept-Encoding": "identity"}  # the answer is read raw and capped

TIMEOUT = 10.0  # seconds of wall-clock time for the whole request (net.deadline); a slower provider is retried later
RESPONSE_BYTES = 64 * 1024  # of the provider's answer, read at most (Twilio's message JSON is about 1 KB)
MAX_BODY = 1600  # Twilio refuses longer bodies (error 21617); a cut message beats a failed one


class SmsProvider(Protocol):
    def send(self, to: str, body: str, *, reference: str = "") -> str:
        """Hand one message to the provider; returns its message id. `reference` (our delivery's id) comes back
        with the provider's delivery reports. TransientError / PermanentError."""


def e164(number: str) -> str:
    """The number in E.164 form; PermanentError when it is not a valid international number."""
    try:
        parsed = phonenumbers.parse(number, None)  # no default region: the number must carry its +country code
    except phonenumbers.NumberParseException as exc:
        raise PermanentError(f"invalid phone number {number!r}: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise PermanentError(f"invalid phone number {number!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def status_callback_url(reference: str = "") -> str:
    """Where the provider reports delivery: notifications.callbacks.sms_status on the staff host, with our
    delivery's id (`?delivery=`), so a report that arrives before the provider's message id is recorded still
    finds its delivery (the provider signs the whole URL)."""
    url = settings.OMNI_BASE_URL.rstrip("/") + reverse("notifications:sms_status", urlconf="omni.urls")
    return f"{url}?{urlencode({'delivery': reference})}" if reference else url


class ConsoleProvider:
    """Development: logs the message instead of sending it."""

    def send(self, to: str, body: str, *, reference: str = "") -> str:
        message_id = f"console-{uuid.uuid4().hex}"
        logger.info("SMS %s to %s:\n%s", message_id, to, body)
        return message_id


class TwilioProvider:
    """POST {api_url}/2010-04-01/Accounts/{sid}/Messages.json with basic auth sid:token."""

    def __init__(self, *, api_url: str, account_sid: str, auth_token: str, sender: str, timeout: float = TIMEOUT):
        if not (account_sid and auth_token and sender):
            raise PermanentError("SMS is not configured: set SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM")
        self.url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.auth = (account_sid, auth_token)
        self.sender = sender
        self.timeout = timeout

    def send(self, to: str, body: str, *, reference: str = "") -> str:
        # A Messaging Service SID (MG…) lets Twilio pick the sender number from its pool.
        sender = {"MessagingServiceSid" if self.sender.startswith("MG") else "From": self.sender}
        form = {"To": to, **sender, "Body": body, "StatusCallback": status_callback_url(reference)}
        try:
            with (
                net.deadline(self.timeout),
                _client(self.timeout).stream("POST", self.url, data=form, auth=self.auth, headers=HEADERS) as response,
            ):
                raw = net.read_capped(response, RESPONSE_BYTES)
        except httpx.HTTPError as exc:  # timeouts, refused connections, broken TLS: the provider may be back soon
            raise TransientError(f"{type(exc).__name__}: {exc}", response=str(exc)[:500]) from exc
        excerpt = raw[:2000].decode("utf-8", errors="replace")
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"provider answered {response.status_code}", response=excerpt)
        if not response.is_success:
            reason = _reason(response.status_code, raw)
            raise PermanentError(f"provider refused the message: {reason}", response=excerpt)
        try:
            sid = orjson.loads(raw).get("sid")
        except (ValueError, AttributeError):
            sid = None
        if not sid:  # it may have been sent: retrying could send it twice
            raise PermanentError("provider answered without a message sid", response=excerpt)
        return str(sid)


def _reason(status_code: int, raw: bytes) -> str:
    """Twilio's error body is {"code", "message", ...}; fall back to the status code."""
    try:
        body = orjson.loads(raw)
        return f"{status_code} {body.get('code', '')} {body.get('message', '')}".strip()
    except (ValueError, AttributeError):
        return str(status_code)


def _client(timeout: float) -> httpx.Client:
    """One connection pool per process (and timeout): consecutive messages reuse the TLS connection. The
    gateway is the operator's choice (SMS_API_URL), so private addresses are allowed; proxies from the
    environment are not used (every byte goes through the transport that keeps the deadline)."""
    return net.client(allow_private=True, timeout=timeout)


def provider() -> SmsProvider:
    """The provider SMS_PROVIDER names; PermanentError for an unknown name or a missing configuration."""
    name = settings.SMS_PROVIDER
    if name == "console":
        return ConsoleProvider()
    if name == "twilio":
        return TwilioProvider(
            api_url=settings.SMS_API_URL,
            account_sid=settings.SMS_ACCOUNT_SID,
            auth_token=settings.SMS_AUTH_TOKEN,
            sender=settings.SMS_FROM,
        )
    raise PermanentError(f"unknown SMS_PROVIDER {name!r}: use console or twilio")


def send(delivery, rendered) -> SendResult:
    """The SMS channel sender: validates the number, then hands the text body to the provider."""
    to = e164(delivery.address)
    body = rendered.text.strip()
    if not body:
        raise PermanentError(f"{delivery.event} renders an empty SMS")
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - 1] + "…"
    message_id = provider().send(to, body, reference=str(delivery.pk))
    return SendResult(provider_message_id=message_id, provider_response="accepted")
