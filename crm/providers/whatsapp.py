"""The WhatsApp provider of the inbox: the WhatsApp Business Cloud API at the channel's `api_base_url` (the Graph
API, https://graph.facebook.com by default).

Inbound (crm.hooks.messaging): Meta verifies the webhook with a GET (hub.mode=subscribe, hub.verify_token,
hub.challenge) and POSTs JSON signed in X-Hub-Signature-256 (`sha256=` + hex HMAC-SHA256 of the raw body with the
app secret). `webhook_parse` walks entry[].changes[].value: messages[] (text, image, document, audio, video,
sticker, location, ...) become services.Inbound on the sender's thread (their wa_id), statuses[] delivery reports.

Outbound: POST {api_base_url}/{version}/{phone_number_id}/messages with the Bearer access token: text, media (a
link or id in metadata["media"], or the message's one attachment, uploaded to /{phone_number_id}/media first) or
an approved template (metadata["template"] = {"name", "language", "components"}).

The 24-hour customer service window: WhatsApp delivers a free-form message only within 24 hours of the
customer's last message; after that (or before they ever wrote) only an approved template. `validate` refuses
anything else with a ValidationError naming `body`; `whatsapp_window_open` / `whatsapp_window_closes_at` let the
console say so before the agent writes.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import httpx
import orjson
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import net
from notifications.channels.base import PermanentError, TransientError

from ..choices import MessageStatus
from .base import BaseProvider
from .sms import e164_or_none

DEFAULT_API_BASE_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v21.0"  # the Graph API version; a channel may set config["api_version"]
WINDOW = timedelta(hours=24)
TIMEOUT = 10.0  # seconds of wall-clock time per request (net.deadline)
RESPONSE_BYTES = 64 * 1024
MEDIA_BYTES = 16 * 1024 * 1024  # WhatsApp's limit for audio/video (documents: 100 MB stay links)
MAX_TEXT = 4096  # WhatsApp refuses longer text messages
HEADERS = {"User-Agent": "DotMac-Omni", "Accept-Encoding": "identity"}
MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
# Cloud API error codes that mean "later" although the answer is a 4xx (rate and throughput limits).
TRANSIENT_CODES = {4, 80007, 130429, 131016, 131056, 133016}

STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "failed": MessageStatus.FAILED,
}


def whatsapp_window_closes_at(conversation) -> datetime | None:
    """When the 24-hour customer service window closes (or closed); None when the customer never wrote."""
    if conversation.last_inbound_at is None:
        return None
    return conversation.last_inbound_at + WINDOW


def whatsapp_window_open(conversation, *, now: datetime | None = None) -> bool:
    """True while a free-form message may be sent: within 24 hours of the customer's last message."""
    closes = whatsapp_window_closes_at(conversation)
    return closes is not None and (now or timezone.now()) < closes


def signature_valid(raw_body: bytes, header: str, app_secret: str) -> bool:
    """X-Hub-Signature-256 is `sha256=` + hex HMAC-SHA256 of the raw body with the app secret."""
    if not app_secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header[len("sha256=") :].strip().lower().encode())


def wa_id_to_e164(wa_id: str) -> str | None:
    """A WhatsApp id is the E.164 number without its `+`."""
    digits = "".join(ch for ch in str(wa_id or "") if ch.isdigit())
    return e164_or_none("+" + digits) if digits else None


def _text(value, limit: int = 1000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) <= 180 else None  # not NaN, a plausible coordinate


def _sent_at(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def message_parse(item: dict, names: dict[str, str]) -> dict | None:
    """One entry of value.messages[] -> {"wa_id", "name", "inbound"} (None when it cannot be used)."""
    from ..services.inbox import Inbound

    wamid, wa_id, kind = _text(item.get("id"), 500), _text(item.get("from"), 32), _text(item.get("type"), 32)
    if not wamid or not wa_id or wa_id_to_e164(wa_id) is None:
        return None
    metadata: dict = {"type": kind}
    body = ""
    content = item.get(kind) if isinstance(item.get(kind), dict) else {}
    if kind == "text":
        body = _text(content.get("body"), 65536)
    elif kind in MEDIA_TYPES:
        media = {key: _text(content.get(key), 500) for key in ("id", "mime_type", "sha256", "filename", "caption")}
        metadata["media"] = {key: value for key, value in media.items() if value}
        body = media["caption"] or (f"[{kind}: {media['filename']}]" if media["filename"] else f"[{kind}]")
    elif kind == "location":
        latitude, longitude = _number(content.get("latitude")), _number(content.get("longitude"))
        location = {
            "latitude": latitude,
            "longitude": longitude,
            "name": _text(content.get("name"), 300),
            "address": _text(content.get("address"), 500),
        }
        metadata["location"] = location
        where = ", ".join(filter(None, [location["name"], location["address"]]))
        point = f"{latitude}, {longitude}" if latitude is not None and longitude is not None else ""
        body = _("Location: %(where)s") % {"where": " ".join(filter(None, [where, f"({point})" if point else ""]))}
    elif kind == "button":
        body = _text(content.get("text"), 1000)
    elif kind == "interactive":
        reply = content.get("button_reply") or content.get("list_reply") or {}
        body = _text(reply.get("title"), 1000) if isinstance(reply, dict) else ""
        metadata["interactive"] = {"id": _text(reply.get("id"), 200)} if isinstance(reply, dict) else {}
    else:  # contacts, reaction, unsupported...: kept, shown as its type
        body = f"[{kind or 'message'}]"
    context = item.get("context")
    if isinstance(context, dict) and context.get("id"):
        metadata["reply_to"] = _text(context.get("id"), 500)
    return {
        "wa_id": wa_id,
        "name": names.get(wa_id, ""),
        "inbound": Inbound(
            thread_key=wa_id, external_id=wamid, body=body, metadata=metadata, sent_at=_sent_at(item.get("timestamp"))
        ),
    }


def status_parse(item: dict) -> dict | None:
    """One entry of value.statuses[] -> {"external_id", "status", "error"} (None when unknown)."""
    wamid, status = _text(item.get("id"), 500), STATUSES.get(_text(item.get("status"), 32))
    if not wamid or status is None:
        return None
    error = ""
    errors = item.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        detail = (first.get("error_data") or {}).get("details") if isinstance(first.get("error_data"), dict) else ""
        error = " ".join(str(x) for x in (first.get("code", ""), first.get("title", ""), detail or "") if x)[:2000]
    return {"external_id": wamid, "status": status, "error": error}


def webhook_parse(payload, *, phone_number_id: str = "") -> tuple[list[dict], list[dict]]:
    """(messages, statuses) of a Cloud API webhook body (each message {"wa_id", "name", "inbound", "item"}, item
    its raw entry; each status {"external_id", "status", "error"}); changes for another phone number (one Meta
    app may serve several) and malformed entries are skipped. ValueError when the body is not a WhatsApp webhook
    at all."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise ValueError("not a WhatsApp webhook: no entry[]")
    messages, statuses = [], []
    for entry in payload["entry"]:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            meta = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
            if phone_number_id and meta.get("phone_number_id") and str(meta["phone_number_id"]) != phone_number_id:
                continue
            names = {}
            for contact in value.get("contacts") or []:
                if isinstance(contact, dict) and isinstance(contact.get("profile"), dict):
                    names[_text(contact.get("wa_id"), 32)] = _text(contact["profile"].get("name"), 200)
            for item in value.get("messages") or []:
                parsed = message_parse(item, names) if isinstance(item, dict) else None
                if parsed:
                    messages.append(parsed | {"item": item})  # the raw entry: what the ingest row keeps
            for item in value.get("statuses") or []:
                parsed = status_parse(item) if isinstance(item, dict) else None
                if parsed:
                    statuses.append(parsed)
    return messages, statuses


def _template(metadata: dict) -> dict | None:
    template = metadata.get("template")
    if not template:
        return None
    if not isinstance(template, dict) or not isinstance(template.get("name"), str) or not template["name"].strip():
        raise ValidationError({"template": [_("A template needs the name of an approved template.")]})
    language = template.get("language") or "en_US"
    if isinstance(language, str):
        language = {"code": language}
    if not isinstance(language, dict) or not language.get("code"):
        raise ValidationError({"template": [_("A template needs a language code, e.g. en_US.")]})
    components = template.get("components") or []
    if not isinstance(components, list):
        raise ValidationError({"template": [_("Template components must be a list.")]})
    return {"name": template["name"].strip(), "language": language, "components": components}


def _media(metadata: dict) -> dict | None:
    media = metadata.get("media")
    if not media:
        return None
    if (
        not isinstance(media, dict)
        or media.get("type") not in MEDIA_TYPES
        or not (media.get("link") or media.get("id"))
    ):
        raise ValidationError({"media": [_("Media needs a type (image, document, audio, video) and a link or id.")]})
    return media


class Provider(BaseProvider):
    def _credentials(self) -> dict:
        credentials = self.channel.credentials
        if not (credentials.get("phone_number_id") and credentials.get("access_token")):
            raise PermanentError(f"WhatsApp channel {self.channel.name} lacks phone_number_id or access_token")
        return credentials

    def _base(self, credentials: dict) -> str:
        base = (credentials.get("api_base_url") or DEFAULT_API_BASE_URL).rstrip("/")
        version = str((self.channel.config or {}).get("api_version") or DEFAULT_VERSION).strip("/")
        return f"{base}/{version}"

    def thread_for(self, contact) -> str:
        number = e164_or_none(str(contact.phone or ""))
        if number is None:
            raise ValidationError({"contact": [_("This contact has no phone number for WhatsApp.")]})
        return number.lstrip("+")

    def validate(self, conversation, *, body: str, metadata: dict, attachments) -> None:
        template = _template(metadata)
        _media(metadata)
        if template is None and not whatsapp_window_open(conversation):
            raise ValidationError(
                {
                    "body": [
                        _(
                            "WhatsApp only allows an approved template more than 24 hours after the customer's "
                            "last message. Send a template instead."
                        )
                    ]
                }
            )
        if len(attachments) > 1:
            raise ValidationError({"attachments": [_("WhatsApp takes one file per message.")]})
        if len(body) > MAX_TEXT:
            raise ValidationError({"body": [_("A WhatsApp message holds at most %(n)s characters.") % {"n": MAX_TEXT}]})

    def payload(self, message, *, media_id: str = "") -> dict:
        """The JSON body of the Cloud API /messages call for this message."""
        metadata = message.metadata or {}
        to = message.conversation.thread_key.lstrip("+")  # the wa_id; a thread keyed by +E.164 works too
        data = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        template = _template(metadata)
        media = _media(metadata)
        if template is not None:
            return data | {"type": "template", "template": template}
        if media_id or media is not None:
            kind = media["type"] if media else _media_kind(message.attachments.all()[0].content_type)
            item = {"id": media_id} if media_id else {k: media[k] for k in ("link", "id") if media.get(k)}
            if message.body and kind != "audio":
                item["caption"] = message.body
            if media and media.get("filename") and kind == "document":
                item["filename"] = media["filename"]
            return data | {"type": kind, kind: item}
        return data | {"type": "text", "text": {"preview_url": False, "body": message.body}}

    def send(self, message) -> str:
        credentials = self._credentials()
        base = self._base(credentials)
        auth = {"Authorization": f"Bearer {credentials['access_token']}", **HEADERS}
        attachment = next(iter(message.attachments.all()), None)
        media_id = ""
        if attachment is not None and not (message.metadata or {}).get("template"):
            with attachment.file.open("rb") as handle:
                content = handle.read()
            answer = self._call(
                "POST",
                f"{base}/{credentials['phone_number_id']}/media",
                headers=auth,
                data={"messaging_product": "whatsapp", "type": attachment.content_type or "application/octet-stream"},
                files={"file": (attachment.filename, content, attachment.content_type or "application/octet-stream")},
            )
            media_id = str(answer.get("id") or "")
            if not media_id:
                raise PermanentError("WhatsApp answered the upload without a media id")
        answer = self._call(
            "POST",
            f"{base}/{credentials['phone_number_id']}/messages",
            headers=auth,
            json=self.payload(message, media_id=media_id),
        )
        messages = answer.get("messages")
        wamid = (
            messages[0].get("id") if isinstance(messages, list) and messages and isinstance(messages[0], dict) else ""
        )
        if not wamid:  # it may have been sent: retrying could send it twice
            raise PermanentError("WhatsApp answered without a message id")
        return str(wamid)

    def _call(self, method: str, url: str, **kwargs) -> dict:
        """One Graph API request; its JSON answer. TransientError (429, 5xx, throttling codes, network) or
        PermanentError (any other refusal)."""
        try:
            with (
                net.deadline(TIMEOUT),
                net.client(allow_private=True, timeout=TIMEOUT).stream(method, url, **kwargs) as response,
            ):
                raw = net.read_capped(response, RESPONSE_BYTES)
        except httpx.HTTPError as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}", response=str(exc)[:500]) from exc
        excerpt = raw[:2000].decode("utf-8", errors="replace")
        try:
            answer = orjson.loads(raw)
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
        if response.status_code == 429 or response.status_code >= 500 or error.get("code") in TRANSIENT_CODES:
            raise TransientError(f"WhatsApp answered {response.status_code} {error.get('code', '')}", response=excerpt)
        if not response.is_success:
            reason = f"{response.status_code} {error.get('code', '')} {error.get('message', '')}".strip()
            raise PermanentError(f"WhatsApp refused the message: {reason}", response=excerpt)
        return answer

    def media_download(self, media_id: str) -> tuple[bytes, str] | None:
        """A received media file from the Graph API (its URL, then the bytes, both with the Bearer token), or
        None when it cannot be had (it stays an id in the metadata). Only the configured base URL is asked."""
        try:
            credentials = self._credentials()
            auth = {"Authorization": f"Bearer {credentials['access_token']}", **HEADERS}
            info = self._call("GET", f"{self._base(credentials)}/{media_id}", headers=auth)
            url = str(info.get("url") or "")
            base = (credentials.get("api_base_url") or DEFAULT_API_BASE_URL).rstrip("/")
            if not url.startswith(base + "/") and not _same_site(url, base):
                return None
            with (
                net.deadline(TIMEOUT),
                net.client(allow_private=True, timeout=TIMEOUT).stream("GET", url, headers=auth) as response,
            ):
                if response.status_code != 200:
                    return None
                raw = net.read_capped(response, MEDIA_BYTES + 1)
        except (TransientError, PermanentError, httpx.HTTPError):
            return None
        if len(raw) > MEDIA_BYTES:
            return None
        return raw, str(info.get("mime_type") or response.headers.get("content-type", ""))


def _same_site(url: str, base: str) -> bool:
    """Meta serves media from lookaside.fbsbx.com for graph.facebook.com: allowed for the default base only."""
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    return base == DEFAULT_API_BASE_URL and urlsplit(url).scheme == "https" and host == "lookaside.fbsbx.com"


def _media_kind(content_type: str) -> str:
    major = (content_type or "").split("/")[0]
    return major if major in ("image", "audio", "video") else "document"
