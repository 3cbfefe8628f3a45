"""The web chat widget's public endpoints, under /hooks/webchat/<channel id>/ on the staff host (README, "Web chat").
Any website embeds the widget, so these answer cross-origin requests (CORS `*`) and use no cookies: a visitor holds
a signed token (django.core.signing, salted per channel) naming their thread, given by `session/`.

- `GET config/`: colour, greeting, whether the channel is open now, the pre-chat fields and where the live
  stream is;
- `POST session/` {name, email, phone, identifier?, identifier_hash?}: a visitor token. A website that knows its
  user passes `identifier` and `identifier_hash` = hex HMAC-SHA256(identifier, the channel's identity_secret): the
  visitor is then that contact (identifier = a contact id, or an email) and their thread is "user:<identifier>",
  the same on every device; a wrong hash is 403. Anonymous visitors' thread is a random visitor id;
- `GET messages/?token=`: the thread as the visitor sees it: messages only, never notes or activities;
- `POST messages/` {token, body, client_id, email?}: stored once per client_id (a retried send is one message);
  outside business hours an email is required and staff answer by email (crm.providers.webchat);
- `GET live/?token=`: Server-Sent Events of the visitor's conversation (omni.sse), 204 before the first message.

Every endpoint but live/ is rate-limited per client address and channel (WEBCHAT_RATE_LIMIT per
WEBCHAT_RATE_WINDOW seconds, the API's sliding window in Redis). Errors are the API's shape {code, detail, fields}."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
import uuid
from functools import wraps

import orjson
import redis
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from phonenumber_field.phonenumber import PhoneNumber

from omni import sse
from omni.middleware import client_ip, sliding_window_hit

from .. import live, services
from ..choices import ChannelKind, MessageKind
from ..models import Channel, Contact, Conversation, Message
from ..providers import webchat as provider
from ..services.inbox import Inbound

logger = logging.getLogger(__name__)

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
BODY_MAX = 5000
COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")  # goes into the widget's CSS: nothing else passes
BAD_TOKEN = lambda: _("This chat session is not valid; start a new one.")  # noqa: E731 - translated per request
VISITOR_EVENTS = {"message.created", "message.status", "conversation.status"}
VISITOR_FIELDS = ("conversation", "message", "status", "message_status")


class Refused(Exception):
    def __init__(self, status: int, code: str, detail: str, fields: dict | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.fields = status, code, detail, fields or {}


def _json(data, status=200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _cors(response):
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "86400"
    return response


def _rate_limited(request, channel_id) -> int:
    """Seconds to wait when this client is over the limit on this channel, else 0. Redis down: not limited."""
    limit, window = settings.WEBCHAT_RATE_LIMIT, settings.WEBCHAT_RATE_WINDOW
    now = time.time()
    try:
        accepted, _count, oldest, _newest = sliding_window_hit(
            f"webchat:{channel_id}:{client_ip(request)}", now, window, limit
        )
    except redis.RedisError:
        logger.warning("web chat rate limiting skipped: Redis unavailable", exc_info=True)
        return 0
    return 0 if accepted else max(1, int(oldest + window - now + 0.999))


def public(methods: tuple[str, ...], *, counted: bool = True):
    """A public widget endpoint: CORS (preflight answered), the `methods` only (405), rate-limited when `counted`,
    the channel looked up (404 unless an active web chat channel), Refused and ValidationError as 4xx JSON."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, channel_id):
            if request.method == "OPTIONS":
                return _cors(HttpResponse(status=204))
            try:
                if request.method not in methods:
                    raise Refused(405, "method_not_allowed", _("Method %(m)s not allowed.") % {"m": request.method})
                if counted and (wait := _rate_limited(request, channel_id)):
                    response = _json(
                        {"code": "throttled", "detail": _("Too many requests; retry in %(s)s s.") % {"s": wait}},
                        status=429,
                    )
                    response["Retry-After"] = str(wait)
                    return _cors(response)
                channel = Channel.objects.filter(pk=channel_id, kind=ChannelKind.WEBCHAT, active=True).first()
                if channel is None:
                    raise Refused(404, "not_found", _("No such chat."))
                response = view(request, channel)
            except Refused as exc:
                body = {"code": exc.code, "detail": exc.detail, "fields": exc.fields}
                response = _json(body, status=exc.status)
            except ValidationError as exc:
                fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
                first = next(iter(fields.items()))
                response = _json({"code": "invalid", "detail": f"{first[0]}: {first[1][0]}", "fields": fields}, 400)
            return _cors(response)

        return wrapper

    return decorate


def _body(request) -> dict:
    """A JSON object (any content type: the widget posts text/plain to skip the preflight) or a form."""
    if request.content_type == "application/x-www-form-urlencoded" or request.content_type == "multipart/form-data":
        return request.POST.dict()
    try:
        data = orjson.loads(request.body or b"{}")
    except orjson.JSONDecodeError as exc:
        raise Refused(400, "invalid_json", _("The body is not JSON.")) from exc
    if not isinstance(data, dict):
        raise Refused(400, "invalid_json", _("The body must be a JSON object."))
    return data


def _salt(channel) -> str:
    return f"crm.webchat.visitor:{channel.pk}"


def _visitor(channel, token: str) -> dict:
    """The token's payload: {"t": thread key, "k": contact id (identified visitors), "n", "e", "p"}; 403 when
    missing, forged, of another channel or expired."""
    if not token:
        raise Refused(403, "no_token", _("Start a chat session first."), {"token": [_("This field is required.")]})
    try:
        return signing.loads(token, salt=_salt(channel), max_age=settings.WEBCHAT_TOKEN_MAX_AGE)
    except signing.BadSignature as exc:
        raise Refused(403, "bad_token", BAD_TOKEN(), {"token": [BAD_TOKEN()]}) from exc


def _conversation(channel, thread: str) -> Conversation | None:
    """The visitor's conversation (following a merge to the one that holds the messages), or None yet."""
    row = (
        Conversation.objects.filter(channel=channel, thread_key=thread)
        .order_by(F("merged_into").asc(nulls_first=True))
        .first()
    )
    seen = set()
    while row is not None and row.merged_into_id and row.pk not in seen:
        seen.add(row.pk)
        row = Conversation.objects.filter(pk=row.merged_into_id).first()
    return row


def _clean_prechat(channel, data: dict, *, identified: bool) -> dict:
    """The pre-chat fields as the channel asks for them: required ones present (not for an identified visitor:
    their website vouches for them), the email valid, the phone a valid number (E.164). ValidationError names
    each bad field."""
    rules = provider.prechat(channel.config or {})
    errors, out = {}, {}
    for name, rule in rules.items():
        value = str(data.get(name) or "").strip()
        if rule == "required" and not value and not identified:
            errors[name] = [_("This field is required.")]
            continue
        if not value or rule == "off":
            continue
        if name == "name":
            out[name] = value[:200]
        elif name == "email":
            try:
                validate_email(value)
            except ValidationError:
                errors[name] = [_("Enter a valid email address.")]
                continue
            out[name] = value.lower()
        elif name == "phone":
            number = PhoneNumber.from_string(value, region=settings.PHONENUMBER_DEFAULT_REGION) if value else None
            if number is None or not number.is_valid():
                errors[name] = [_("Enter a valid phone number.")]
                continue
            out[name] = number.as_e164
    if not errors and not identified and not (out.get("email") or out.get("phone")):
        name = "email" if rules["email"] != "off" else "phone"
        errors[name] = [_("Leave an email address or a phone number, so that we can reach you.")]
    if errors:
        raise ValidationError(errors)
    return out


def identity_hash(channel, identifier: str) -> str:
    """hex HMAC-SHA256 of the identifier with the channel's identity secret (what the website computes)."""
    secret = channel.credential("identity_secret")
    return hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest() if secret else ""


def _identified_contact(channel, identifier: str, details: dict) -> Contact:
    """The contact a verified identifier names: a live contact's id; else the contact of this identifier's earlier
    conversation; else found or created by email (the identifier when it is one) or phone (services.contact_resolve)."""
    try:
        contact = Contact.objects.live().filter(pk=uuid.UUID(identifier)).first()
    except ValueError:
        contact = None
    if contact is not None:
        return contact
    earlier = _conversation(channel, f"user:{identifier}")
    if earlier is not None:
        return earlier.contact
    email = identifier.lower() if "@" in identifier else details.get("email", "")
    if not (email or details.get("phone")):
        raise ValidationError({"email": [_("Pass the visitor's email (or phone) with this identifier.")]})
    return services.contact_resolve(email=email, phone=details.get("phone", ""), name=details.get("name", ""))


def _config_out(request, channel) -> dict:
    config = channel.config or {}
    return {
        "channel": str(channel.pk),
        "name": channel.name,
        "colour": config["colour"] if COLOUR.match(str(config.get("colour", ""))) else provider.DEFAULT_COLOUR,
        "greeting": config.get("greeting") or _("Hello! How can we help?"),
        "offline_message": config.get("offline_message")
        or _("We are away right now. Leave a message and your email: we will answer by email."),
        "open": provider.open_now(config),
        "prechat": [{"name": name, "required": rule == "required"} for name, rule in provider.prechat(config).items()
                    if rule != "off"],
        "live_base": sse.live_base(request),  # "": this origin
        "labels": _labels(),
    }  # fmt: skip


def _labels() -> dict:
    """The widget's words in the visitor's language (LocaleMiddleware reads their browser's Accept-Language)."""
    return {
        "open": _("Open chat"), "close": _("Close chat"), "compose": _("Write to us"), "send": _("Send"),
        "message": _("Message"), "start": _("Start chat"), "name": _("Your name"), "email": _("Email"),
        "phone": _("Phone"), "sending": _("Sending…"), "failed": _("Not sent — retrying"),
        "error": _("Something went wrong. Please try again."), "offlineTitle": _("Leave us a message"),
        "you": _("You"), "support": _("Support"), "required": _(" (required)"), "messages": _("Messages"),
    }  # fmt: skip


@public(("GET",))
def config(request, channel):
    return _json(_config_out(request, channel))


@public(("POST",))
def session(request, channel):
    data = _body(request)
    identifier = str(data.get("identifier") or "").strip()[:200]
    details = _clean_prechat(channel, data, identified=bool(identifier))
    if identifier:
        given = str(data.get("identifier_hash") or "").strip().lower()
        expected = identity_hash(channel, identifier)
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            detail = _("identifier_hash does not match the identifier.")
            raise Refused(403, "bad_identity", detail, {"identifier_hash": [detail]})
        contact = _identified_contact(channel, identifier, details)
        payload = {"t": f"user:{identifier}", "k": str(contact.pk)}
        name = contact.first_name
    else:
        payload = {"t": uuid.uuid4().hex, **{key[0]: value for key, value in details.items()}}
        name = details.get("name", "")
    conversation = _conversation(channel, payload["t"])
    token = signing.dumps(payload, salt=_salt(channel), compress=True)
    return _json(
        {"token": token, "name": name, "conversation": str(conversation.pk) if conversation else None}, status=201
    )


def _messages_out(conversation) -> list[dict]:
    """Public messages only (never notes or activities), oldest first, the last 200."""
    rows = (
        Message.objects.filter(conversation=conversation, kind=MessageKind.MESSAGE)
        .select_related("author")
        .order_by("-created_at")[:200]
    )
    return [
        {
            "id": str(row.pk),
            "direction": row.direction,
            "body": row.body,
            "author": (row.author.get_short_name() or _("Support")) if row.author_id else None,
            "client_id": (row.metadata or {}).get("client_id"),
            "status": row.status,
            "created_at": row.created_at.isoformat(),
        }
        for row in reversed(rows)
    ]


@public(("GET", "POST"))
def messages(request, channel):
    if request.method == "GET":
        visitor = _visitor(channel, request.GET.get("token", ""))
        conversation = _conversation(channel, visitor["t"])
        return _json(
            {
                "conversation": str(conversation.pk) if conversation else None,
                "status": conversation.status if conversation else None,
                "messages": _messages_out(conversation) if conversation else [],
            }
        )
    data = _body(request)
    visitor = _visitor(channel, str(data.get("token") or ""))
    body = str(data.get("body") or "").strip()
    client_id = str(data.get("client_id") or "")
    errors = {}
    if not body:
        errors["body"] = [_("Write a message.")]
    elif len(body) > BODY_MAX:
        errors["body"] = [_("At most %(n)s characters.") % {"n": BODY_MAX}]
    if not CLIENT_ID.match(client_id):
        errors["client_id"] = [_("1 to 64 letters, digits, - or _ (a new one per message).")]
    online = provider.open_now(channel.config or {})
    conversation = _conversation(channel, visitor["t"])
    email = str(data.get("email") or visitor.get("e") or "").strip().lower()
    if not online:
        if not email and visitor.get("k"):
            email = Contact.objects.filter(pk=visitor["k"]).values_list("email", flat=True).first() or ""
        if not email:
            errors["email"] = [_("Leave your email: outside business hours we answer by email.")]
        else:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = [_("Enter a valid email address.")]
    if errors:
        raise ValidationError(errors)
    if conversation is not None:
        sender = conversation.contact
    elif visitor.get("k"):
        sender = Contact.objects.filter(pk=visitor["k"]).first()
        if sender is None:
            raise Refused(403, "bad_token", BAD_TOKEN(), {"token": [BAD_TOKEN()]})
    else:
        sender = services.contact_resolve(email=email, phone=visitor.get("p", ""), name=visitor.get("n", ""))
    metadata = {"client_id": client_id, "verified": bool(visitor.get("k"))}
    if not online:
        metadata |= {"offline": True, "email": email}
    page = str(data.get("page") or "")[:500]
    if page:
        metadata["page"] = page
    message, created = services.inbound_receive(
        channel=channel,
        sender=sender,
        inbound=Inbound(
            thread_key=visitor["t"], external_id=f"webchat:{visitor['t']}:{client_id}", body=body, metadata=metadata
        ),
    )
    return _json(
        {
            "conversation": str(message.conversation_id),
            "message": {
                "id": str(message.pk),
                "direction": message.direction,
                "body": message.body,
                "client_id": client_id,
                "created_at": message.created_at.isoformat(),
            },
            "offline": not online,
        },
        status=201 if created else 200,
    )


def _for_visitor(event: str, data: dict):
    """What the visitor's stream passes on: message and status changes, without staff details (assignee, team)."""
    if event not in VISITOR_EVENTS:
        return None
    return event, {key: data[key] for key in VISITOR_FIELDS if key in data}


@public(("GET",), counted=False)
def live_stream(request, channel):
    visitor = _visitor(channel, request.GET.get("token", ""))
    conversation = _conversation(channel, visitor["t"])
    if conversation is None:
        return HttpResponse(status=204)  # nothing to follow yet; EventSource stops, the widget opens it after a send
    return sse.stream(request, [live.topic(f"visitor:{conversation.pk}")], transform=_for_visitor)


@public(("GET",), counted=False)
def demo(request, channel):
    """A page embedding the widget, for staff to try the channel (and for the browser test)."""
    response = render(
        request,
        "crm/webchat/demo.html",
        {"channel": channel, "script_url": request.build_absolute_uri(settings.STATIC_URL + "js/webchat.js")},
    )
    response["X-Robots-Tag"] = "noindex"
    return response
