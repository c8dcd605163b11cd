"""FEEL's built-in functions (DMN 1.5, 10.3.4): conversion, boolean and string functions.

List, numeric, temporal, range and context functions live beside this module and register
into the same table. A built-in that meets an argument it has no meaning for answers null,
as the spec says; a mistake never surfaces as a Python exception.
"""
from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from typing import Any, Callable

import regex

from . import temporal
from .values import CONTEXT, Function, Range, YearsMonths, norm

BUILTINS: dict[str, Function] = {}
_HARMLESS = (TypeError, ValueError, ArithmeticError, IndexError, KeyError, AttributeError, OverflowError,
             decimal.InvalidOperation, RecursionError, regex.error)
REGEX_TIMEOUT = 0.05  # seconds; a pathological pattern ends as null, never as a stuck worker


def builtin(name: str, params: str = "", *, optional: int = 0, variadic: bool = False, budget: bool = False,
            alternatives: tuple[str, ...] = ()):
    names = tuple(p.strip() for p in params.split(",")) if params else ()
    alts = tuple(tuple(p.strip() for p in a.split(",")) for a in alternatives)

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        def safe(*args):
            try:
                return fn(*args)
            except _HARMLESS:
                return None
        safe.__name__ = fn.__name__
        BUILTINS[name] = Function(name, names, safe, variadic=variadic or bool(alts), optional=optional,
                                  wants_budget=budget, alternatives=alts)
        return fn
    return deco


def num(v: Any) -> Decimal | None:
    v = norm(v)
    return v if isinstance(v, Decimal) else None


def text(v: Any) -> str | None:
    v = norm(v)
    return v if isinstance(v, str) else None


def whole(v: Any) -> int | None:
    n = num(v)
    if n is None or n != n.to_integral_value():
        return None
    return int(n)


# -- conversion ---------------------------------------------------------------------------
@builtin("date", "from", alternatives=("year, month, day",))
def _date(*args):
    if len(args) == 1:
        v = norm(args[0])
        if isinstance(v, str):
            return temporal.parse_date(v)
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        return None
    if len(args) == 3:
        y, m, d = (whole(a) for a in args)
        return dt.date(y, m, d) if None not in (y, m, d) else None
    return None


@builtin("date and time", "from", alternatives=("date, time",))
def _date_and_time(*args):
    if len(args) == 1:
        v = norm(args[0])
        if isinstance(v, str):
            return temporal.parse_date_time(v)
        if isinstance(v, dt.datetime):
            return v
        if isinstance(v, dt.date):
            return dt.datetime(v.year, v.month, v.day)
        return None
    if len(args) == 2:
        d, t = norm(args[0]), norm(args[1])
        if isinstance(d, dt.date) and isinstance(t, dt.time):
            return dt.datetime.combine(d if not isinstance(d, dt.datetime) else d.date(), t.replace(tzinfo=None),
                                       tzinfo=t.tzinfo)
    return None


@builtin("time", "from", alternatives=("hour, minute, second, offset",))
def _time(*args):
    if len(args) == 1:
        v = norm(args[0])
        if isinstance(v, str):
            return temporal.parse_time(v)
        if isinstance(v, dt.datetime):
            return v.timetz()
        if isinstance(v, dt.time):
            return v
        if isinstance(v, dt.date):
            return dt.time(0, 0, 0, tzinfo=dt.timezone.utc)
        return None
    if len(args) in (3, 4):
        h, m = whole(args[0]), whole(args[1])
        s = num(args[2])
        if None in (h, m, s):
            return None
        tz = None
        if len(args) == 4 and args[3] is not None:
            off = norm(args[3])
            if not isinstance(off, dt.timedelta):
                return None
            tz = dt.timezone(off)
        whole_s = int(s)
        micro = int((s - whole_s) * 1_000_000)
        return dt.time(h, m, whole_s, micro, tzinfo=tz)
    return None


@builtin("duration", "from")
def _duration(v):
    v = text(v)
    return temporal.parse_duration(v) if v is not None else None


@builtin("years and months duration", "from, to")
def _ym_between(a, b):
    a, b = norm(a), norm(b)
    if not (isinstance(a, dt.date) and isinstance(b, dt.date)):
        return None
    months = (b.year - a.year) * 12 + (b.month - a.month)
    if months > 0 and b.day < a.day:
        months -= 1
    elif months < 0 and b.day > a.day:
        months += 1
    return YearsMonths(months)


@builtin("number", "from, grouping separator, decimal separator", optional=2)
def _number(v, grouping=None, dec=None):
    v = text(v)
    if v is None or grouping not in (None, " ", ",", ".") or dec not in (None, ".", ","):
        return None
    if grouping is not None and grouping == dec:
        return None
    if grouping:
        v = v.replace(grouping, "")
    if dec:
        v = v.replace(dec, ".")
    v = v.strip()
    if not regex.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", v):
        return None
    return CONTEXT.create_decimal(v)


def to_string(v: Any, budget=None) -> str | None:
    v = norm(v)
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format_number(v)
    if isinstance(v, (dt.date, dt.time, dt.timedelta, YearsMonths)):
        return temporal.format_value(v)
    if budget is not None:
        budget.tick(1)
    if isinstance(v, list):
        return "[" + ", ".join(_inner(x, budget) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_inner(x, budget)}" for k, x in v.items()) + "}"
    if isinstance(v, Range):
        return (("[" if v.start_included else "(") + _inner(v.start, budget) + ".." + _inner(v.end, budget)
                + ("]" if v.end_included else ")"))
    if isinstance(v, Function):
        return repr(v)
    return None


def _inner(v: Any, budget) -> str:
    v = norm(v)
    if v is None:
        return "null"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return to_string(v, budget) or "null"


def format_number(v: Decimal) -> str:
    if v == 0:
        return "0"
    text_ = format(v.normalize(CONTEXT), "f")
    return text_


@builtin("string", "from", budget=True)
def _string(budget, v):
    s = to_string(v, budget)
    if s is not None:
        budget.chars(len(s))
    return s


# -- boolean ------------------------------------------------------------------------------
@builtin("not", "negand")
def _not(v):
    return (not v) if isinstance(v, bool) else None


@builtin("is defined", "value")
def _is_defined(v):
    return v is not None


# -- strings ------------------------------------------------------------------------------
def _flags(flags: Any) -> int | None:
    if flags is None:
        return 0
    if not isinstance(flags, str):
        return None
    out = 0
    for ch in flags:
        out |= {"i": regex.IGNORECASE, "s": regex.DOTALL, "m": regex.MULTILINE, "x": regex.VERBOSE,
                "q": 0}.get(ch, -1)
        if ch not in "ismxq":
            return None
    return out


def _pattern(pattern: str, flags: Any):
    f = _flags(flags)
    if f is None or not isinstance(pattern, str):
        return None
    if isinstance(flags, str) and "q" in flags:
        pattern = regex.escape(pattern)
    return regex.compile(pattern, f | regex.V0)


@builtin("substring", "string, start position, length", optional=1)
def _substring(s, start, length=None):
    s, start_i = text(s), whole(start)
    if s is None or start_i is None or start_i == 0:
        return None
    chars = list(s)  # code points, as FEEL counts them
    begin = start_i - 1 if start_i > 0 else len(chars) + start_i
    begin = max(begin, 0)
    if length is None:
        return "".join(chars[begin:])
    n = whole(length)
    if n is None or n < 0:
        return None
    return "".join(chars[begin:begin + n])


@builtin("string length", "string")
def _string_length(s):
    s = text(s)
    return CONTEXT.create_decimal(len(s)) if s is not None else None


@builtin("upper case", "string")
def _upper(s):
    s = text(s)
    return s.upper() if s is not None else None


@builtin("lower case", "string")
def _lower(s):
    s = text(s)
    return s.lower() if s is not None else None


@builtin("substring before", "string, match")
def _before(s, m):
    s, m = text(s), text(m)
    if s is None or m is None:
        return None
    i = s.find(m)
    return s[:i] if i >= 0 else ""


@builtin("substring after", "string, match")
def _after(s, m):
    s, m = text(s), text(m)
    if s is None or m is None:
        return None
    i = s.find(m)
    return s[i + len(m):] if i >= 0 else ""


@builtin("contains", "string, match")
def _contains(s, m):
    s, m = text(s), text(m)
    return (m in s) if s is not None and m is not None else None


@builtin("starts with", "string, match")
def _starts(s, m):
    s, m = text(s), text(m)
    return s.startswith(m) if s is not None and m is not None else None


@builtin("ends with", "string, match")
def _ends(s, m):
    s, m = text(s), text(m)
    return s.endswith(m) if s is not None and m is not None else None


@builtin("matches", "input, pattern, flags", optional=1)
def _matches(s, pattern, flags=None):
    s = text(s)
    p = _pattern(pattern, flags)
    if s is None or p is None:
        return None
    try:
        return p.search(s, timeout=REGEX_TIMEOUT) is not None
    except TimeoutError:
        return None


@builtin("replace", "input, pattern, replacement, flags", optional=1, budget=True)
def _replace(budget, s, pattern, replacement, flags=None):
    s, r = text(s), text(replacement)
    p = _pattern(pattern, flags)
    if s is None or r is None or p is None:
        return None
    budget.chars(len(s) * (len(r) + 1))
    # XPath writes group references as $1; Python's regex as \1.
    r_py = regex.sub(r"\\(.)|\$(\d+)", lambda m: m.group(1) if m.group(1) else "\\" + m.group(2), r)
    r_py = r_py if "\\" in r_py else r_py
    try:
        return p.sub(r_py.replace("\\\\", "\\"), s, timeout=REGEX_TIMEOUT)
    except TimeoutError:
        return None


@builtin("split", "string, delimiter", budget=True)
def _split(budget, s, delimiter):
    s = text(s)
    p = _pattern(delimiter, None)
    if s is None or p is None:
        return None
    try:
        parts = p.split(s, timeout=REGEX_TIMEOUT)
    except TimeoutError:
        return None
    budget.items(len(parts))
    return parts


@builtin("string join", "list, delimiter", optional=1, budget=True)
def _join(budget, items, delimiter=None):
    items = norm(items)
    if not isinstance(items, list):
        return None
    if delimiter is not None and not isinstance(delimiter, str):
        return None
    parts = [norm(x) for x in items]
    if any(p is not None and not isinstance(p, str) for p in parts):
        return None
    parts = [p for p in parts if p is not None]
    budget.chars(sum(len(p) for p in parts) + len(delimiter or "") * len(parts))
    return (delimiter or "").join(parts)


from . import builtins_lists, builtins_numbers, builtins_time  # noqa: E402,F401  (register the rest)
