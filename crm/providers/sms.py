"""The SMS provider of the inbox: a Twilio-compatible gateway at the channel's `api_base_url`.

Inbound (crm.hooks.messaging): Twilio POSTs form fields (From, To, Body, MessageSid, NumMedia, MediaUrl0...,
MediaContentType0...) to /hooks/sms/<channel id>/, signed in X-Twilio-Signature with the channel's auth token
(notifications.callbacks.twilio_signature); `inbound_parse` turns them into a services.Inbound whose thread is
the sender's E.164 number. Media URLs are kept in the message's metadata; the files themselves are fetched only
from the gateway's own host (`media_fetch`, with the channel's basic auth), never from elsewhere on the internet.

Outbound: POST {api_base_url}/2010-04-01/Accounts/{account_sid}/Messages.json with basic auth (account sid,
auth token), From = the channel's number, StatusCallback = /hooks/sms/<channel id>/status/ on OMNI_BASE_URL.
2xx with a sid is sent; 429, 5xx, timeouts and refused connections are transient (retried); other 4xx permanent,
as notifications.channels.sms.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

import httpx
import orjson
import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from notifications import net
from notifications.channels.base import PermanentError, TransientError
from notifications.channels.sms import HEADERS, MAX_BODY, RESPONSE_BYTES, TIMEOUT

from ..choices import MessageStatus
from .base import BaseProvider

DEFAULT_API_BASE_URL = "https://api.twilio.com"
MEDIA_BYTES = 5 * 1024 * 1024  # Twilio's MMS limit; a bigger file stays a link in the metadata
MEDIA_TIMEOUT = 5.0  # seconds for one media download (inside the webhook's request)
MAX_MEDIA = 10  # Twilio sends at most 10 media per message
BODY_LIMIT = 16_000  # of an inbound body, kept (Twilio's own limit is 1,600 characters)

# Twilio's MessageStatus values -> ours. queued/sending/accepted/sent are all "the gateway took it" (the message
# is already SENT when its sid came back); canceled never went out.
STATUSES = {
    "accepted": MessageStatus.SENT,
    "scheduled": MessageStatus.SENT,
    "queued": MessageStatus.SENT,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}


@functools.lru_cache(maxsize=4096)
def e164_or_none(number: str) -> str | None:
    """`number` in E.164 when it is a valid international number, else None (short codes, alphanumeric ids).
    Remembered per process (a pure function; customers text again and again, and parsing costs more than the
    rest of the webhook's checks)."""
    try:
        parsed = phonenumbers.parse((number or "").strip(), None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def api_base_url(credentials: dict) -> str:
    return (credentials.get("api_base_url") or DEFAULT_API_BASE_URL).rstrip("/")


def status_callback_url(channel) -> str:
    """Where the gateway reports delivery of this channel's messages (it signs this very URL)."""
    path = reverse("hooks:sms_status", kwargs={"channel_id": channel.pk}, urlconf="omni.urls")
    return settings.OMNI_BASE_URL.rstrip("/") + path


def media_of(form) -> list[dict]:
    """The media Twilio lists in the form: [{"url", "content_type"}] (NumMedia says how many; at most 10)."""
    try:
        count = min(int(form.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    media = []
    for index in range(max(count, 0)):
        url = form.get(f"MediaUrl{index}", "")
        if url.startswith(("https://", "http://")):
            media.append({"url": url[:2000], "content_type": form.get(f"MediaContentType{index}", "")[:255]})
    return media


def media_fetch(credentials: dict, media: list[dict]) -> list:
    """Download the media hosted by the channel's own gateway (same host as api_base_url) with its basic auth;
    anything else, or a failed download, stays a link in the metadata. Returns services.InboundAttachment rows."""
    from ..services.inbox import InboundAttachment

    gateway = urlsplit(api_base_url(credentials))
    auth = (credentials.get("account_sid", ""), credentials.get("auth_token", ""))
    found = []
    for index, item in enumerate(media):
        url = urlsplit(item["url"])
        if (url.scheme, url.netloc) != (gateway.scheme, gateway.netloc):
            continue
        try:
            with (
                net.deadline(MEDIA_TIMEOUT),
                net.client(allow_private=True, timeout=MEDIA_TIMEOUT).stream(
                    "GET", item["url"], auth=auth, headers=HEADERS
                ) as response,
            ):
                if response.status_code != 200:
                    continue
                raw = net.read_capped(response, MEDIA_BYTES + 1)
        except httpx.HTTPError:
            continue
        if len(raw) > MEDIA_BYTES:
            continue
        content_type = item["content_type"] or response.headers.get("content-type", "")
        extension = content_type.split("/")[-1].split(";")[0].strip()[:10] or "bin"
        found.append(InboundAttachment(f"media-{index}.{extension}", raw, content_type))
    return found


def inbound_parse(form):
    """(sender's E.164 number, services.Inbound) from Twilio's inbound form. ValidationError naming
    the field when From or MessageSid is missing or unusable."""
    from ..services.inbox import Inbound

    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    if not sid or len(sid) > 64:
        raise ValidationError({"MessageSid": [_("A message id is required.")]})
    sender = e164_or_none(form.get("From", ""))
    if sender is None:
        raise ValidationError({"From": [_("The sender must be an international phone number.")]})
    media = media_of(form)
    metadata = {"to": form.get("To", "")[:32]}
    if media:
        metadata["media"] = media
    body = form.get("Body", "")[:BODY_LIMIT]
    return sender, Inbound(thread_key=sender, external_id=sid, body=body, metadata=metadata)


class Provider(BaseProvider):
    def thread_for(self, contact) -> str:
        number = e164_or_none(str(contact.phone or ""))
        if number is None:
            raise ValidationError({"contact": [_("This contact has no phone number to text.")]})
        return number

    def validate(self, conversation, *, body: str, metadata: dict, attachments) -> None:
        if attachments:
            raise ValidationError({"attachments": [_("SMS cannot carry files: send a link instead.")]})
        if not body:
            raise ValidationError({"body": [_("Write a message.")]})
        if len(body) > MAX_BODY:
            raise ValidationError({"body": [_("An SMS holds at most %(n)s characters.") % {"n": MAX_BODY}]})

    def send(self, message) -> str:
        credentials = self.channel.credentials
        account_sid, auth_token = credentials.get("account_sid"), credentials.get("auth_token")
        sender = credentials.get("from_number") or self.channel.address
        if not (account_sid and auth_token and sender):
            raise PermanentError(f"SMS channel {self.channel.name} lacks account_sid, auth_token or from_number")
        url = f"{api_base_url(credentials)}/2010-04-01/Accounts/{account_sid}/Messages.json"
        # A Messaging Service SID (MG…) lets the gateway pick the sender number from its pool.
        form = {
            "To": message.conversation.thread_key,
            "MessagingServiceSid" if sender.startswith("MG") else "From": sender,
            "Body": message.body,
            "StatusCallback": status_callback_url(self.channel),
        }
        try:
            with (
                net.deadline(TIMEOUT),
                net.client(allow_private=True, timeout=TIMEOUT).stream(
                    "POST", url, data=form, auth=(account_sid, auth_token), headers=HEADERS
                ) as response,
            ):
                raw = net.read_capped(response, RESPONSE_BYTES)
        except httpx.HTTPError as exc:  # timeouts, refused connections, broken TLS: the gateway may be back soon
            raise TransientError(f"{type(exc).__name__}: {exc}", response=str(exc)[:500]) from exc
        excerpt = raw[:2000].decode("utf-8", errors="replace")
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"SMS gateway answered {response.status_code}", response=excerpt)
        try:
            answer = orjson.loads(raw)
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if not response.is_success:
            reason = f"{response.status_code} {answer.get('code', '')} {answer.get('message', '')}".strip()
            raise PermanentError(f"SMS gateway refused the message: {reason}", response=excerpt)
        sid = answer.get("sid")
        if not sid:  # it may have been sent: retrying could send it twice
            raise PermanentError("SMS gateway answered without a message sid", response=excerpt)
        return str(sid)
