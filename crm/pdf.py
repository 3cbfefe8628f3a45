"""Quote PDFs: templates/crm/quote_pdf.html rendered by WeasyPrint, with the organisation's name, address and logo
from settings (OMNI_ORGANISATION_*). The logo is read from its file and embedded, so rendering fetches nothing."""

from __future__ import annotations

import base64
import logging
import mimetypes
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from .models import Quote

logger = logging.getLogger(__name__)


def organisation_logo() -> str:
    """The logo as a data: URI, or "" when none is set or the file cannot be read (logged; the PDF goes without)."""
    path = settings.OMNI_ORGANISATION_LOGO
    if not path:
        return ""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        logger.warning("OMNI_ORGANISATION_LOGO %s cannot be read: %s", path, exc)
        return ""
    mimetype = mimetypes.guess_type(path)[0] or "image/png"
    return f"data:{mimetype};base64,{base64.b64encode(data).decode('ascii')}"


def quote_pdf_context(quote: Quote) -> dict:
    lines = list(quote.lines.order_by("position", "created_at"))
    return {
        "quote": quote,
        "one_off_lines": [line for line in lines if not line.recurring],
        "monthly_lines": [line for line in lines if line.recurring],
        "organisation": {
            "name": settings.OMNI_ORGANISATION_NAME,
            "address": settings.OMNI_ORGANISATION_ADDRESS,
            "logo": organisation_logo(),
        },
    }


def quote_pdf(quote: Quote) -> bytes:
    """The quote as PDF bytes (about 0.3 s)."""
    from weasyprint import HTML  # loads Pango: only where a PDF is made
    from weasyprint.urls import URLFetcher

    html = render_to_string("crm/quote_pdf.html", quote_pdf_context(quote))
    # The template embeds its images (data: URIs): no URL in it, or in a note, ever reaches a network or a file.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf()
