"""Jinja filters that could build a huge result from small arguments, measured before they run."""

from __future__ import annotations

import numbers

from jinja2 import filters as jinja_filters
from jinja2 import pass_environment, pass_eval_context

from .limits import MAX_RANGE, RenderLimit, as_int, percent_check, size_check, str_call_check


def _center(value, width=80):
    size_check(max(len(str(value)), as_int(width)), "center() result")
    return jinja_filters.do_center(value, width)


def _indent(s, width=4, first=False, blank=False):
    step = len(width) if isinstance(width, str) else as_int(width)
    size_check(len(str(s)) + (str(s).count("\n") + 1) * step, "indent() result")
    return jinja_filters.do_indent(s, width, first, blank)


def _batch(value, linecount, fill_with=None):
    if as_int(linecount) > MAX_RANGE:
        raise RenderLimit(f"batches of more than {MAX_RANGE} items")
    return jinja_filters.do_batch(value, linecount, fill_with)


def _slice(value, slices, fill_with=None):
    if as_int(slices) > MAX_RANGE:
        raise RenderLimit(f"more than {MAX_RANGE} slices")
    return jinja_filters.sync_do_slice(value, slices, fill_with)


@pass_eval_context
def _replace(eval_ctx, s, old, new, count=None):
    str_call_check(str(s).replace, (str(old), str(new), -1 if count is None else count), {})
    return jinja_filters.do_replace(eval_ctx, s, old, new, count)


@pass_eval_context
def _join(eval_ctx, value, d="", attribute=None):
    items = list(value)
    size_check(sum(len(str(item)) for item in items) + len(str(d)) * max(len(items) - 1, 0), "join() result")
    return jinja_filters.sync_do_join(eval_ctx, items, d, attribute)


def _format(value, *args, **kwargs):
    percent_check(str(value))
    return jinja_filters.do_format(value, *args, **kwargs)


@pass_environment
def _wordwrap(environment, s, width=79, break_long_words=True, wrapstring=None, break_on_hyphens=True):
    text, joint = str(s), wrapstring if wrapstring is not None else environment.newline_sequence
    lines = len(text) // max(as_int(width), 1) + text.count("\n") + 1
    size_check(len(text) + lines * len(str(joint)), "wordwrap() result")
    return jinja_filters.do_wordwrap(environment, s, width, break_long_words, wrapstring, break_on_hyphens)


@pass_environment
def _sum(environment, iterable, attribute=None, start=0):
    if not isinstance(start, numbers.Number):  # summing lists or texts copies them over and over
        raise RenderLimit("sum() of anything but numbers")
    return jinja_filters.sync_do_sum(environment, iterable, attribute, start)


CAPPED_FILTERS = {
    "center": _center,
    "indent": _indent,
    "batch": _batch,
    "slice": _slice,
    "replace": _replace,
    "join": _join,
    "format": _format,
    "wordwrap": _wordwrap,
    "sum": _sum,
}
