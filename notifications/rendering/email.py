"""An email's parts: text and HTML both, each with the unsubscribe link, the HTML a whole document."""

from __future__ import annotations

import dataclasses
import re

from django.utils import translation
from django.utils.html import escape, linebreaks, urlize
from django.utils.translation import gettext as _

from .sandbox import Rendered

_HTML_DOCUMENT = re.compile(r"<html[\s>]", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def email_parts(rendered: Rendered, *, unsubscribe_url: str = "") -> Rendered:
    """Every email has a text and an HTML part: an HTML part is made from the text when the template has
    none (escaped, links made clickable), and a text part from the HTML when only that exists. Both end with
    the unsubscribe link unless the template already shows it."""
    text, html = rendered.text, rendered.html
    with translation.override(rendered.language):
        if not text.strip() and html.strip():
            from django.utils.html import strip_tags

            text = strip_tags(html).strip() + "\n"
        if not html.strip():
            html = linebreaks(urlize(text.strip(), nofollow=True, autoescape=True))
        if unsubscribe_url:
            label = _("Unsubscribe from these emails")
            if unsubscribe_url not in text:
                text = f"{text.rstrip()}\n\n-- \n{label}: {unsubscribe_url}\n"
            if escape(unsubscribe_url) not in html and unsubscribe_url not in html:
                footer = (
                    '<p style="margin-top:24px;font-size:12px;color:#475569">'
                    f'<a href="{escape(unsubscribe_url)}" style="color:#334155">{escape(label)}</a></p>'
                )
                html = (
                    _BODY_END.sub(lambda m: footer + m.group(0), html, count=1)
                    if _BODY_END.search(html)
                    else (html + footer)
                )
        if not _HTML_DOCUMENT.search(html):
            html = (
                f'<!DOCTYPE html>\n<html lang="{escape(rendered.language)}"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{escape(rendered.subject)}</title></head>\n"
                f'<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;line-height:1.5;'
                f'color:#0f172a">\n{html}\n</body></html>\n'
            )
    return dataclasses.replace(rendered, text=text, html=html)
