"""FEEL's numeric built-ins, and `is`."""
from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal

from . import ops
from .builtins import builtin, num, whole
from .values import CONTEXT, YearsMonths, norm


# -- numbers ------------------------------------------------------------------------------
def _scaled(n, scale, rounding):
    n, s = num(n), whole(scale)
    if n is None or s is None or not -6111 <= s <= 6176:
        return None
    return n.quantize(Decimal(1).scaleb(-s), rounding=rounding, context=CONTEXT)


@builtin("decimal", "n, scale")
def _decimal(n, scale):
    return _scaled(n, scale, decimal.ROUND_HALF_EVEN)


def _rounding(name: str, mode: str) -> None:
    def fn(n, scale=None):
        return _scaled(n, scale if scale is not None else Decimal(0), mode)
    fn.__name__ = name.replace(" ", "_")
    builtin(name, "n, scale", optional=1)(fn)


for _name, _mode in (("floor", decimal.ROUND_FLOOR), ("ceiling", decimal.ROUND_CEILING), ("round up", decimal.ROUND_UP),
                     ("round down", decimal.ROUND_DOWN), ("round half up", decimal.ROUND_HALF_UP),
                     ("round half down", decimal.ROUND_HALF_DOWN)):
    _rounding(_name, _mode)


@builtin("abs", "n")
def _abs(n):
    n = norm(n)
    if isinstance(n, Decimal):
        return abs(n)
    if isinstance(n, dt.timedelta):
        return abs(n)
    if isinstance(n, YearsMonths):
        return YearsMonths(abs(n.months))
    return None


@builtin("modulo", "dividend, divisor")
def _modulo(a, b):
    a, b = num(a), num(b)
    if a is None or b is None or b == 0:
        return None
    return CONTEXT.subtract(a, CONTEXT.multiply(b, CONTEXT.divide(a, b).to_integral_value(decimal.ROUND_FLOOR)))


@builtin("sqrt", "number")
def _sqrt(n):
    n = num(n)
    return CONTEXT.sqrt(n) if n is not None and n >= 0 else None


@builtin("log", "number")
def _log(n):
    n = num(n)
    return CONTEXT.ln(n) if n is not None and n > 0 else None


@builtin("exp", "number")
def _exp(n):
    n = num(n)
    return CONTEXT.exp(n) if n is not None else None


@builtin("odd", "number")
def _odd(n):
    n = whole(n)
    return (n % 2 == 1) if n is not None else None


@builtin("even", "number")
def _even(n):
    n = whole(n)
    return (n % 2 == 0) if n is not None else None


@builtin("is", "value1, value2")
def _is(a, b):
    a, b = norm(a), norm(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, (dt.time, dt.datetime)):
        return a == b and a.tzinfo == b.tzinfo
    return ops.equals(a, b) is True

