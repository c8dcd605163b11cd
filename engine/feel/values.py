"""FEEL values over plain Python data, and the conversions at the edges.

Inside FEEL a number is a `Decimal` (decimal128: 34 digits), a string `str`, a boolean
`bool`, null `None`, a date `datetime.date`, a time `datetime.time`, a date and time
`datetime.datetime`, a days-and-time duration `datetime.timedelta`, a years-and-months
duration `YearsMonths`, a list `list`, a context `dict` and a range `Range`. Functions are
`Function` objects. Nothing else is ever handed to an expression: any other Python object
becomes null on the way in, so no attribute of a Python object can be reached.
"""
from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

# Decimal128, as the spec asks; traps turn overflow and bad operations into exceptions the
# operators catch and answer with null.
CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN, Emax=6144, Emin=-6143,
                          traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow])


class FeelError(Exception):
    """A located error in a FEEL expression: bad syntax, or a budget exceeded while evaluating."""

    def __init__(self, message: str, source: str | None = None, position: int | None = None):
        self.reason = message
        self.source = source
        self.position = position
        self.line, self.column = _line_col(source, position)
        where = f" at line {self.line}, column {self.column}" if self.line else ""
        super().__init__(f"{message}{where}")


def _line_col(source: str | None, position: int | None) -> tuple[int | None, int | None]:
    if source is None or position is None:
        return None, None
    before = source[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


@dataclass(frozen=True, order=True)
class YearsMonths:
    """A years-and-months duration, kept in months."""

    months: int

    def iso(self) -> str:
        sign, m = ("-" if self.months < 0 else ""), abs(self.months)
        years, months = divmod(m, 12)
        body = (f"{years}Y" if years else "") + (f"{months}M" if months or not years else "")
        return f"{sign}P{body}"


@dataclass(frozen=True)
class Range:
    start: Any
    end: Any
    start_included: bool = True
    end_included: bool = True

    def contains(self, value: Any) -> bool | None:
        from .ops import compare

        if value is None:
            return None
        if self.start is not None:
            c = compare(value, self.start)
            if c is None:
                return None
            if c < 0 or (c == 0 and not self.start_included):
                return False
        if self.end is not None:
            c = compare(value, self.end)
            if c is None:
                return None
            if c > 0 or (c == 0 and not self.end_included):
                return False
        return True


class Function:
    """A FEEL function value: a built-in or a user-defined `function(...) body`.

    `params` names the parameters for named invocation; `call(args, budget)` takes a list of
    positional FEEL values. `variadic` built-ins take any number of positional arguments."""

    __slots__ = ("name", "params", "impl", "variadic", "optional", "wants_budget", "alternatives")

    def __init__(self, name: str, params: tuple[str, ...], impl: Callable[..., Any], *, variadic: bool = False,
                 optional: int = 0, wants_budget: bool = False, alternatives: tuple[tuple[str, ...], ...] = ()):
        self.name, self.params, self.impl = name, params, impl
        self.variadic, self.optional, self.wants_budget = variadic, optional, wants_budget
        self.alternatives = alternatives  # other parameter lists of an overloaded built-in, for named calls

    def __repr__(self) -> str:
        return f"function {self.name}({', '.join(self.params)})"


def number(value: int | float | str | Decimal) -> Decimal:
    return CONTEXT.create_decimal(value) if not isinstance(value, float) else CONTEXT.create_decimal(repr(value))


def norm(value: Any) -> Any:
    """One value as FEEL sees it (shallow: containers are normalised as their items are used)."""
    t = type(value)
    if t is Decimal or t is str or t is bool or value is None or t is dict or t is list:
        return value
    if t is int:
        return CONTEXT.create_decimal(value)
    if t is float:
        return None if math.isnan(value) or math.isinf(value) else CONTEXT.create_decimal(repr(value))
    if isinstance(value, (dt.date, dt.time, dt.timedelta, YearsMonths, Range, Function)):
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return CONTEXT.create_decimal(int(value))
    if isinstance(value, Decimal):
        return CONTEXT.create_decimal(value) if value.is_finite() else None
    if isinstance(value, str):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return list(value)
    return None  # any other Python object is out of reach


def deep(value: Any) -> Any:
    """A whole structure as FEEL values (for results and equality)."""
    value = norm(value)
    if isinstance(value, list):
        return [deep(v) for v in value]
    if isinstance(value, dict):
        return {k: deep(v) for k, v in value.items()}
    return value


def to_plain(value: Any) -> Any:
    """A FEEL result as JSON-able task data: integral numbers become int, others float; temporal
    values their ISO text; ranges and functions cannot be stored."""
    value = norm(value)
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and abs(value) < 2 ** 63:
            return int(value)
        if not math.isfinite(number := float(value)):  # 10 ** 400: JSON has no Infinity
            raise FeelError(f"the number {value:.6e} is too large to be stored in process data")
        return number
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, str):
        return _storable(value)
    if isinstance(value, dict):
        return {_storable(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        from .temporal import format_duration

        return format_duration(value)
    if isinstance(value, YearsMonths):
        return value.iso()
    if isinstance(value, (Range, Function)):
        raise FeelError(f"a {type_name(value)} cannot be stored in process data")
    return value


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(text: str) -> str:
    """FEEL's escapes can write "\\u0000" and a lone "\\ud800"; neither is text a database keeps."""
    if _UNSTORABLE.search(text):
        raise FeelError("a string with a NUL character or a lone surrogate cannot be stored in process data")
    return text


def type_name(value: Any) -> str:
    value = norm(value)
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "date and time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, dt.timedelta):
        return "days and time duration"
    if isinstance(value, YearsMonths):
        return "years and months duration"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, Range):
        return "range"
    if isinstance(value, Function):
        return "function"
    return "Null"
