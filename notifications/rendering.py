"""Templates rendered by Jinja2's sandbox over plain data: the event's payload only, never model instances,
so a template edited by staff can reach nothing else (no attribute walks into Django, no method calls that
change state). A template that does not render is refused when saved, with its line and reason; it is
checked over samples standing for any value of each documented field (see _Sample). A saved template that
still fails on a real payload (`{{ reseller.name }}` with no reseller) is replaced at send time by the app's
default for the channel, with a warning (see render).

The sandbox also caps what one render may cost, so a template typed into the live preview or saved by staff
cannot hang or exhaust a worker: at most MAX_STEPS loop iterations, calls, filters and range() items (nested
loops and recursive macros included), range() of at most MAX_RANGE items, no text or list past MAX_OUTPUT
characters (checked before it is built: `*`, `+`, `~`, `%`, str methods and filters that pad, repeat or join),
integers of at most MAX_INT_BITS, format widths of at most MAX_WIDTH, and MAX_RENDER_SECONDS per part. Going
past a cap raises RenderLimit: refused on save (validate), and at send time replaced by the app's default
template like any template that fails on its payload.
"""

from __future__ import annotations

import dataclasses
import logging
import numbers
import operator
import re
import string
import time
from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache, wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.html import escape, linebreaks, urlize
from django.utils.translation import gettext as _
from jinja2 import (
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    UndefinedError,
    nodes,
    pass_environment,
    pass_eval_context,
)
from jinja2 import filters as jinja_filters
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

from . import registry
from .choices import Channel

logger = logging.getLogger(__name__)

MAX_OUTPUT = 200_000  # characters one part may render to; also the longest text or list a template may build
MAX_STEPS = 10_000  # loop iterations, calls, filters and range() items in one render of one part
MAX_RANGE = 1_000  # items in one range()
MAX_INT_BITS = 4_096  # an integer a template computes (about 1,230 digits): `**` and `*` refuse larger ones
MAX_WIDTH = 1_000  # a field width or precision in a format string ("%9999d", "{:>9999}")
# Wall-clock seconds one part may render for, checked at every step: each step is bounded by the sizes above, but
# 10,000 of them over 200,000-character texts (`{{ text|urlize }}` in a nested loop) would still take minutes.
MAX_RENDER_SECONDS = 1.0
# A test send (services.template_test_send) carries the edited template under this payload key and
# renders it against the event's sample payload, exactly as the admin's live preview shows it.
TEST_KEY = "_test_template"


class RenderLimit(SecurityError):
    """A render went past one of the caps above. Unlike the sandbox's other refusals it says nothing bad about
    the template on any payload but this one, so at send time the app's default is sent instead (render)."""


@dataclass
class _Budget:
    ends: float  # time.monotonic() value
    steps: int = 0


_budget: ContextVar[_Budget | None] = ContextVar("notifications_template_budget", default=None)


def _spend(count: int) -> None:
    budget = _budget.get()
    if budget is None:
        return
    budget.steps += count
    if budget.steps > MAX_STEPS:
        raise RenderLimit(f"more than {MAX_STEPS} loop iterations, calls and filters")
    if time.monotonic() > budget.ends:
        raise RenderLimit(f"rendering took longer than {MAX_RENDER_SECONDS:g} s")


def _size_check(size: int, what: str) -> None:
    if size > MAX_OUTPUT:
        raise RenderLimit(f"{what} longer than {MAX_OUTPUT} characters")


def _as_int(value) -> int:
    try:
        return operator.index(value)
    except TypeError:
        return 0  # not a number: the real call raises its own error


def _capped_range(*args):
    items = range(*args)
    if len(items) > MAX_RANGE:
        raise RenderLimit(f"range() of more than {MAX_RANGE} items")
    _spend(len(items))
    return items


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?[a-zA-Z%]")


def _percent_check(fmt: str) -> None:
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


def _str_call_check(method, args: tuple, kwargs: dict) -> tuple:
    """Refuse, before it runs, a str method whose result would pass MAX_OUTPUT; returns the arguments to call it
    with (an iterable given to join is read once, here, to be measured)."""
    text, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    if not isinstance(text, str):
        return args
    size = 0
    if name in ("center", "ljust", "rjust", "zfill") and (args or "width" in kwargs):
        size = max(len(text), _as_int(args[0] if args else kwargs["width"]))
    elif name == "expandtabs":
        size = len(text) + text.count("\t") * _as_int(args[0] if args else kwargs.get("tabsize", 8))
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        old, new = args[0], args[1]
        times = text.count(old) if old else len(text) + 1
        count = _as_int(args[2]) if len(args) > 2 else _as_int(kwargs.get("count", -1))
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
    _size_check(size, f"{name}() result")
    return args


class _Guard(NodeTransformer):
    """Rewrites a parsed template so that every `for` loop pays a step per item (`environment.loop_items`) and
    every `~` result is measured (`environment.sized`). Calls are counted by the environment's call()."""

    def visit_For(self, node: nodes.For) -> nodes.For:
        self.generic_visit(node)
        node.iter = _environment_call("loop_items", node.iter)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Call:
        self.generic_visit(node)
        return _environment_call("sized", node)


def _environment_call(name: str, argument: nodes.Expr) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name), [argument], [], None, None, lineno=argument.lineno)


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options):
        super().__init__(**options)
        self.globals["range"] = _capped_range
        self.filters.update(_CAPPED_FILTERS)
        self.filters = {name: _counted(function) for name, function in self.filters.items()}

    def _parse(self, source, name, filename):
        tree = _Guard().visit(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree

    def loop_items(self, iterable):
        for item in iterable:
            _spend(1)
            yield item

    def sized(self, value):
        _size_check(len(value), "text")
        return value

    def call(__self, __context, __obj, *args, **kwargs):  # the sandbox's signature (no clash with kwargs)
        _spend(1)
        method = __obj._method if isinstance(__obj, _StrMethod) else getattr(__obj, "__wrapped__", __obj)
        args = _str_call_check(method, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise RenderLimit("exponent too large")
        big_power = operator == "**" and _plain_int(left) and _plain_int(right) and right > 0
        if big_power and abs(left).bit_length() * right > MAX_INT_BITS:
            raise RenderLimit(f"a number of more than {MAX_INT_BITS} bits")
        if operator == "*":
            if _plain_int(left) and _plain_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise RenderLimit(f"a number of more than {MAX_INT_BITS} bits")
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, _Sample):
                    continue  # a sample's `*` is arithmetic (`amount * 1000000`), it repeats nothing
                if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > MAX_OUTPUT:
                    raise RenderLimit(f"result longer than {MAX_OUTPUT} characters")
        if operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            _size_check(len(left) + len(right), "result")
        if operator == "%" and isinstance(left, str):
            _percent_check(left)
        result = super().call_binop(context, operator, left, right)
        if operator in ("%", "+") and isinstance(result, str | list | tuple):
            _size_check(len(result), "result")
        return result

    def getattr(self, obj, attribute):
        # A sample answers any name with another sample (it may be a mapping); internals are refused, as on any
        # other value (`title.upper.__self__`).
        if isinstance(obj, _Sample) and attribute.startswith("_"):
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)


def _counted(function):
    """A filter that spends a step (and meets the clock) each time it runs; Jinja's pass_* marks are kept."""

    @wraps(function)
    def counted(*args, **kwargs):
        _spend(1)
        return function(*args, **kwargs)

    return counted


def _plain_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ---- filters that could build a huge result from small arguments: measured first ---------------------------


def _center(value, width=80):
    _size_check(max(len(str(value)), _as_int(width)), "center() result")
    return jinja_filters.do_center(value, width)


def _indent(s, width=4, first=False, blank=False):
    step = len(width) if isinstance(width, str) else _as_int(width)
    _size_check(len(str(s)) + (str(s).count("\n") + 1) * step, "indent() result")
    return jinja_filters.do_indent(s, width, first, blank)


def _batch(value, linecount, fill_with=None):
    if _as_int(linecount) > MAX_RANGE:
        raise RenderLimit(f"batches of more than {MAX_RANGE} items")
    return jinja_filters.do_batch(value, linecount, fill_with)


def _slice(value, slices, fill_with=None):
    if _as_int(slices) > MAX_RANGE:
        raise RenderLimit(f"more than {MAX_RANGE} slices")
    return jinja_filters.sync_do_slice(value, slices, fill_with)


@pass_eval_context
def _replace(eval_ctx, s, old, new, count=None):
    _str_call_check(str(s).replace, (str(old), str(new), -1 if count is None else count), {})
    return jinja_filters.do_replace(eval_ctx, s, old, new, count)


@pass_eval_context
def _join(eval_ctx, value, d="", attribute=None):
    items = list(value)
    _size_check(sum(len(str(item)) for item in items) + len(str(d)) * max(len(items) - 1, 0), "join() result")
    return jinja_filters.sync_do_join(eval_ctx, items, d, attribute)


def _format(value, *args, **kwargs):
    _percent_check(str(value))
    return jinja_filters.do_format(value, *args, **kwargs)


@pass_environment
def _wordwrap(environment, s, width=79, break_long_words=True, wrapstring=None, break_on_hyphens=True):
    text, joint = str(s), wrapstring if wrapstring is not None else environment.newline_sequence
    lines = len(text) // max(_as_int(width), 1) + text.count("\n") + 1
    _size_check(len(text) + lines * len(str(joint)), "wordwrap() result")
    return jinja_filters.do_wordwrap(environment, s, width, break_long_words, wrapstring, break_on_hyphens)


@pass_environment
def _sum(environment, iterable, attribute=None, start=0):
    if not isinstance(start, numbers.Number):  # summing lists or texts copies them over and over
        raise RenderLimit("sum() of anything but numbers")
    return jinja_filters.sync_do_sum(environment, iterable, attribute, start)


_CAPPED_FILTERS = {
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
    token = _budget.set(_Budget(ends=time.monotonic() + MAX_RENDER_SECONDS))  # each part has its own
    try:
        for chunk in _compile(source, html).generate(**payload):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise RenderLimit(f"output longer than {MAX_OUTPUT} characters")
            chunks.append(chunk)
    except RecursionError:  # a macro calling itself: Python's stack ends it, quickly
        raise RenderLimit("macros or recursive loops nested too deep") from None
    finally:
        _budget.reset(token)
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


# ---- the sample payload (validation, live preview, test sends) ---------------------------------------------------

_SAMPLE_NUMBER = 1  # what a sample is as a number: an int (`%d` and `%.2f` both work), never 0 (no division by zero)
# Names Jinja and its sandbox look up on any value they call (sandbox.is_safe_callable, utils._PassArg): a sample
# must not answer them with another (truthy) sample.
_PROTOCOL_NAMES = frozenset({"unsafe_callable", "alters_data", "jinja_pass_arg", "jinja_async_variant"})
# str's methods, looked up on a sample as `ticket.title` or `stats.count`, are fields that may also be called.
# Not format/format_map: the sandbox must see those as str methods to run them through its safe formatter.
_STR_METHODS = frozenset(name for name in dir(str) if not name.startswith("_")) - {"format", "format_map"}


def _as_number(value):
    """An operand as a number, for arithmetic and comparison with a sample; None when it is not a number."""
    if isinstance(value, _Sample):
        return _SAMPLE_NUMBER
    if isinstance(value, numbers.Number):
        return value
    return None


def _operand(value) -> str:
    text = str(value)
    return f"({text})" if " " in text else text  # `100 / (amount - paid)`, not `100 / amount - paid`


def _arithmetic(op, symbol: str):
    """A sample's arithmetic: it raises where any number would (`amount / 0`), and gives another sample that
    shows the expression (`{{ amount * 2 }}` previews as `amount * 2`)."""

    def forward(self, other):
        number = _as_number(other)
        if number is None:
            return NotImplemented
        op(_SAMPLE_NUMBER, number)
        return _Sample(f"{_operand(self)} {symbol} {_operand(other)}")

    def reflected(self, other):
        number = _as_number(other)
        if number is None:
            return NotImplemented
        op(number, _SAMPLE_NUMBER)
        if symbol == "+" and number == 0 and not isinstance(other, _Sample):
            return self  # `|sum` and running totals start from 0
        return _Sample(f"{_operand(other)} {symbol} {_operand(self)}")

    return forward, reflected


def _comparison(op):
    def compare(self, other):
        if isinstance(other, str):
            return op(str(self), str(other))
        number = _as_number(other)
        return NotImplemented if number is None else op(_SAMPLE_NUMBER, number)

    return compare


class _Sample(str):
    """A placeholder for one payload value when a template is checked or previewed, and the real value's type
    is not known: a template that renders for some real payload must render over samples too.

    It renders as its name (`{{ account.number }}` shows `account.number`) and works as a string (filters,
    `~`, `+ "text"`), as the number 1 (`amount > 5`, `"%.2f"|format(amount)`, `amount|round`, arithmetic gives
    another sample, so `x / (a - b)` never divides by zero), as a mapping (`account.reseller.name`,
    `account["number"]`, `.items()`, `|items`), as a one-item list (`{% for tag in tags %}`, `tags|length`,
    `tags[0].name`) and as true. Names the payload does not have stay undefined (StrictUndefined)."""

    __hash__ = str.__hash__

    def __getattribute__(self, name):
        if name in _STR_METHODS:
            method = _StrMethod(f"{self}.{name}")
            method._method = getattr(str.__str__(self), name)  # bound to a plain str: pure, reaches nothing
            return method
        return super().__getattribute__(name)

    def __getattr__(self, name):
        if name.startswith("_") or name in _PROTOCOL_NAMES:
            raise AttributeError(name)
        return _Sample(f"{self}.{name}")

    def __getitem__(self, key):
        if isinstance(key, slice):
            return _Sample(str.__getitem__(self, key))
        if isinstance(key, int):
            return _Sample(f"{self}[{key}]")
        if isinstance(key, str) and key.startswith("_"):
            raise KeyError(key)  # the sandbox then refuses `title["__class__"]` as it refuses `title.__class__`
        return _Sample(f"{self}.{key}")

    # A one-item list (so `loop.length`, `|length` and `|first` agree with the `for` loop).
    def __iter__(self):
        return iter([self[0]])

    def __reversed__(self):
        return iter([self[0]])

    def __len__(self):
        return 1

    def __contains__(self, item):
        return str.__contains__(self, item) if isinstance(item, str) else False

    # A mapping: dict's methods, and `|items`, `is mapping` (registered below).
    def keys(self):
        return [_Sample(f"{self}.key")]

    def values(self):
        return [_Sample(f"{self}.value")]

    def items(self):
        return [(_Sample(f"{self}.key"), _Sample(f"{self}.value"))]

    def get(self, key, default=None):
        return self[key]

    # A number.
    def __int__(self):
        return _SAMPLE_NUMBER

    def __index__(self):  # `range(count)`, `"-" * width`, `"%x"`
        return _SAMPLE_NUMBER

    def __float__(self):
        return float(_SAMPLE_NUMBER)

    def __round__(self, ndigits=None):
        return round(_SAMPLE_NUMBER, ndigits)

    def __trunc__(self):
        return _SAMPLE_NUMBER

    __floor__ = __ceil__ = __trunc__

    def __neg__(self):
        return -_SAMPLE_NUMBER

    def __pos__(self):
        return _SAMPLE_NUMBER

    def __abs__(self):
        return _SAMPLE_NUMBER

    def __format__(self, spec):
        try:
            return str.__format__(self, spec)
        except ValueError:  # "{:.2f}", "{:,}": a number's format
            return format(_SAMPLE_NUMBER, spec)

    __eq__ = _comparison(operator.eq)
    __ne__ = _comparison(operator.ne)
    __lt__ = _comparison(operator.lt)
    __le__ = _comparison(operator.le)
    __gt__ = _comparison(operator.gt)
    __ge__ = _comparison(operator.ge)
    __sub__, __rsub__ = _arithmetic(operator.sub, "-")
    __truediv__, __rtruediv__ = _arithmetic(operator.truediv, "/")
    __floordiv__, __rfloordiv__ = _arithmetic(operator.floordiv, "//")
    __pow__, __rpow__ = _arithmetic(operator.pow, "**")
    _number_add, _number_radd = _arithmetic(operator.add, "+")
    _number_mul, _number_rmul = _arithmetic(operator.mul, "*")
    _number_mod, _number_rmod = _arithmetic(operator.mod, "%")

    # `+`, `*` and `%` are also string and list operations; as a str subclass, a sample is asked first even in
    # `"text" + sample` (Python tries a subclass's reflected method before the base class's).
    def __add__(self, other):
        if isinstance(other, str):
            return _Sample(str(self) + other)
        if isinstance(other, list | tuple):
            return type(other)(self) + other
        return self._number_add(other)

    def __radd__(self, other):
        if isinstance(other, str):
            return _Sample(other + str(self))
        if isinstance(other, list | tuple):
            return other + type(other)(self)
        return self._number_radd(other)

    def __mul__(self, other):
        if isinstance(other, str | list | tuple):
            return other * _SAMPLE_NUMBER
        return self._number_mul(other)

    def __rmul__(self, other):
        if isinstance(other, str | list | tuple):
            return other * _SAMPLE_NUMBER
        return self._number_rmul(other)

    def __mod__(self, other):  # the sample as a format string (`greeting|format(name)`)
        if _as_number(other) is not None:
            return self._number_mod(other)
        try:
            return str.__mod__(self, other)
        except (TypeError, ValueError):  # the real text may well have the placeholders this name lacks
            return _Sample(self)

    def __rmod__(self, other):  # `"%.2f" % amount`
        if isinstance(other, str):
            return str.__mod__(other, self)
        return self._number_rmod(other)


Mapping.register(_Sample)  # `|items`, `is mapping`; not MutableMapping: the sandbox's rules for those stay off


class _StrMethod(_Sample):
    """`ticket.title`, `stats.count`: a field named like a str method is a sample, and may also be called as
    that method (`{{ name.upper() }}`)."""

    def __call__(self, *args, **kwargs):
        try:
            return self._method(*args, **kwargs)
        except (TypeError, ValueError):  # `tags.index(3)` (a list's method), `name.index(":")` (not in the name)
            return _Sample(f"{self}()")


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
    from .models import Template

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
            picked.template_id, event, channel, picked.language, _reason(exc),
        )  # fmt: skip
        try:
            rendered = _render_picked(
                _Picked(default.subject, default.text, default.html, settings.LANGUAGE_CODE), payload
            )
        except RENDER_ERRORS as default_exc:
            exc.add_note(f"The app's default template failed too: {_reason(default_exc)}")
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
