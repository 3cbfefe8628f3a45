"""Templates rendered by Jinja2's sandbox over plain data: the event's payload only, never model instances,
so a template edited by staff can reach nothing else (no attribute walks into Django, no method calls that
change state). A template that does not render is refused when saved, with its line and reason.

The sandbox also caps what one render may cost: the output stops at MAX_OUTPUT characters, and `*`, `**`
and `%` refuse results past that size, so a template typed into the live preview cannot exhaust a worker.
"""

from __future__ import annotations

import dataclasses
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.html import escape, linebreaks, urlize
from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from . import registry
from .choices import Channel

MAX_OUTPUT = 200_000  # characters one part may render to
# A test send (see services.notify(test_template=...)) carries the edited template under this payload key and
# renders it against the event's sample payload, exactly as the admin's live preview shows it.
TEST_KEY = "_test_template"


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise SecurityError("exponent too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > MAX_OUTPUT:
                    raise SecurityError(f"result longer than {MAX_OUTPUT} characters")
        result = super().call_binop(context, operator, left, right)
        if operator == "%" and isinstance(result, str) and len(result) > MAX_OUTPUT:
            raise SecurityError(f"result longer than {MAX_OUTPUT} characters")
        return result


def _environment(*, html: bool) -> _Environment:
    env = _Environment(autoescape=html, undefined=StrictUndefined, keep_trailing_newline=True)
    env.globals.pop("lipsum", None)  # filler text of any length: nothing a message needs
    return env


# Text channels and subjects are not HTML: no escaping. HTML bodies escape every value.
_text_env = _environment(html=False)
_html_env = _environment(html=True)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    language: str


@lru_cache(maxsize=512)
def _compile(source: str, html: bool):
    return (_html_env if html else _text_env).from_string(source)


def render_string(source: str, payload: dict, *, html: bool = False) -> str:
    """Render one part. TemplateSyntaxError, UndefinedError, SecurityError... propagate to the caller."""
    if not source:
        return ""
    chunks, size = [], 0
    for chunk in _compile(source, html).generate(**payload):
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise SecurityError(f"output longer than {MAX_OUTPUT} characters")
        chunks.append(chunk)
    return "".join(chunks)


def _line_of(exc: Exception) -> int | None:
    """The template line a render-time error happened on (Jinja rewrites tracebacks to template lines)."""
    if isinstance(exc, TemplateSyntaxError):
        return exc.lineno
    line = None
    traceback = exc.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _reason(exc: Exception) -> str:
    if isinstance(exc, TemplateSyntaxError):
        reason = exc.message or str(exc)
    elif isinstance(exc, SecurityError):
        reason = _("not allowed: %(reason)s") % {"reason": exc}
    elif isinstance(exc, UndefinedError):
        reason = _("unknown value: %(reason)s") % {"reason": exc.message}
    else:
        reason = f"{type(exc).__name__}: {exc}"
    line = _line_of(exc)
    if line is None:
        return reason
    return _("line %(line)d: %(reason)s") % {"line": line, "reason": reason}


RENDER_ERRORS = (TemplateError, SecurityError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError)


def validate(*, event: str, subject: str, text: str, html: str) -> None:
    """Render each part against a sample payload built from the event's documented fields. ValidationError
    keyed by the failing part (subject, body_text, body_html), naming the line and the reason."""
    try:
        event_type = registry.get(event)
    except LookupError as exc:
        raise ValidationError({"event": [str(exc)]}) from None
    errors = render_errors(sample_payload(event_type), subject=subject, text=text, html=html)
    if errors:
        raise ValidationError(errors)


def render_errors(payload: dict, *, subject: str, text: str, html: str) -> dict[str, list[str]]:
    errors = {}
    for field, source, is_html in (("subject", subject, False), ("body_text", text, False), ("body_html", html, True)):
        try:
            render_string(source, payload, html=is_html)
        except RENDER_ERRORS as exc:
            errors[field] = [_reason(exc)]
    return errors


class _Sample(str):
    """A sample value that also works as a mapping or list, so templates may walk `account.reseller.name`."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return _Sample(f"{self}.{name}")

    def __getitem__(self, key):
        if isinstance(key, int | slice):
            return str.__getitem__(self, key)
        return _Sample(f"{self}.{key}")

    def __iter__(self):
        return iter([_Sample(f"{self}[0]")])


def sample_payload(event_type: registry.EventType) -> dict:
    """Placeholders for every documented payload field (`{{ name }}` renders as `name`), plus the context every
    notification gets (see services.base_context)."""
    payload = {name: _Sample(name) for name in event_type.payload}
    payload.update(base_context_sample())
    return payload


def base_context_sample() -> dict:
    return {
        "recipient": {"name": _Sample("recipient.name"), "email": _Sample("recipient.email")},
        "event": _Sample("event"),
        "url": _Sample("url"),
        "unsubscribe_url": _Sample("unsubscribe_url"),
        "site_name": "DotMac Omni",
    }


def _languages(language: str) -> list[str]:
    """The languages to try, best first: fr-ca, then fr, then the instance's default."""
    default = settings.LANGUAGE_CODE
    wanted = []
    for lang in (language, language.split("-")[0] if language else "", default):
        if lang and lang not in wanted:
            wanted.append(lang)
    return wanted


_batch_templates: ContextVar[dict | None] = ContextVar("notifications_batch_templates", default=None)


@contextmanager
def template_cache():
    """Within a send batch, each (event, channel, language) template is read from the database once
    (a 10,000-person fan-out otherwise queries the same row 10,000 times; bench/notify_fanout.py)."""
    token = _batch_templates.set({})
    try:
        yield
    finally:
        _batch_templates.reset(token)


def pick_template(*, event: str, channel: str, language: str):
    """The active DB template for the language, else the default language's, else the app's default.
    Returns (subject, text, html, language) or None when the event has nothing for this channel."""
    cache = _batch_templates.get()
    if cache is None:
        return _pick_template(event=event, channel=channel, language=language)
    key = (event, channel, language)
    if key not in cache:
        cache[key] = _pick_template(event=event, channel=channel, language=language)
    return cache[key]


def _pick_template(*, event: str, channel: str, language: str):
    from .models import Template

    wanted = _languages(language)
    found = {
        template.language: template
        for template in Template.objects.filter(event=event, channel=channel, language__in=wanted, is_active=True)
    }
    for lang in wanted:
        if lang in found:
            template = found[lang]
            return template.subject, template.body_text, template.body_html, lang
    default = registry.get(event).default_template(channel)
    if default is None:
        return None
    return default.subject, default.text, default.html, settings.LANGUAGE_CODE


def render(*, event: str, channel: str, language: str, payload: dict) -> Rendered | None:
    """Render the right template for one delivery; None when the event has no template for the channel.

    A payload carrying TEST_KEY renders that template over the event's sample payload (a test send)."""
    test = payload.get(TEST_KEY)
    if test:
        base = {key: value for key, value in payload.items() if key != TEST_KEY}
        payload = {**sample_payload(registry.get(event)), **base}
        picked = test.get("subject", ""), test.get("text", ""), test.get("html", ""), language
    else:
        picked = pick_template(event=event, channel=channel, language=language)
    if picked is None:
        return None
    subject, text, html, used = picked
    rendered = Rendered(
        subject=" ".join(render_string(subject, payload).split()),  # a subject is one line
        text=render_string(text, payload),
        html=render_string(html, payload, html=True),
        language=used,
    )
    if channel == Channel.EMAIL:
        rendered = email_parts(rendered, unsubscribe_url=payload.get("unsubscribe_url") or "")
    return rendered


# ---- email -----------------------------------------------------------------------------------------------

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


def preview(*, event: str, channel: str, subject: str, text: str, html: str, language: str = "") -> dict:
    """What the admin's live preview shows: the parts rendered over the event's sample payload, as the
    recipient would get them, or the errors (line and reason) per part."""
    event_type = registry.get(event)
    payload = sample_payload(event_type)
    if channel != Channel.EMAIL:
        payload["unsubscribe_url"] = ""
    errors = render_errors(payload, subject=subject, text=text, html=html)
    if errors:
        return {"errors": errors, "rendered": None}
    rendered = Rendered(
        subject=" ".join(render_string(subject, payload).split()),
        text=render_string(text, payload),
        html=render_string(html, payload, html=True),
        language=language or settings.LANGUAGE_CODE,
    )
    if channel == Channel.EMAIL:
        rendered = email_parts(rendered, unsubscribe_url=str(payload["unsubscribe_url"]))
    return {"errors": {}, "rendered": rendered}
