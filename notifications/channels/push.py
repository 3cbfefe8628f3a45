"""Web Push with VAPID (pywebpush): one encrypted message (aes128gcm) to each of the user's browser subscriptions.

The payload is JSON {title, body, url}; static/js/sw.js shows it and opens `url` on click. Push services answer:
201 sent; 404/410 the subscription is gone (deleted here); 429/5xx, a timeout or a refused connection are
transient (the delivery is retried with backoff); other 4xx refuse that subscription.

Push endpoints are URLs a browser handed us, so they go out like outbound webhooks (notifications.net): https
only, never to a private or loopback address (the literal is checked when subscribing; the resolved address
when connecting, on the very address checked, so DNS rebinding gains nothing), no redirects. Private addresses
are allowed only with WEBHOOK_ALLOW_PRIVATE_URLS (tests, closed networks). Each request ends within TIMEOUT
seconds of wall-clock time, however slowly the push service answers, and at most RESPONSE_BYTES of its answer
are read, uncompressed. A user has at most MAX_SUBSCRIPTIONS subscriptions (services.push_subscription_save), and
a delivery goes to that many at most, so it takes at most that many TIMEOUTs.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import time
from functools import lru_cache
from urllib.parse import urlsplit

import httpx
import orjson
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from py_vapid import Vapid, VapidException
from pywebpush import WebPusher, WebPushException

from .. import net
from ..models import PushSubscription
from .base import NoAddress, PermanentError, SendResult, TransientError

TIMEOUT = 10.0  # seconds of wall-clock time per push service request, all of it (net.deadline)
RESPONSE_BYTES = 1000  # of a push service's answer, read at most (it is an error text at best)
MAX_SUBSCRIPTIONS = 10  # per user (services.push_subscription_save): one delivery takes at most this many TIMEOUTs
TTL = 24 * 3600  # the push service keeps a message this long for a browser that is offline
MAX_BODY = 1000  # push services take about 4 KB of payload; the notification shows a few lines anyway
VAPID_LIFETIME = 12 * 3600  # the signed token's exp; RFC 8292 allows at most 24 h


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def subscription_errors(*, endpoint: str, p256dh: str, auth: str) -> dict[str, list[str]]:
    """What is wrong with a subscription a browser sent (field -> reasons); empty when it can be used."""
    errors = {}
    problem = endpoint_problem(endpoint)
    if problem:
        errors["endpoint"] = [problem]
    try:
        key = _b64url(p256dh)
        if len(key) != 65 or key[0] != 4:
            raise ValueError
    except (ValueError, binascii.Error):
        errors["p256dh"] = [_("Not an uncompressed P-256 public key in base64url (65 bytes starting with 0x04).")]
    try:
        if len(_b64url(auth)) != 16:
            raise ValueError
    except (ValueError, binascii.Error):
        errors["auth"] = [_("Not a 16-byte authentication secret in base64url.")]
    return errors


def endpoint_problem(endpoint: str) -> str:
    """Why a push service URL cannot be stored ("" when it can): https only, and an IP literal must be public.
    Host names are resolved when sending, by notifications.net, which refuses a private answer."""
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_URLS
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return _("Not a valid URL.")
    if parts.scheme not in (("https", "http") if allow_private else ("https",)) or not host:
        return _("A push endpoint must be an https:// URL.")
    if not allow_private and _is_ip(host) and not net.ip_is_public(host):
        return _("A push endpoint may not point at a private or loopback address.")
    return ""


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=4)
def _vapid(private_key: str) -> Vapid:
    return Vapid.from_string(private_key=private_key)


def vapid() -> Vapid:
    """The VAPID signer from settings; PermanentError when push is not configured."""
    if not (settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY):
        raise PermanentError("web push is not configured: set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY")
    try:
        signer = _vapid(settings.VAPID_PRIVATE_KEY)
        signer.sign({"sub": settings.VAPID_SUBJECT, "aud": "https://push.example"})  # a bad VAPID_SUBJECT fails here
    except (ValueError, TypeError) as exc:  # not base64url, not a P-256 scalar, not DER
        raise PermanentError(f"VAPID_PRIVATE_KEY is not a usable key: {exc}") from exc
    except VapidException as exc:
        raise PermanentError(f"VAPID_SUBJECT must be a mailto: or https: URL: {exc}") from exc
    return signer


def payload_for(delivery, rendered) -> bytes:
    text = rendered.text.strip()
    lines = text.splitlines()
    title = rendered.subject or (lines[0] if lines else "") or delivery.event
    body = "\n".join(lines[1:]).strip() if not rendered.subject and lines else text
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - 1] + "…"
    return orjson.dumps({"title": title[:200], "body": body, "url": delivery.payload.get("url", "") or ""})


def _push(subscription: PushSubscription, data: bytes, signer: Vapid) -> tuple[str, str]:
    """Send to one subscription: (outcome, detail) with outcome sent, gone, transient or refused."""
    problem = endpoint_problem(subscription.endpoint)
    if problem:
        return "refused", problem
    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    parts = urlsplit(subscription.endpoint)
    claims = {
        "sub": settings.VAPID_SUBJECT,
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int(time.time()) + VAPID_LIFETIME,
    }
    try:
        body = WebPusher(info).encode(data, content_encoding="aes128gcm")["body"]
        headers = {
            **signer.sign(claims),  # Authorization: vapid t=<ES256 JWT>, k=<public key>
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(TTL),
            "Urgency": "normal",
            "Accept-Encoding": "identity",  # the answer is read raw and capped: nothing may expand it
        }
    except (ValueError, TypeError, WebPushException) as exc:  # keys that cannot encrypt (refused on subscribe)
        return "refused", f"{type(exc).__name__}: {exc}"[:300]
    client = net.client(allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS, timeout=TIMEOUT)
    try:
        with (
            net.deadline(TIMEOUT),
            client.stream("POST", subscription.endpoint, content=body, headers=headers) as response,
        ):
            raw = net.read_capped(response, RESPONSE_BYTES)
    except net.UnsafeAddress as exc:
        return "refused", str(exc)[:300]
    except httpx.HTTPError as exc:  # timeouts, refused connections: the push service may be back soon
        return "transient", f"{type(exc).__name__}: {exc}"[:300]
    code, text = response.status_code, " ".join(raw.decode("utf-8", errors="replace")[:300].split())
    if response.is_success:
        return "sent", response.headers.get("Location", "")
    if code in (404, 410):
        return "gone", f"{code} {text}".strip()
    if code == 429 or code >= 500:
        return "transient", f"{code} {text}".strip()
    return "refused", f"{code} {text}".strip()


def send(delivery, rendered) -> SendResult:
    """The push channel sender: every subscription of the user (delivery.address is the user id; the
    MAX_SUBSCRIPTIONS most recently subscribed, should older rows exceed the cap). Sent when at
    least one browser took it (the others are not retried, so nobody gets it twice); otherwise transient if any
    push service may take it later, else permanent."""
    signer = vapid()
    newest = PushSubscription.objects.filter(user_id=delivery.address).order_by("-updated_at", "-pk")
    subscriptions = sorted(newest[:MAX_SUBSCRIPTIONS], key=lambda subscription: subscription.created_at)
    if not subscriptions:
        raise NoAddress("no push subscription")
    data = payload_for(delivery, rendered)
    outcomes = [(subscription, *_push(subscription, data, signer)) for subscription in subscriptions]
    report = "\n".join(
        f"{urlsplit(s.endpoint).hostname} {s.pk}: {outcome} {detail}".strip() for s, outcome, detail in outcomes
    )
    gone = [s.pk for s, outcome, _detail in outcomes if outcome == "gone"]
    sent = [s for s, outcome, _detail in outcomes if outcome == "sent"]
    if gone:
        PushSubscription.objects.filter(pk__in=gone).delete()
    if sent:
        PushSubscription.objects.filter(pk__in=[s.pk for s in sent]).update(last_used_at=timezone.now())
        location = next(detail for _s, outcome, detail in outcomes if outcome == "sent")
        return SendResult(provider_message_id=location[:200], provider_response=report)
    if any(outcome == "transient" for _s, outcome, _detail in outcomes):
        raise TransientError("no push service took the message yet", response=report)
    if len(gone) == len(outcomes):
        raise PermanentError("every push subscription of the user has expired", response=report)
    raise PermanentError("every push service refused the message", response=report)
