"""Status callbacks from providers: the SMS provider reports each message's delivery here.

Twilio POSTs form fields (MessageSid, MessageStatus, ErrorCode, ...) to the StatusCallback URL given with the
message, signed in X-Twilio-Signature: base64(HMAC-SHA1(auth token, full URL + each POST field name and value,
sorted by name)). A report without a valid signature is refused (403), so nobody else can mark messages
delivered or failed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

import orjson
from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .choices import DeliveryStatus

# Twilio's final statuses; queued, sending, sent, accepted, scheduled... are steps on the way and change nothing.
TWILIO_STATUSES = {
    "delivered": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
}


def twilio_signature(url: str, params: dict[str, list[str]], auth_token: str) -> str:
    """The X-Twilio-Signature of a POST to `url` with these form fields (name -> values)."""
    data = url + "".join(name + value for name in sorted(params) for value in sorted(params[name]))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_request_signed(request, params: dict[str, list[str]], auth_token: str) -> bool:
    """Whether the request's X-Twilio-Signature signs these form fields and the URL the gateway called. Twilio signs
    the URL it was given (built from OMNI_BASE_URL); behind a TLS proxy the one Django sees may differ in scheme or
    host, so either may match (the second is only computed when the first does not)."""
    # bytes: compare_digest refuses (TypeError: a 500) a str that is not ASCII, and the header is the sender's
    given = request.headers.get("X-Twilio-Signature", "").encode()
    if not auth_token or not given:
        return False
    ours = settings.OMNI_BASE_URL.rstrip("/") + request.get_full_path()
    if hmac.compare_digest(twilio_signature(ours, params, auth_token).encode(), given):
        return True
    seen = request.build_absolute_uri()
    return seen != ours and hmac.compare_digest(twilio_signature(seen, params, auth_token).encode(), given)


def _signed(request) -> bool:
    params = {name: request.POST.getlist(name) for name in request.POST}
    return twilio_request_signed(request, params, settings.SMS_AUTH_TOKEN)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@csrf_exempt  # the provider cannot hold a CSRF token; the signature is the proof
@require_POST
def sms_status(request):
    """Twilio's message status callback: delivered -> DELIVERED, failed/undelivered -> FAILED, other statuses
    ignored. 403 without a valid signature; 200 for an unknown sid (nothing changes, the provider stops)."""
    if not _signed(request):
        return HttpResponseForbidden("invalid signature")
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid", "")
    status = TWILIO_STATUSES.get(request.POST.get("MessageStatus") or request.POST.get("SmsStatus", ""))
    if sid and status:
        report = {
            key: request.POST[key] for key in ("MessageStatus", "ErrorCode", "ErrorMessage") if key in request.POST
        }
        services.delivery_status_update(
            provider_message_id=sid,
            status=status,
            response=orjson.dumps(report).decode(),
            delivery_id=_uuid(request.GET.get("delivery", "")),
        )
    return HttpResponse(b"", content_type="text/plain")
