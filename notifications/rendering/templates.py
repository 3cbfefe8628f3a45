"""Picking the template for a delivery (the database's for the language, else the app's default), caching it
for a send batch, rendering it with a fallback, and the checks and preview staff see when editing one."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from jinja2.sandbox import SecurityError

from .. import registry
from ..choices import Channel
from .email import email_parts
from .limits import RenderLimit
from .samples import sample_payload
from .sandbox import RENDER_ERRORS, Rendered, reason_for, render_errors, render_string

logger = logging.getLogger("notifications.rendering")  # one name for the whole package (tests and log config)

# A test send (services.template_test_send) carries the edited template under this payload key and
# renders it against the event's sample payload, exactly as the admin's live preview shows it.
TEST_KEY = "_test_template"


def _languages(language: str) -> list[str]:
    """The languages to try, best first: fr-ca, then fr, then the instance's default (en-gb), then its base (en)."""
    default = settings.LANGUAGE_CODE
    wanted = []
    for lang in (language, language.split("-")[0] if language else "", default, default.split("-")[0]):
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


@dataclass(frozen=True)
class _Picked:
    subject: str
    text: str
    html: str
    language: str
    template_id: object = None  # the DB template's pk; None: the app's shipped default (or a test send's)


def pick_template(*, event: str, channel: str, language: str):
    """The active DB template for the language, else the default language's, else the app's default.
    Returns (subject, text, html, language) or None when the event has nothing for this channel."""
    picked = _picked(event=event, channel=channel, language=language)
    return None if picked is None else (picked.subject, picked.text, picked.html, picked.language)


def _picked(*, event: str, channel: str, language: str) -> _Picked | None:
    cache = _batch_templates.get()
    if cache is None:
        return _pick_template(event=event, channel=channel, language=language)
    key = (event, channel, language)
    if key not in cache:
        cache[key] = _pick_template(event=event, channel=channel, language=language)
    return cache[key]


def _pick_template(*, event: str, channel: str, language: str) -> _Picked | None:
    from ..models import Template

    wanted = _languages(language)
    found = {
        template.language: template
        for template in Template.objects.filter(event=event, channel=channel, language__in=wanted, is_active=True)
    }
    for lang in wanted:
        if lang in found:
            template = found[lang]
            return _Picked(template.subject, template.body_text, template.body_html, lang, template.pk)
    default = registry.get(event).default_template(channel)
    if default is None:
        return None
    return _Picked(default.subject, default.text, default.html, settings.LANGUAGE_CODE)


def render(*, event: str, channel: str, language: str, payload: dict) -> Rendered | None:
    """Render the right template for one delivery; None when the event has no template for the channel.

    A DB template that fails on this payload (validation renders over samples, so `{{ reseller.name }}` passes
    and fails when `reseller` is null) does not lose the message: the app's default for the channel is sent
    instead and a warning logged; so is one that goes past a render cap on this payload (RenderLimit: a long
    list looped over twice, say). Only when that fails too (or there is none) does the error propagate. A
    template the sandbox refused for reaching for internals (any other SecurityError) gets no fallback: it
    fails, with the reason, so staff see it.

    A payload carrying TEST_KEY renders that template over the event's sample payload (a test send)."""
    test = payload.get(TEST_KEY)
    if test:
        base = {key: value for key, value in payload.items() if key != TEST_KEY}
        payload = {**sample_payload(registry.get(event)), **base}
        picked = _Picked(test.get("subject", ""), test.get("text", ""), test.get("html", ""), language)
    else:
        picked = _picked(event=event, channel=channel, language=language)
    if picked is None:
        return None
    try:
        rendered = _render_picked(picked, payload)
    except RENDER_ERRORS as exc:
        default = registry.get(event).default_template(channel)
        refused = isinstance(exc, SecurityError) and not isinstance(exc, RenderLimit)
        if picked.template_id is None or refused or default is None:
            raise
        logger.warning(
            "notification template %s (%s, %s, %s) does not render for this payload, sending the app's default: %s",
            picked.template_id, event, channel, picked.language, reason_for(exc),
        )  # fmt: skip
        try:
            rendered = _render_picked(
                _Picked(default.subject, default.text, default.html, settings.LANGUAGE_CODE), payload
            )
        except RENDER_ERRORS as default_exc:
            exc.add_note(f"The app's default template failed too: {reason_for(default_exc)}")
            raise exc from None
    if channel == Channel.EMAIL:
        rendered = email_parts(rendered, unsubscribe_url=payload.get("unsubscribe_url") or "")
    return rendered


def _render_picked(picked: _Picked, payload: dict) -> Rendered:
    return Rendered(
        subject=" ".join(render_string(picked.subject, payload).split()),  # a subject is one line
        text=render_string(picked.text, payload),
        html=render_string(picked.html, payload, html=True),
        language=picked.language,
    )


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
