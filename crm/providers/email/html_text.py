"""HTML to plain text for HTML-only email (`html_to_text`): blocks on their own lines, list items with "- ",
blockquotes as "> " quotes (so the quote trimming works on HTML-only mail), scripts and styles dropped, entities
decoded."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

# ---- HTML to text ---------------------------------------------------------------------------------------------------

BLOCKS = {
    "p", "div", "section", "article", "header", "footer", "table", "tr", "ul", "ol", "h1", "h2", "h3", "h4", "h5",
    "h6", "pre", "hr", "address", "blockquote", "li", "dl", "dt", "dd",
}  # fmt: skip
SKIPPED = {"script", "style", "head", "title", "template", "noscript"}
PARAGRAPHS = {"p", "blockquote", "table", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}


class _TextMaker(HTMLParser):
    """HTML to plain text: blocks on their own lines, list items with "- ", blockquotes as "> " quotes (so the
    quote trimming works on HTML-only mail), scripts and styles dropped, entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip = 0
        self.quote = 0
        self.pre = 0

    def _flush(self) -> None:
        text = "".join(self.current)
        self.current = []
        prefix = "> " * self.quote
        if self.pre:
            self.lines += [(prefix + line).rstrip() for line in text.split("\n")]
        elif text.strip():
            self.lines.append(prefix + " ".join(text.split()))

    def _gap(self) -> None:
        """A blank line between paragraphs (">" inside a quote), never two."""
        self._flush()
        if self.lines and self.lines[-1].strip("> "):
            self.lines.append((">" * self.quote).rstrip() if self.quote else "")

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.skip += 1
        elif tag == "br":
            self._flush()
        elif tag in BLOCKS:
            if tag in PARAGRAPHS:
                self._gap()
            self._flush()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "li":
                self.current.append("- ")
            elif tag == "hr":
                self.lines.append("-" * 20)
        elif tag in ("td", "th") and self.current:
            self.current.append(" ")

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCKS:
            self._flush()
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
            if tag in PARAGRAPHS:
                self._gap()

    def handle_data(self, data):
        if not self.skip:
            self.current.append(data)

    def text(self) -> str:
        self._flush()
        return "\n".join(self.lines).strip()


def html_to_text(html: str) -> str:
    maker = _TextMaker()
    try:
        maker.feed(html)
        maker.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; what still breaks it becomes tag-less text
        return unescape(re.sub(r"<[^>]+>", " ", html)).strip()
    return maker.text()
