"""Templates rendered by Jinja2's sandbox over plain data: the event's payload only, never model instances,
so a template edited by staff can reach nothing else (no attribute walks into Django, no method calls that
change state). A template that does not render is refused when saved, with its line and reason."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from . import registry

# Text channels and subjects are not HTML: no escaping. HTML bodies escape every value.
_text_env = ImmutableSandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
_html_env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)


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
    if not source:
        return ""
    return _compile(source, html).render(**payload)


def _reason(exc: Exception) -> str:
    if isinstance(exc, TemplateSyntaxError):
        return _("line %(line)d: %(reason)s") % {"line": exc.lineno, "reason": exc.message}
    if isinstance(exc, SecurityError):
        return _("not allowed: %(reason)s") % {"reason": exc}
    if isinstance(exc, UndefinedError):
        return _("unknown value: %(reason)s") % {"reason": exc.message}
    return str(exc)


def validate(*, event: str, subject: str, text: str, html: str) -> None:
    """Render each part against a sample payload built from the event's documented fields. ValidationError
    keyed by the failing part, naming the line and the reason."""
    try:
        event_type = registry.get(event)
    except LookupError as exc:
        raise ValidationError({"event": [str(exc)]}) from None
    sample = sample_payload(event_type)
    errors = {}
    for field, source, is_html in (("subject", subject, False), ("body_text", text, False), ("body_html", html, True)):
        try:
            render_string(source, sample, html=is_html)
        except (TemplateError, SecurityError, TypeError, ValueError) as exc:
            errors[field] = [_reason(exc)]
    if errors:
        raise ValidationError(errors)


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


def pick_template(*, event: str, channel: str, language: str):
    """The active DB template for the language, else the default language's, else the app's default.
    Returns (subject, text, html, language) or None when the event has nothing for this channel."""
    from .models import Template

    default_language = settings.LANGUAGE_CODE
    wanted = [language, default_language] if language and language != default_language else [default_language]
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
    return default.subject, default.text, default.html, default_language


def render(*, event: str, channel: str, language: str, payload: dict) -> Rendered | None:
    """Render the right template for one delivery; None when the event has no template for the channel."""
    picked = pick_template(event=event, channel=channel, language=language)
    if picked is None:
        return None
    subject, text, html, used = picked
    return Rendered(
        subject=" ".join(render_string(subject, payload).split()),  # a subject is one line
        text=render_string(text, payload),
        html=render_string(html, payload, html=True),
        language=used,
    )
