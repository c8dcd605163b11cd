"""FEEL values to and from JSON text, numbers kept exact (no detour through float)."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from . import temporal
from .builtins import format_number
from .values import Function, Range, YearsMonths, norm


def loads(text: str) -> Any:
    """JSON as FEEL reads it: every number a Decimal."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def dumps(value: Any) -> str:
    value = norm(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (dt.date, dt.time, dt.timedelta, YearsMonths)):
        return json.dumps(temporal.format_value(value))
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Range):
        return dumps({"start": value.start, "end": value.end, "start included": value.start_included,
                      "end included": value.end_included})
    if isinstance(value, Function):
        return json.dumps(repr(value))
    return "null"
