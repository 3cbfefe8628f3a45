"""What one render may cost: the caps, the step and clock budget of one part, and the checks that refuse a
result too large before it is built. Going past a cap raises RenderLimit."""

from __future__ import annotations

import operator
import re
import string
import time
from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from jinja2.sandbox import SecurityError

MAX_OUTPUT = 200_000  # characters one part may render to; also the longest text or list a template may build
MAX_STEPS = 10_000  # loop iterations, calls, filters and range() items in one render of one part
MAX_RANGE = 1_000  # items in one range()
MAX_INT_BITS = 4_096  # an integer a template computes (about 1,230 digits): `**` and `*` refuse larger ones
MAX_WIDTH = 1_000  # a field width or precision in a format string ("%9999d", "{:>9999}")
# Wall-clock seconds one part may render for, checked at every step: each step is bounded by the sizes above, but
# 10,000 of them over 200,000-character texts (`{{ text|urlize }}` in a nested loop) would still take minutes.
MAX_RENDER_SECONDS = 1.0


class RenderLimit(SecurityError):
    """A render went past one of the caps above. Unlike the sandbox's other refusals it says nothing bad about
    the template on any payload but this one, so at send time the app's default is sent instead (templates.render)."""


@dataclass
class _Budget:
    ends: float  # time.monotonic() value
    steps: int = 0


_budget: ContextVar[_Budget | None] = ContextVar("notifications_template_budget", default=None)


@contextmanager
def budget():
    """Each part renders with its own budget of MAX_STEPS steps and MAX_RENDER_SECONDS."""
    token = _budget.set(_Budget(ends=time.monotonic() + MAX_RENDER_SECONDS))
    try:
        yield
    finally:
        _budget.reset(token)


def spend(count: int) -> None:
    current = _budget.get()
    if current is None:
        return
    current.steps += count
    if current.steps > MAX_STEPS:
        raise RenderLimit(f"more than {MAX_STEPS} loop iterations, calls and filters")
    if time.monotonic() > current.ends:
        raise RenderLimit(f"rendering took longer than {MAX_RENDER_SECONDS:g} s")


def size_check(size: int, what: str) -> None:
    if size > MAX_OUTPUT:
        raise RenderLimit(f"{what} longer than {MAX_OUTPUT} characters")


def as_int(value) -> int:
    try:
        return operator.index(value)
    except TypeError:
        return 0  # not a number: the real call raises its own error


def capped_range(*args):
    items = range(*args)
    if len(items) > MAX_RANGE:
        raise RenderLimit(f"range() of more than {MAX_RANGE} items")
    spend(len(items))
    return items


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?[a-zA-Z%]")


def percent_check(fmt: str) -> None:
    """`"%9999999d" % 1` builds its result whatever the output cap: refuse wide fields before formatting."""
    for match in _PERCENT_SPEC.finditer(fmt):
        for number in match.groups():
            if number == "*":
                raise RenderLimit("a '*' width or precision in a format string")
            if number and int(number) > MAX_WIDTH:
                raise RenderLimit(f"a format width or precision over {MAX_WIDTH}")


def _format_check(fmt: str) -> None:
    """The same for str.format: every field's spec, read before formatting (no nested fields in specs)."""
    for _literal, _field, spec, _conversion in string.Formatter().parse(fmt):
        if not spec:
            continue
        if "{" in spec:
            raise RenderLimit("a nested field in a format spec")
        if any(int(number) > MAX_WIDTH for number in re.findall(r"\d+", spec)):
            raise RenderLimit(f"a format width or precision over {MAX_WIDTH}")


def str_call_check(method, args: tuple, kwargs: dict) -> tuple:
    """Refuse, before it runs, a str method whose result would pass MAX_OUTPUT; returns the arguments to call it
    with (an iterable given to join is read once, here, to be measured)."""
    text, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    if not isinstance(text, str):
        return args
    size = 0
    if name in ("center", "ljust", "rjust", "zfill") and (args or "width" in kwargs):
        size = max(len(text), as_int(args[0] if args else kwargs["width"]))
    elif name == "expandtabs":
        size = len(text) + text.count("\t") * as_int(args[0] if args else kwargs.get("tabsize", 8))
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        old, new = args[0], args[1]
        times = text.count(old) if old else len(text) + 1
        count = as_int(args[2]) if len(args) > 2 else as_int(kwargs.get("count", -1))
        size = len(text) + (times if count < 0 else min(times, count)) * (len(new) - len(old))
    elif name == "join" and args:
        items = list(args[0])
        args = (items, *args[1:])
        size = sum(len(item) for item in items if isinstance(item, str)) + len(text) * max(len(items) - 1, 0)
    elif name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((len(value) for value in args[0].values() if isinstance(value, str)), default=1)
        size = len(text) * max(longest, 1)
    elif name in ("format", "format_map"):
        _format_check(text)
    size_check(size, f"{name}() result")
    return args
