"""Templates rendered by Jinja2's sandbox over plain data: the event's payload only, never model instances,
so a template edited by staff can reach nothing else (no attribute walks into Django, no method calls that
change state). A template that does not render is refused when saved, with its line and reason; it is
checked over samples standing for any value of each documented field (see samples.Sample). A saved template that
still fails on a real payload (`{{ reseller.name }}` with no reseller) is replaced at send time by the app's
default for the channel, with a warning (see templates.render).

The sandbox also caps what one render may cost, so a template typed into the live preview or saved by staff
cannot hang or exhaust a worker: at most MAX_STEPS loop iterations, calls, filters and range() items (nested
loops and recursive macros included), range() of at most MAX_RANGE items, no text or list past MAX_OUTPUT
characters (checked before it is built: `*`, `+`, `~`, `%`, str methods and filters that pad, repeat or join),
integers of at most MAX_INT_BITS, format widths of at most MAX_WIDTH, and MAX_RENDER_SECONDS per part. Going
past a cap raises RenderLimit: refused on save (validate), and at send time replaced by the app's default
template like any template that fails on its payload.
"""

from .email import email_parts
from .limits import (
    MAX_INT_BITS,
    MAX_OUTPUT,
    MAX_RANGE,
    MAX_RENDER_SECONDS,
    MAX_STEPS,
    MAX_WIDTH,
    RenderLimit,
)
from .samples import Sample, StrMethod, base_context_sample, sample_payload
from .sandbox import RENDER_ERRORS, Rendered, reason_for, render_errors, render_string
from .templates import TEST_KEY, pick_template, preview, render, template_cache, validate

__all__ = [
    "MAX_INT_BITS",
    "MAX_OUTPUT",
    "MAX_RANGE",
    "MAX_RENDER_SECONDS",
    "MAX_STEPS",
    "MAX_WIDTH",
    "RENDER_ERRORS",
    "TEST_KEY",
    "RenderLimit",
    "Rendered",
    "Sample",
    "StrMethod",
    "base_context_sample",
    "email_parts",
    "pick_template",
    "preview",
    "reason_for",
    "render",
    "render_errors",
    "render_string",
    "sample_payload",
    "template_cache",
    "validate",
]
