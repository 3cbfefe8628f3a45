"""The Jinja2 sandbox templates render in: a guard that makes every loop item and `~` pay and be measured, an
environment that counts calls and refuses oversized results, and the render of one part with its errors told
as a line and a reason."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, wraps

from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

from .filters import CAPPED_FILTERS
from .limits import (
    MAX_INT_BITS,
    MAX_OUTPUT,
    RenderLimit,
    budget,
    capped_range,
    percent_check,
    size_check,
    spend,
    str_call_check,
)
from .samples import Sample, StrMethod


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
        self.globals["range"] = capped_range
        self.filters.update(CAPPED_FILTERS)
        self.filters = {name: _counted(function) for name, function in self.filters.items()}

    def _parse(self, source, name, filename):
        tree = _Guard().visit(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree

    def loop_items(self, iterable):
        for item in iterable:
            spend(1)
            yield item

    def sized(self, value):
        size_check(len(value), "text")
        return value

    def call(__self, __context, __obj, *args, **kwargs):  # the sandbox's signature (no clash with kwargs)
        spend(1)
        method = __obj._method if isinstance(__obj, StrMethod) else getattr(__obj, "__wrapped__", __obj)
        args = str_call_check(method, args, kwargs)
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
                if isinstance(seq, Sample):
                    continue  # a sample's `*` is arithmetic (`amount * 1000000`), it repeats nothing
                if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > MAX_OUTPUT:
                    raise RenderLimit(f"result longer than {MAX_OUTPUT} characters")
        if operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            size_check(len(left) + len(right), "result")
        if operator == "%" and isinstance(left, str):
            percent_check(left)
        result = super().call_binop(context, operator, left, right)
        if operator in ("%", "+") and isinstance(result, str | list | tuple):
            size_check(len(result), "result")
        return result

    def getattr(self, obj, attribute):
        # A sample answers any name with another sample (it may be a mapping); internals are refused, as on any
        # other value (`title.upper.__self__`).
        if isinstance(obj, Sample) and attribute.startswith("_"):
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)


def _counted(function):
    """A filter that spends a step (and meets the clock) each time it runs; Jinja's pass_* marks are kept."""

    @wraps(function)
    def counted(*args, **kwargs):
        spend(1)
        return function(*args, **kwargs)

    return counted


def _plain_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
    try:
        with budget():  # each part has its own
            for chunk in _compile(source, html).generate(**payload):
                size += len(chunk)
                if size > MAX_OUTPUT:
                    raise RenderLimit(f"output longer than {MAX_OUTPUT} characters")
                chunks.append(chunk)
    except RecursionError:  # a macro calling itself: Python's stack ends it, quickly
        raise RenderLimit("macros or recursive loops nested too deep") from None
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


def reason_for(exc: Exception) -> str:
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


def render_errors(payload: dict, *, subject: str, text: str, html: str) -> dict[str, list[str]]:
    errors = {}
    for field, source, is_html in (("subject", subject, False), ("body_text", text, False), ("body_html", html, True)):
        try:
            render_string(source, payload, html=is_html)
        except RENDER_ERRORS as exc:
            errors[field] = [reason_for(exc)]
    return errors
