"""Inbound webhooks of the SMS (Twilio-compatible) and WhatsApp (Business Cloud API) channels.

Each URL names its channel (`/hooks/sms/<channel id>/`, `/hooks/whatsapp/<channel id>/`): an unknown or inactive
channel, or one of another kind, is 404. The provider's signature is checked against the channel's own secret
before anything is stored (SMS: X-Twilio-Signature with the auth token, 403; WhatsApp: X-Hub-Signature-256 with
the app secret, 403). A signed but malformed payload is a 400 naming what is wrong, never a 500.

A transactional inbox (crm.services.inbox_ingest): a valid webhook is stored raw, in ONE
`INSERT ... ON CONFLICT DO NOTHING` of crm.InboundWebhook rows (one per message or delivery report; a WhatsApp
batch in the same statement), and answered; a worker turns the rows into messages right after (a Redis-debounced
Celery kick, and a beat sweep). A 200 therefore means the event is committed in PostgreSQL (flushed to disk
within PostgreSQL's WAL writer delay, or before the 200 with INBOX_WEBHOOK_SYNCHRONOUS_COMMIT), and a provider's
retry (the same message id) stores nothing twice. Channels are looked up once per CHANNEL_CACHE_SECONDS per process
(a deactivated channel or a new secret applies within that time).

`/hooks/ping/` answers "ok" and does nothing else: the floor bench/inbound_webhooks.py measures the SMS webhook
against (the same server, middleware and routing, no work).
"""

from __future__ import annotations

import hmac
import time
from urllib.parse import parse_qs

import orjson
from django.conf import settings
from django.core.exceptions import TooManyFieldsSent, ValidationError
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotFound, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifications.callbacks import twilio_request_signed

from .. import services
from ..choices import ChannelKind
from ..models import Channel, InboundWebhook, InboundWebhookKind
from ..providers import sms, whatsapp

TWIML_EMPTY = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
CHANNEL_CACHE_SECONDS = 10.0
_channels: dict[tuple[str, str], tuple[float, Channel | None, dict]] = {}


def _channel(channel_id, kind: str) -> tuple[Channel | None, dict]:
    """(the active channel of this id and kind, its decrypted credentials), or (None, {}); remembered by this
    process for CHANNEL_CACHE_SECONDS (unknown ids too, so a flood of them costs no queries)."""
    key, now = (str(channel_id), kind), time.monotonic()
    hit = _channels.get(key)
    if hit is not None and hit[0] > now:
        return hit[1], hit[2]
    channel = Channel.objects.filter(pk=channel_id, kind=kind, active=True).first()
    credentials = channel.credentials if channel is not None else {}
    if len(_channels) > 1000:
        _channels.clear()
    _channels[key] = (now + CHANNEL_CACHE_SECONDS, channel, credentials)
    return channel, credentials


def channel_cache_clear() -> None:
    _channels.clear()


def _bad_request(exc: ValidationError | str) -> JsonResponse:
    fields = exc.message_dict if isinstance(exc, ValidationError) and hasattr(exc, "error_dict") else {}
    detail = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items()) or str(exc)
    return JsonResponse({"code": "invalid", "detail": detail, "fields": fields}, status=400)


def _form(request) -> dict[str, list[str]] | None:
    """The urlencoded form the gateway posted (name -> values), parsed straight from the body (a QueryDict costs a
    third of the webhook's own work); None when it has more fields than Django allows (a body that is no form
    parses to fields no signature matches). Another content type (multipart) goes through Django's parser."""
    if request.content_type != "application/x-www-form-urlencoded":
        try:
            return {name: request.POST.getlist(name) for name in request.POST}
        except TooManyFieldsSent:
            return None
    try:
        return parse_qs(
            request.body.decode("utf-8", "replace"),
            keep_blank_values=True,
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    except ValueError:  # more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS
        return None


def _last_values(form: dict[str, list[str]]) -> dict[str, str]:
    """Each field's last value, as QueryDict.get gives it."""
    return {name: values[-1] for name, values in form.items()}


def _signed_fields(request, credentials: dict) -> dict[str, str] | HttpResponse:
    """The gateway's form fields when X-Twilio-Signature signs them with the channel's auth token; else the answer:
    400 for more fields than allowed, 403 for a missing or wrong signature."""
    form = _form(request)
    if form is None:
        return _bad_request("body: more form fields than allowed")
    if not twilio_request_signed(request, form, credentials.get("auth_token", "")):
        return HttpResponseForbidden(b"invalid signature")
    return _last_values(form)


@csrf_exempt  # the provider holds no CSRF token; the signature is the proof
@require_http_methods(["GET", "POST", "HEAD"])
def ping(request):
    """The floor of the inbound bench: the same stack answering without any work."""
    return HttpResponse(b"ok", content_type="text/plain")


@csrf_exempt
@require_POST
def sms_inbound(request, channel_id):
    """A text from a customer: stored (ingest row) for the worker to file on the conversation of their number;
    answered with empty TwiML (no auto-reply from the gateway). 403 unsigned; 400 without From or MessageSid;
    200 for a retried MessageSid (nothing new stored)."""
    channel, credentials = _channel(channel_id, ChannelKind.SMS)
    if channel is None:
        return HttpResponseNotFound(b"no such channel")
    fields = _signed_fields(request, credentials)
    if isinstance(fields, HttpResponse):
        return fields
    try:
        _number, inbound = sms.inbound_parse(fields)
    except ValidationError as exc:
        return _bad_request(exc)
    services.inbound_webhooks_ingest(
        [
            InboundWebhook(
                channel_id=channel.pk,
                kind=InboundWebhookKind.SMS_MESSAGE,
                external_id=inbound.external_id,
                payload=fields,
            )
        ]
    )
    return HttpResponse(TWIML_EMPTY, content_type="text/xml")


@csrf_exempt
@require_POST
def sms_status(request, channel_id):
    """The gateway's delivery report of one of our messages (its StatusCallback), stored for the worker:
    queued/sent -> sent, delivered, read, undelivered/failed -> failed with the ErrorCode. 403 unsigned; 200 for
    an unknown sid or status (nothing changes and the gateway stops retrying)."""
    channel, credentials = _channel(channel_id, ChannelKind.SMS)
    if channel is None:
        return HttpResponseNotFound(b"no such channel")
    fields = _signed_fields(request, credentials)
    if isinstance(fields, HttpResponse):
        return fields
    sid = (fields.get("MessageSid") or fields.get("SmsSid") or "").strip()[:500]
    given = fields.get("MessageStatus") or fields.get("SmsStatus") or ""
    status = sms.STATUSES.get(given)
    if sid and status:
        error = ""
        if status == sms.STATUSES["failed"]:
            code, text = fields.get("ErrorCode", ""), fields.get("ErrorMessage", "")
            error = " ".join(filter(None, [f"ErrorCode {code}" if code else "", text])) or "failed"
        services.inbound_webhooks_ingest(
            [
                InboundWebhook(
                    channel_id=channel.pk,
                    kind=InboundWebhookKind.SMS_STATUS,
                    external_id=f"{sid}:{given}",
                    payload={"external_id": sid, "status": str(status), "error": error[:2000]},
                )
            ]
        )
    return HttpResponse(b"", content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_hook(request, channel_id):
    """GET: Meta's subscription check (hub.challenge back when hub.verify_token is the channel's). POST: the
    Cloud API's webhook (messages and statuses), signed with the app secret."""
    channel, credentials = _channel(channel_id, ChannelKind.WHATSAPP)
    if channel is None:
        return HttpResponseNotFound(b"no such channel")
    if request.method == "GET":
        token, expected = request.GET.get("hub.verify_token", ""), credentials.get("verify_token", "")
        matches = bool(expected) and hmac.compare_digest(token.encode(), expected.encode())
        if request.GET.get("hub.mode") != "subscribe" or not matches:
            return HttpResponseForbidden(b"verification failed")
        return HttpResponse(request.GET.get("hub.challenge", "")[:200], content_type="text/plain")

    raw = request.body
    if not whatsapp.signature_valid(raw, request.headers.get("X-Hub-Signature-256", ""), credentials.get("app_secret")):
        return HttpResponseForbidden(b"invalid signature")
    try:
        messages, statuses = whatsapp.webhook_parse(
            orjson.loads(raw), phone_number_id=str(credentials.get("phone_number_id", ""))
        )
    except ValueError as exc:  # orjson.JSONDecodeError is a ValueError
        return _bad_request(f"body: {exc}")
    rows = [
        InboundWebhook(
            channel_id=channel.pk,
            kind=InboundWebhookKind.WHATSAPP_MESSAGE,
            external_id=item["inbound"].external_id,
            payload={"item": item["item"], "name": item["name"]},
        )
        for item in messages
    ]
    rows += [
        InboundWebhook(
            channel_id=channel.pk,
            kind=InboundWebhookKind.WHATSAPP_STATUS,
            external_id=f"{item['external_id']}:{item['status']}",
            payload={**item, "status": str(item["status"])},
        )
        for item in statuses
    ]
    services.inbound_webhooks_ingest(rows)  # one INSERT for the whole batch
    return HttpResponse(b"ok", content_type="text/plain")
