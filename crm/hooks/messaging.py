"""Inbound webhooks of the SMS (Twilio-compatible) and WhatsApp (Business Cloud API) channels.

Each URL names its channel (`/hooks/sms/<channel id>/`, `/hooks/whatsapp/<channel id>/`): an unknown or inactive
channel, or one of another kind, is 404. The provider's signature is checked against the channel's own secret
before anything is read into the database (SMS: X-Twilio-Signature with the auth token, 403; WhatsApp:
X-Hub-Signature-256 with the app secret, 403). A signed but malformed payload is a 400 naming what is wrong, never
a 500. Storing is idempotent per provider message id (crm.services.inbound_receive), so a provider's retry is
answered 200 and stores nothing new.

`/hooks/ping/` answers "ok" and does nothing else: the floor bench/inbound_webhooks.py measures the SMS webhook
against (the same server, middleware and routing, no work).
"""

from __future__ import annotations

import hmac
import logging

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotFound, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifications.callbacks import twilio_signature

from .. import services
from ..choices import ChannelKind, ContactChannel
from ..models import Channel, Message
from ..providers import sms, whatsapp

logger = logging.getLogger(__name__)

TWIML_EMPTY = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _channel(channel_id, kind: str) -> Channel | None:
    return Channel.objects.filter(pk=channel_id, kind=kind, active=True).first()


def _bad_request(exc: ValidationError | str) -> JsonResponse:
    fields = exc.message_dict if isinstance(exc, ValidationError) and hasattr(exc, "error_dict") else {}
    detail = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items()) or str(exc)
    return JsonResponse({"code": "invalid", "detail": detail, "fields": fields}, status=400)


def _twilio_signed(request, auth_token: str) -> bool:
    """X-Twilio-Signature over the URL the gateway called and the sorted form fields. Behind a TLS proxy that
    URL (OMNI_BASE_URL + path) and the one Django sees may differ in scheme or host, so either may match."""
    given = request.headers.get("X-Twilio-Signature", "")
    if not auth_token or not given:
        return False
    params = {name: request.POST.getlist(name) for name in request.POST}
    urls = {settings.OMNI_BASE_URL.rstrip("/") + request.get_full_path(), request.build_absolute_uri()}
    return any(hmac.compare_digest(twilio_signature(url, params, auth_token), given) for url in urls)


@csrf_exempt  # the provider holds no CSRF token; the signature is the proof
@require_http_methods(["GET", "POST", "HEAD"])
def ping(request):
    """The floor of the inbound bench: the same stack answering without any work."""
    return HttpResponse(b"ok", content_type="text/plain")


@csrf_exempt
@require_POST
def sms_inbound(request, channel_id):
    """A text from a customer: stored on the conversation of their number; answered with empty TwiML (no
    auto-reply from the gateway). 403 unsigned; 400 without From or MessageSid; 200 for a retried MessageSid."""
    channel = _channel(channel_id, ChannelKind.SMS)
    if channel is None:
        return HttpResponseNotFound(b"no such channel")
    credentials = channel.credentials
    if not _twilio_signed(request, credentials.get("auth_token", "")):
        return HttpResponseForbidden(b"invalid signature")
    try:
        number, inbound = sms.inbound_parse(request.POST)
    except ValidationError as exc:
        return _bad_request(exc)
    media = inbound.metadata.get("media")
    if media and not Message.objects.filter(channel=channel, external_id=inbound.external_id).exists():
        inbound.attachments = sms.media_fetch(credentials, media)
    try:
        with transaction.atomic():  # no contact is left behind when the message cannot be stored
            sender = services.contact_resolve(phone=number, preferred_channel=ContactChannel.SMS)
            services.inbound_receive(channel=channel, sender=sender, inbound=inbound)
    except ValidationError as exc:  # a sender the contact rules refuse: say why, store nothing
        return _bad_request(exc)
    return HttpResponse(TWIML_EMPTY, content_type="text/xml")


@csrf_exempt
@require_POST
def sms_status(request, channel_id):
    """The gateway's delivery report of one of our messages (its StatusCallback): queued/sent -> sent,
    delivered, read, undelivered/failed -> failed with the ErrorCode. 403 unsigned; 200 for an unknown sid or
    status (nothing changes and the gateway stops retrying)."""
    channel = _channel(channel_id, ChannelKind.SMS)
    if channel is None:
        return HttpResponseNotFound(b"no such channel")
    if not _twilio_signed(request, channel.credentials.get("auth_token", "")):
        return HttpResponseForbidden(b"invalid signature")
    sid = (request.POST.get("MessageSid") or request.POST.get("SmsSid") or "").strip()
    status = sms.STATUSES.get(request.POST.get("MessageStatus") or request.POST.get("SmsStatus") or "")
    if sid and status:
        error = ""
        if status == sms.STATUSES["failed"]:
            code, text = request.POST.get("ErrorCode", ""), request.POST.get("ErrorMessage", "")
            error = " ".join(filter(None, [f"ErrorCode {code}" if code else "", text])) or "failed"
        services.delivery_status_update(channel=channel, external_id=sid[:998], status=status, error=error)
    return HttpResponse(b"", content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_hook(request, channel_id):
    """GET: Meta's subscription check (hub.challenge back when hub.verify_token is the channel's). POST: the
    Cloud API's webhook (messages and statuses), signed with the app secret."""
    channel = _channel(channel_id, ChannelKind.WHATSAPP)
    if channel is None:
        return HttpResponseNotFound(b"no such channel")
    credentials = channel.credentials
    if request.method == "GET":
        token, expected = request.GET.get("hub.verify_token", ""), credentials.get("verify_token", "")
        if request.GET.get("hub.mode") != "subscribe" or not expected or not hmac.compare_digest(token, expected):
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
    provider = whatsapp.Provider(channel)
    for item in messages:
        inbound = item["inbound"]
        media = inbound.metadata.get("media") or {}
        if media.get("id") and not Message.objects.filter(channel=channel, external_id=inbound.external_id).exists():
            found = provider.media_download(media["id"])
            if found is not None:
                content, content_type = found
                extension = content_type.split("/")[-1].split(";")[0].strip()[:10] or "bin"
                filename = media.get("filename") or f"{inbound.metadata['type']}.{extension}"
                inbound.attachments = [services.InboundAttachment(filename, content, content_type)]
        try:
            with transaction.atomic():
                sender = services.contact_resolve(
                    phone=whatsapp.wa_id_to_e164(item["wa_id"]),
                    name=item["name"],
                    preferred_channel=ContactChannel.WHATSAPP,
                )
                services.inbound_receive(channel=channel, sender=sender, inbound=inbound)
        except ValidationError:  # a sender we cannot file (their profile name refused): skip it, keep the rest
            logger.warning("WhatsApp message %s not stored", inbound.external_id, exc_info=True)
    for item in statuses:
        services.delivery_status_update(channel=channel, **item)
    return HttpResponse(b"ok", content_type="text/plain")
