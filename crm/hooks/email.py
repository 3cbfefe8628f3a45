"""`POST /hooks/email/<channel-uuid>/`: an MTA hands us one raw RFC 822 message (a pipe to curl, a postfix
transport). The channel's inbound secret is the Bearer token (Channel.credential("inbound_secret")).

Answers: 200 stored (or already stored: an MTA's retry stores nothing twice), 400 not an email we can read, 401
no or wrong secret, 404 no active email channel with this id, 413 over INBOUND_EMAIL_MAX_BYTES. A 4xx tells the
MTA to bounce or drop; anything else it retries (a 500 or 503 when the database is away)."""

from __future__ import annotations

import hmac
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import services
from ..choices import ChannelKind
from ..models import Channel


def _error(status: int, code: str, detail: str, fields: dict | None = None) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail, "fields": fields or {}}, status=status)


def _authorised(request, channel: Channel) -> bool:
    secret = channel.credential("inbound_secret")
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    if not secret or scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode(), secret.encode())


@csrf_exempt  # an MTA holds no CSRF token; the channel's secret is the proof
@require_POST
def email_inbound(request, channel_id: UUID):
    """Store one raw email posted by the MTA (module docstring)."""
    channel = get_object_or_404(Channel, pk=channel_id, kind=ChannelKind.EMAIL)
    if not channel.active:
        raise Http404
    if not _authorised(request, channel):
        response = _error(401, "not_authenticated", _("Give the channel's inbound secret as a Bearer token."))
        response["WWW-Authenticate"] = 'Bearer realm="inbound email"'
        return response
    limit = settings.INBOUND_EMAIL_MAX_BYTES
    too_big = _error(413, "too_large", _("The message is larger than %(n)s bytes.") % {"n": limit})
    try:
        if int(request.headers.get("Content-Length") or 0) > limit:
            return too_big
    except ValueError:
        return _error(400, "invalid", _("Content-Length is not a number."))
    # read() and not .body: .body would refuse anything past DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) with a 400.
    raw = request.read(limit + 1)
    if len(raw) > limit:
        return too_big
    try:
        message, created = services.email_receive(channel=channel, raw=raw)
    except ValidationError as exc:
        fields = exc.message_dict
        return _error(400, "invalid", " ".join(next(iter(fields.values()))), fields)
    return JsonResponse(
        {"message": str(message.pk), "conversation": str(message.conversation_id), "created": created},
        status=200,
    )
