"""Secrets at rest (channel credentials): Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with a key
derived from SECRETS_ENCRYPTION_KEY, or from SECRET_KEY when that is unset. SECRET_KEY_FALLBACKS (and
SECRETS_ENCRYPTION_KEY_FALLBACKS) still decrypt, so keys rotate without a migration: `encrypt` always uses the
current key, and re-saving a row re-encrypts it."""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "encrypt"]


def _fernet(secret: str) -> Fernet:
    digest = hashlib.sha256(b"omni.crypto:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


@cache
def _keys(primary: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet(primary), *(_fernet(secret) for secret in fallbacks)])


def _multi() -> MultiFernet:
    primary = getattr(settings, "SECRETS_ENCRYPTION_KEY", "") or settings.SECRET_KEY
    fallbacks = (
        *getattr(settings, "SECRETS_ENCRYPTION_KEY_FALLBACKS", ()),
        *getattr(settings, "SECRET_KEY_FALLBACKS", ()),
    )
    return _keys(primary, tuple(fallbacks))


def encrypt(plain: str) -> str:
    """The token for `plain` (text, safe to store)."""
    return _multi().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The text `encrypt` was given; InvalidToken when no current or fallback key opens it."""
    return _multi().decrypt(token.encode()).decode()
