"""`instance of` and the type names a DMN model may give its variables."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from .values import Function, Range, YearsMonths, norm

_SIMPLE = {
    "number": lambda v: isinstance(v, Decimal),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    "time": lambda v: isinstance(v, dt.time),
    "date and time": lambda v: isinstance(v, dt.datetime),
    "dateTime": lambda v: isinstance(v, dt.datetime),
    "days and time duration": lambda v: isinstance(v, dt.timedelta),
    "dayTimeDuration": lambda v: isinstance(v, dt.timedelta),
    "years and months duration": lambda v: isinstance(v, YearsMonths),
    "yearMonthDuration": lambda v: isinstance(v, YearsMonths),
    "list": lambda v: isinstance(v, list),
    "context": lambda v: isinstance(v, dict),
    "range": lambda v: isinstance(v, Range),
    "function": lambda v: isinstance(v, Function),
    "Any": lambda v: v is not None,
    "Null": lambda v: v is None,
}
KNOWN = frozenset(_SIMPLE)


def is_instance(value: Any, t: tuple) -> bool:
    value = norm(value)
    kind = t[0]
    if kind == "name":
        check = _SIMPLE.get(t[1])
        if check is None:
            return False
        return check(value)
    if kind == "generic":
        name, args = t[1], t[2]
        if name == "list" and isinstance(value, list) and len(args) == 1:
            return all(v is None or is_instance(v, args[0]) for v in value)
        if name == "range" and isinstance(value, Range) and len(args) == 1:
            return all(e is None or is_instance(e, args[0]) for e in (value.start, value.end))
        return False
    if kind == "context":
        return isinstance(value, dict) and all(k in value and is_instance(value[k], sub) for k, sub in t[1].items())
    if kind == "function":
        return isinstance(value, Function)
    return False


class TypeRules:
    """The parse-tree rules for type names (`list<number>`, `context<a: string>`), mixed into the compiler."""

    def type_name(self, c):
        return ("name", c[0].value)

    def type_generic(self, c):
        args = [x for x in c[1:] if isinstance(x, tuple)]
        return ("generic", c[0].value, args)

    def type_context(self, c):
        entries = [x for x in c[1:] if isinstance(x, tuple) and x[0] == "entry"]
        return ("context", {k: t for _, k, t in entries})

    def type_entry(self, c):
        return ("entry", c[0].value, c[2])

    def type_function(self, c):
        parts = [x for x in c if isinstance(x, tuple)]
        return ("function", parts[:-1], parts[-1])
