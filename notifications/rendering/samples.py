"""The sample payload: a placeholder for every documented field, used to validate and preview a template and
for test sends."""

from __future__ import annotations

import numbers
import operator
from collections.abc import Mapping

from .. import registry

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


# Other modules use the public names; the classes keep theirs, which staff read in a refusal's reason
# ("'_Sample' object is not callable").
Sample = _Sample
StrMethod = _StrMethod


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
