"""FEEL's operators: equality, ordering and arithmetic, with null for what the spec leaves undefined."""
from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from typing import Any

from . import temporal
from .values import CONTEXT, Function, Range, YearsMonths, norm

MAX_CHARS = 1_000_000  # as budget.Limits.chars: `+` has no budget at hand
_ARITH_ERRORS = (decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow, OverflowError, ValueError)


def _kind(v: Any) -> str | None:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, Decimal):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dt.datetime):
        return "datetime"
    if isinstance(v, dt.date):
        return "date"
    if isinstance(v, dt.time):
        return "time"
    if isinstance(v, dt.timedelta):
        return "dt"
    if isinstance(v, YearsMonths):
        return "ym"
    return None


def _aware(a: Any, b: Any) -> bool:
    return (a.tzinfo is None) == (b.tzinfo is None)


def compare(a: Any, b: Any) -> int | None:
    """-1, 0 or 1 for values that have an order, None for the rest (which makes `<` null)."""
    a, b = norm(a), norm(b)
    ka, kb = _kind(a), _kind(b)
    if ka is None or ka != kb or ka == "boolean":
        if ka == "date" and kb == "datetime" or ka == "datetime" and kb == "date":
            a = dt.datetime(a.year, a.month, a.day) if ka == "date" else a
            b = dt.datetime(b.year, b.month, b.day) if kb == "date" else b
            if not _aware(a, b):
                return None
        else:
            return None
    if ka in ("datetime", "time") and not _aware(a, b):
        return None
    if ka == "time":
        a, b = _time_key(a), _time_key(b)
    try:
        return -1 if a < b else (1 if a > b else 0)
    except TypeError:
        return None


def _time_key(t: dt.time):
    base = dt.datetime.combine(dt.date(2000, 1, 1), t)
    if t.tzinfo is not None:
        return base.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return base


def equals(a: Any, b: Any) -> bool | None:
    a, b = norm(a), norm(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        for x, y in zip(a, b):
            e = equals(x, y)
            if e is not True:
                return e
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return False
        for k in a:
            e = equals(a[k], b[k])
            if e is not True:
                return e
        return True
    if isinstance(a, Range) and isinstance(b, Range):
        return (a.start_included == b.start_included and a.end_included == b.end_included
                and equals(a.start, b.start) is True and equals(a.end, b.end) is True)
    if isinstance(a, Function) or isinstance(b, Function):
        return a is b
    ka, kb = _kind(a), _kind(b)
    if ka is None or kb is None or ka != kb:
        return None
    if ka == "datetime" and not _aware(a, b):
        return False
    if ka == "time":
        if not _aware(a, b):
            return False
        return _time_key(a) == _time_key(b)
    return a == b


def add(a: Any, b: Any) -> Any:
    a, b = norm(a), norm(b)
    if a is None or b is None:
        return None
    ta, tb = type(a), type(b)
    try:
        if ta is Decimal and tb is Decimal:
            return CONTEXT.add(a, b)
        if ta is str and tb is str:
            if len(a) + len(b) > MAX_CHARS:
                from .budget import BudgetExceeded

                raise BudgetExceeded(f"a string of {len(a) + len(b)} characters exceeds the limit of {MAX_CHARS}")
            return a + b
        return _temporal_add(a, b) if not isinstance(b, (dt.date, dt.time)) else _temporal_add(b, a)
    except _ARITH_ERRORS:
        return None


def _temporal_add(a: Any, b: Any) -> Any:
    if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
        return a + b
    if isinstance(a, YearsMonths) and isinstance(b, YearsMonths):
        return YearsMonths(a.months + b.months)
    if isinstance(a, (dt.date, dt.datetime)) and not isinstance(a, bool):
        if isinstance(b, YearsMonths):
            return temporal.add_months(a, b.months)
        if isinstance(b, dt.timedelta):
            if isinstance(a, dt.datetime):
                return a + b
            return (dt.datetime(a.year, a.month, a.day) + b).date()
    if isinstance(a, dt.time) and isinstance(b, dt.timedelta):
        moved = dt.datetime.combine(dt.date(2000, 1, 1), a.replace(tzinfo=None)) + b
        return moved.time().replace(tzinfo=a.tzinfo)
    return None


def neg(a: Any) -> Any:
    a = norm(a)
    if isinstance(a, Decimal):
        return CONTEXT.minus(a)
    if isinstance(a, dt.timedelta):
        return -a
    if isinstance(a, YearsMonths):
        return YearsMonths(-a.months)
    return None


def sub(a: Any, b: Any) -> Any:
    a, b = norm(a), norm(b)
    if a is None or b is None:
        return None
    try:
        if type(a) is Decimal and type(b) is Decimal:
            return CONTEXT.subtract(a, b)
        if isinstance(a, (dt.timedelta, YearsMonths)) and type(a) is type(b):
            return add(a, neg(b))
        if isinstance(a, (dt.date, dt.time)) and isinstance(b, (dt.timedelta, YearsMonths)):
            return _temporal_add(a, neg(b))
        if isinstance(a, dt.time) and isinstance(b, dt.time) and not isinstance(a, dt.datetime):
            if not _aware(a, b):
                return None
            return _time_key(a) - _time_key(b)
        if isinstance(a, dt.date) and isinstance(b, dt.date):
            x = a if isinstance(a, dt.datetime) else dt.datetime(a.year, a.month, a.day)
            y = b if isinstance(b, dt.datetime) else dt.datetime(b.year, b.month, b.day)
            if not _aware(x, y):
                return None
            return x - y
    except _ARITH_ERRORS:
        return None
    return None


def mul(a: Any, b: Any) -> Any:
    a, b = norm(a), norm(b)
    if a is None or b is None:
        return None
    try:
        if type(a) is Decimal and type(b) is Decimal:
            return CONTEXT.multiply(a, b)
        if type(b) is Decimal:
            a, b = b, a
        if type(a) is Decimal:
            if isinstance(b, dt.timedelta):
                return temporal.from_seconds(CONTEXT.multiply(temporal.seconds(b), a))
            if isinstance(b, YearsMonths):
                return YearsMonths(int(CONTEXT.multiply(a, b.months).to_integral_value(decimal.ROUND_DOWN)))
    except _ARITH_ERRORS:
        return None
    return None


def div(a: Any, b: Any) -> Any:
    a, b = norm(a), norm(b)
    if a is None or b is None:
        return None
    try:
        if type(a) is Decimal and type(b) is Decimal:
            return CONTEXT.divide(a, b)
        if isinstance(a, dt.timedelta) and type(b) is Decimal:
            return temporal.from_seconds(CONTEXT.divide(temporal.seconds(a), b))
        if isinstance(a, YearsMonths) and type(b) is Decimal:
            return YearsMonths(int(CONTEXT.divide(CONTEXT.create_decimal(a.months), b).to_integral_value(decimal.ROUND_DOWN)))
        if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
            return CONTEXT.divide(temporal.seconds(a), temporal.seconds(b))
        if isinstance(a, YearsMonths) and isinstance(b, YearsMonths):
            return CONTEXT.divide(CONTEXT.create_decimal(a.months), CONTEXT.create_decimal(b.months))
    except _ARITH_ERRORS:
        return None
    return None


def power(a: Any, b: Any) -> Any:
    a, b = norm(a), norm(b)
    if type(a) is not Decimal or type(b) is not Decimal:
        return None
    try:
        if b == b.to_integral_value() and abs(b) > 999_999_999:
            return None  # beyond decimal128 either way; Decimal would still try
        return CONTEXT.power(a, b)
    except _ARITH_ERRORS:
        return None
