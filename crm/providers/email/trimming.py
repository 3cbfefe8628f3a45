"""Trimming an email's text for display (`visible_text`): the quoted history ("On ... wrote:", "> " lines,
Outlook's "From: ... Sent:" block, "-----Original Message-----") and the signature ("-- " delimiter, "Sent from
my iPhone") are cut; a message that is all quote keeps its whole text."""

from __future__ import annotations

import re

# ---- quoted history and signatures ------------------------------------------------------------------------------

QUOTE_HEADER = re.compile(
    r"^\s*(?:>\s*)*(?:"
    r"On\b.{0,400}?\bwrote:"  # Gmail, Apple Mail, Thunderbird: "On Mon, 1 Jan 2024 at 10:00, Ada <a@x> wrote:"
    r"|Le\b.{0,400}?\ba [ée]crit\s?:"
    r"|Am\b.{0,400}?\bschrieb\b.{0,200}?:"
    r"|El\b.{0,400}?\bescribi[óo]\s?:"
    r"|Il\b.{0,400}?\bha scritto\s?:"
    r")\s*$",
    re.IGNORECASE | re.DOTALL,
)
ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Forwarded message|Urspr[üu]ngliche Nachricht|Message d'origine)\s*-{2,}\s*$",
    re.IGNORECASE,
)
OUTLOOK_FROM = re.compile(r"^\s*\*?(?:From|Von|De)\s*:\*?\s+\S", re.IGNORECASE)
OUTLOOK_SENT = re.compile(r"^\s*\*?(?:Sent|Date|Gesendet|Envoy[ée])\s*:\*?\s+\S", re.IGNORECASE)
SIGNATURE_DELIMITER = re.compile(r"^--\s?$")
MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:Sent from my \w[\w ]{0,30}|Sent from (?:Mail|Outlook) for \w+|Get Outlook for \w+|"
    r"Sent from Yahoo Mail.{0,40}|Envoy[ée] de mon \w+|Von meinem \w+ gesendet)\.?\s*$",
    re.IGNORECASE,
)


def visible_text(text: str) -> str:
    """What a reader needs of an email's text: the new part, without the quoted history and the signature.
    The whole text when trimming would leave nothing (a message that is all quote)."""
    lines = text.split("\n")
    cut = _quote_start(lines)
    kept = lines[:cut]
    for index in range(len(kept) - 1, -1, -1):  # the last "-- " starts the signature (RFC 3676 4.3)
        if SIGNATURE_DELIMITER.match(kept[index]):
            kept = kept[:index]
            break
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">") or MOBILE_SIGNATURE.match(kept[-1])):
        kept.pop()  # the trailing quote, the blank lines before it, "Sent from my iPhone"
    result = "\n".join(kept).strip()
    return result or text.strip()


def _quote_start(lines: list[str]) -> int:
    """The index of the line that starts the quoted history (len(lines) when none does)."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if ORIGINAL_MESSAGE.match(stripped):
            return index
        if re.fullmatch(r"_{8,}", stripped) and _outlook_block(lines, index + 1):
            return index
        if OUTLOOK_FROM.match(line) and _outlook_block(lines, index):
            return index
        if stripped.lower().startswith(("on ", "le ", "am ", "el ", "il ", ">")):
            # A wrapped "On ... wrote:" may run over up to three lines.
            for span in (1, 2, 3):
                joined = " ".join(part.strip() for part in lines[index : index + span])
                if QUOTE_HEADER.match(joined):
                    return index
    return len(lines)


def _outlook_block(lines: list[str], start: int) -> bool:
    """Outlook's header block of the quoted mail: From: then, within a few lines, Sent: (or Date:)."""
    head = [line for line in lines[start : start + 6] if line.strip()]
    return bool(head) and OUTLOOK_FROM.match(head[0]) is not None and any(OUTLOOK_SENT.match(x) for x in head[1:5])
