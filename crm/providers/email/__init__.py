"""The email channel of the inbox (issue 11): reading RFC 822 messages and sending replies.

The package's modules: parsing.py reads one message (`parse`: sender, subject, thread ids, text, attachments),
with headers.py's Message-ID and header helpers; trimming.py cuts the quoted history and the signature for display
(`visible_text`); html_text.py turns an HTML-only body into text (`html_to_text`); automatic.py flags auto-replies
and bounces (RFC 3834, RFC 3464); sending.py holds the channel's `Provider` (threading headers, SMTP answers mapped
to transient and permanent errors). The names below are the provider's public interface (crm.providers.for_channel
reads `Provider`; crm.services.inbox_email calls `parse`).
"""

from .html_text import html_to_text
from .parsing import Attachment, ParsedEmail, Unparsable, parse
from .sending import Provider
from .trimming import visible_text

__all__ = ["Attachment", "ParsedEmail", "Provider", "Unparsable", "html_to_text", "parse", "visible_text"]
