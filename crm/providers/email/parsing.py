"""Reading one inbound email (`parse`, pure, no database): sender, subject, Message-ID, In-Reply-To, References,
the text (text/plain, else the HTML turned into text), attachments, and what kind of mail it is. `body` is the text
for display: the quoted history and the signature are trimmed (trimming.py); `text` keeps the whole text.
Automatic mail (auto-replies, bounces) is flagged by automatic.py."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.utils import getaddresses, parseaddr

from django.utils.translation import gettext as _

from .automatic import _classify
from .headers import MSGID, _chain, _content, _first_id, _header
from .html_text import html_to_text
from .trimming import visible_text

# ---- reading ------------------------------------------------------------------------------------------------------


@dataclass
class Attachment:
    filename: str
    content: bytes
    content_type: str = ""


@dataclass
class ParsedEmail:
    """One inbound email, read. `message_id` is never empty (generated from the bytes when missing)."""

    from_address: str
    from_name: str
    subject: str
    message_id: str
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    sent_at: datetime | None = None
    text: str = ""  # the whole text (original)
    body: str = ""  # the text for display: quotes and signature trimmed
    html: bool = False  # the text was made from HTML (no text/plain part)
    attachments: list[Attachment] = field(default_factory=list)
    auto_reply: bool = False
    bounce: bool = False
    auto_submitted: bool = False
    auto_reason: str = ""
    bounced_ids: list[str] = field(default_factory=list)  # Message-IDs of our mail a bounce reports as failed
    bounce_failed: bool = False  # the report says delivery failed (not merely delayed)
    bounce_diagnostic: str = ""

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this mail answers, nearest first: In-Reply-To, then References from the end."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        return list(dict.fromkeys(ids + self.references[::-1]))

    def metadata(self) -> dict:
        data = {
            "from": self.from_address,
            "from_name": self.from_name,
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": self.references,
            "reply_to": self.reply_to,
            "to": self.to,
            "cc": self.cc,
        }
        if self.html:
            data["html"] = True
        if self.auto_submitted:
            data |= {"auto_submitted": True, "auto_reason": self.auto_reason}
        if self.auto_reply:
            data["auto_reply"] = True
        if self.bounce:
            data |= {"bounce": True, "bounced": self.bounced_ids}
            if self.bounce_diagnostic:
                data["bounce_diagnostic"] = self.bounce_diagnostic
        return {key: value for key, value in data.items() if value not in ("", [], None)}


class Unparsable(ValueError):
    """Not an email we can store (nothing in it, or no sender address)."""


def parse(raw: bytes, *, envelope_from: str | None = None) -> ParsedEmail:
    """Read one RFC 822 message. `envelope_from` is the SMTP MAIL FROM when known ("" is the null sender of
    bounces and auto-replies). Raises Unparsable without a sender address."""
    if not raw or not raw.strip():
        raise Unparsable(_("The message is empty."))
    message = message_from_bytes(raw, policy=policy.default)
    address, name = _sender(message)
    if not address:
        raise Unparsable(_("The message has no sender address (From)."))
    text, from_html = _text_of(message)
    message_id = _first_id(_header(message, "Message-ID"))
    if not message_id or len(message_id) > 900:  # thread keys and provider ids hold 998 characters
        # Same bytes, same id: an MTA retrying a message without a Message-ID still stores it once.
        message_id = f"<{hashlib.sha256(raw).hexdigest()[:40]}@generated.invalid>"
    parsed = ParsedEmail(
        from_address=address,
        from_name=name,
        subject=_clean_subject(_header(message, "Subject")),
        message_id=message_id,
        in_reply_to=_first_id(_header(message, "In-Reply-To")),
        references=_chain(MSGID.findall(_header(message, "References"))),
        reply_to=next(iter(_addresses(message, "Reply-To")), ""),
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        sent_at=_date(message),
        text=text,
        body=visible_text(text),
        html=from_html,
        attachments=_attachments(message),
    )
    _classify(parsed, message, envelope_from)
    return parsed


def _sender(message) -> tuple[str, str]:
    name, address = "", ""
    for header_name in ("From", "Sender"):
        try:  # the parsed header: RFC 2047 names decoded after the address is split off (a "," in a name is fine)
            found = [item for item in message[header_name].addresses if "@" in item.addr_spec]
        except Exception:  # noqa: BLE001 - absent (None) or unparsable: read it as text below
            found = []
        if found:
            name, address = found[0].display_name, found[0].addr_spec
            break
    if not address:
        name, address = parseaddr(_header(message, "From") or _header(message, "Sender"))
    address = address.strip().lower()
    if "@" not in address:
        return "", ""
    return address[:254], name.strip()[:200]


def _addresses(message, name: str) -> list[str]:
    try:
        addresses = [item.addr_spec for value in (message.get_all(name) or []) for item in value.addresses]
    except Exception:  # noqa: BLE001 - an unparsable address header: read it as text
        addresses = [address for _name, address in getaddresses([_header(message, name)])]
    return [address.lower() for address in addresses if "@" in address][:50]


def _clean_subject(subject: str) -> str:
    return " ".join(subject.split())[:300]


def _date(message) -> datetime | None:
    try:
        header = message.get("Date")
        moment = header.datetime if header is not None else None
    except Exception:  # noqa: BLE001 - a malformed Date: the time is unknown
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text_of(message) -> tuple[str, bool]:
    """The message's text: its text/plain body, else its HTML body as text. (text, made from HTML)."""
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        return _normalise(_content(plain)), False
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        return _normalise(html_to_text(_content(html))), True
    return "", False


def _normalise(text: str) -> str:
    # Lines keep their trailing spaces: "-- " is the signature delimiter (RFC 3676), and the original stays whole.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip("\n")


def _walk(part):
    """Every leaf part, not descending into attached messages (a bounce's returned mail is one attachment)."""
    if part.get_content_maintype() == "multipart":
        for sub in part.iter_parts():
            yield from _walk(sub)
    else:
        yield part


def _attachments(message) -> list[Attachment]:
    body_parts = {id(p) for p in (message.get_body(("plain",)), message.get_body(("html",))) if p is not None}
    found = []
    for part in _walk(message):
        if id(part) in body_parts:
            continue
        content_type = part.get_content_type()
        filename = part.get_filename() or ""
        if content_type == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else None
            content = inner.as_bytes(policy=policy.SMTP) if inner is not None else b""
            filename = filename or "attached-message.eml"
        elif content_type in ("message/delivery-status", "text/rfc822-headers"):
            continue  # read by _classify; not something staff open
        elif filename or part.get_content_disposition() == "attachment":
            content = part.get_payload(decode=True) or b""
            filename = filename or "attachment"
        elif part.get_content_maintype() not in ("text", "multipart"):
            content = part.get_payload(decode=True) or b""
            filename = "attachment." + part.get_content_subtype()
        else:
            continue
        filename = re.sub(r"[\\/\x00-\x1f]+", "_", filename).strip(" .") or "attachment"
        found.append(Attachment(filename=filename[:255], content=content, content_type=content_type))
    return found
