"""Signing outbound webhooks (Standard Webhooks, https://www.standardwebhooks.com/):
`webhook-signature: v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`, keyed with the base64-decoded
`whsec_` secret. After a rotation, the previous secret signs too (two space-separated signatures) until
`previous_secret_expires_at` (WEBHOOK_SECRET_OVERLAP_HOURS). `webhook-timestamp` is the wall clock at sending
time: receivers compare it with theirs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

import orjson

from ..models import WebhookEndpoint, WebhookMessage

SECRET_PREFIX = "whsec_"

SECRET_BYTES = 32  # Standard Webhooks: 24 to 64 random bytes


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` of `{message_id}.{timestamp}.{body}` keyed with the decoded secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The current secret, plus the previous one while the rotation overlap lasts."""
    keys = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > now:
        keys.append(endpoint.previous_secret)
    return keys


def body_bytes(payload: dict) -> bytes:
    # jsonb keeps keys in its own order; the body reads type, timestamp, data as the specification shows it.
    return orjson.dumps({"type": payload["type"], "timestamp": payload["timestamp"], "data": payload["data"]})


def headers_for(message: WebhookMessage, *, body: bytes, timestamp: int, now: datetime) -> dict[str, str]:
    signatures = [
        signature(key, message_id=message.message_id, timestamp=timestamp, body=body)
        for key in signing_secrets(message.endpoint, now=now)
    ]
    return {
        "webhook-id": message.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "accept-encoding": "identity",  # the excerpt is read raw: a compressed answer could expand without bound
    }
