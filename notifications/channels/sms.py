"""SMS through a provider chosen by SMS_PROVIDER: "twilio" speaks Twilio's Messages API (any Twilio-compatible
gateway at SMS_API_URL will do), "console" logs the message (development).

A provider implements `send(to, body) -> message id`. Numbers must be valid E.164 (checked with phonenumbers
before any request): an invalid one fails the delivery at once. Twilio answers decide what happens next: 2xx
with a `sid` is sent; 429, 5xx, a timeout or a refused connection are transient (retried with backoff); any
other 4xx is permanent. The provider reports delivery later to notifications.callbacks.sms_status.
"""

from __future__ import annotations

import logging
import uuid
from functools import lru_cache
from typing import Protocol
from urllib.parse import urlencode

import httpx
import phonenumbers
from django.conf import settings
from django.urls import reverse

from .base import PermanentError, SendResult, TransientError

logger = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds for the whole request; a slower provider is retried later
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
            response = _client(self.timeout).post(self.url, data=form, auth=self.auth)
        except httpx.HTTPError as exc:  # timeouts, refused connections, broken TLS: the provider may be back soon
            raise TransientError(f"{type(exc).__name__}: {exc}", response=str(exc)[:500]) from exc
        excerpt = response.text[:2000]
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"provider answered {response.status_code}", response=excerpt)
        if not response.is_success:
            raise PermanentError(f"provider refused the message: {_reason(response)}", response=excerpt)
        try:
            sid = response.json().get("sid")
        except (ValueError, AttributeError):
            sid = None
        if not sid:  # it may have been sent: retrying could send it twice
            raise PermanentError("provider answered without a message sid", response=excerpt)
        return str(sid)


def _reason(response: httpx.Response) -> str:
    """Twilio's error body is {"code", "message", ...}; fall back to the status code."""
    try:
        body = response.json()
        return f"{response.status_code} {body.get('code', '')} {body.get('message', '')}".strip()
    except (ValueError, AttributeError):
        return str(response.status_code)


@lru_cache(maxsize=4)
def _client(timeout: float) -> httpx.Client:
    """One connection pool per process (and timeout): consecutive messages reuse the TLS connection."""
    return httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": "DotMac-Omni"})


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
