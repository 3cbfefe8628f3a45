"""Header helpers shared by reading, bounce detection and sending email: the Message-ID pattern, a trimmed
References chain, a header read defensively (malformed headers read raw), the first Message-ID of a header, and a
part's text whatever its charset claims."""

from __future__ import annotations

import re

MSGID = re.compile(r"<[^<>\s]+>")
REFERENCES_KEPT = 20  # RFC 5322 3.6.4 allows trimming long chains; the root and the latest matter for threading


def _chain(ids: list[str]) -> list[str]:
    """A References chain, trimmed as RFC 5322 3.6.4 allows: the root and the latest ids."""
    ids = [item for item in dict.fromkeys(ids) if len(item) <= 900]
    return ids if len(ids) <= REFERENCES_KEPT else [ids[0], *ids[-(REFERENCES_KEPT - 1) :]]


def _header(message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - malformed headers raise assorted errors in the email package: read it raw
        value = next((v for k, v in message.raw_items() if k.lower() == name.lower()), "")
    return str(value or "").strip()


def _first_id(value: str) -> str:
    found = MSGID.search(value)
    if found:
        return found.group(0)
    value = value.strip()
    return f"<{value}>" if value and " " not in value else ""


def _content(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, KeyError, AssertionError):  # an unknown or lying charset
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    return content
