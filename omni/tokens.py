"""API tokens: creation, revocation and the cached lookup every API request makes."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import get_authorization_header

from .choices import TokenScope
from .models import ApiToken, User

TOKEN_PREFIX = "omni_"
BEARER = b"bearer"
# A raw value the database refused (unknown, revoked, its user inactive) is remembered this long, so a client
# repeating it costs no query. Short: api_tokens_forget also clears it when the user changes.
REFUSED_CACHE_SECONDS = 30
_REFUSED = "refused"  # the cached marker of a refused value (a ResolvedToken otherwise)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedToken:
    token_id: UUID
    user: User
    scopes: frozenset[str]
    expires_at: datetime | None

    @property
    def can_write(self) -> bool:
        return TokenScope.WRITE in self.scopes


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _cache_key(key_hash: str) -> str:
    return f"apitoken:{key_hash}"


def _cached(method: str, *args, default=None):
    """A cache call that survives Redis being down: the lookup then falls back to the database, as /health/
    reports the outage; the API keeps answering instead of failing every request."""
    try:
        return getattr(cache, method)(*args)
    except Exception:  # any cache backend error
        logger.warning("API token cache unavailable (%s)", method, exc_info=True)
        return default


def api_token_create(
    *, user: User, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the raw secret, which is never stored and cannot be shown again."""
    unknown = sorted(set(scopes) - set(TokenScope.values))
    if unknown or not scopes:
        raise ValidationError({"scopes": [_("Scopes are read and/or write; got %s.") % (", ".join(unknown) or "none")]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": [_("The expiry must be in the future.")]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        key_hash=hash_token(raw),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, raw


@transaction.atomic
def api_token_revoke(*, token_id: UUID) -> ApiToken:
    """Revoke now; the cached lookup is dropped so the next request is refused. Revoking twice is a no-op."""
    token = ApiToken.objects.select_for_update().get(pk=token_id)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
    transaction.on_commit(lambda: _cached("delete", _cache_key(token.key_hash)))
    return token


def api_tokens_forget(*, user_ids) -> None:
    """After commit, drop the cached lookups of these users' tokens: a change to a user (deactivated, no longer
    staff, another audience, other groups) applies from their next API request, not API_TOKEN_CACHE_SECONDS
    later. One query."""
    keys = [_cache_key(key_hash) for key_hash in ApiToken.objects.filter(user_id__in=user_ids).values_list(
        "key_hash", flat=True
    )]  # fmt: skip
    if keys:
        transaction.on_commit(lambda: _cached("delete_many", keys))


class MalformedAuthorization(ValueError):
    """An `Authorization: Bearer` header that is not exactly `Bearer <token>`."""


def bearer_token(request) -> str | None:
    """The raw token of an `Authorization: Bearer <token>` header, parsed as DRF parses it
    (`get_authorization_header(request).split()`, the keyword case-insensitive): None when the header is absent
    or names another scheme; MalformedAuthorization when it is not exactly two parts or not ASCII. The API's
    authentication and the rate limiter both read it here, so they never disagree about whose request it is."""
    parts = get_authorization_header(request).split()
    if not parts or parts[0].lower() != BEARER:
        return None
    if len(parts) != 2:
        raise MalformedAuthorization(_("Malformed Authorization header: use 'Bearer <token>'."))
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        raise MalformedAuthorization(_("Malformed Authorization header: the token is not ASCII.")) from None


def api_token_resolve(raw: str) -> ResolvedToken | None:
    """The usable token and its user for a raw bearer value, or None. Cached for API_TOKEN_CACHE_SECONDS
    (PERFORMANCE.md: one query less per request); revocation, and any change to the user, clears it at once.
    last_used_at is written when the token is read from the database, so at most once per cache period
    per token, never on every request. A refused value is remembered for REFUSED_CACHE_SECONDS: repeating it
    costs no query."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    key_hash = hash_token(raw)
    resolved = _cached("get", _cache_key(key_hash))
    if resolved == _REFUSED:
        return None
    now = timezone.now()
    if resolved is None:
        # The primary, never a replica: a token revoked (or a user deactivated) a moment ago must not pass there.
        token = (
            ApiToken.objects.using("default")
            .select_related("user")
            .filter(key_hash=key_hash, revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            _cached("set", _cache_key(key_hash), _REFUSED, REFUSED_CACHE_SECONDS)
            return None
        resolved = ResolvedToken(token.pk, token.user, frozenset(token.scopes), token.expires_at)
        if resolved.expires_at is None or resolved.expires_at > now:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        _cached("set", _cache_key(key_hash), resolved, settings.API_TOKEN_CACHE_SECONDS)
    if resolved.expires_at is not None and resolved.expires_at <= now:
        return None
    return resolved


def api_token_for_request(request, raw: str) -> ResolvedToken | None:
    """api_token_resolve, once per request: the rate limiter and DRF's authentication both ask."""
    memo = getattr(request, "_omni_api_token", None)
    if memo is None or memo[0] != raw:
        memo = (raw, api_token_resolve(raw))
        request._omni_api_token = memo
    return memo[1]
