"""FEEL's temporal, range and context built-ins."""
from __future__ import annotations

import contextvars
import datetime as dt
from typing import Any, Callable

from . import ops
from .builtins import builtin, text
from .temporal import DAY_NAMES, MONTH_NAMES
from .values import CONTEXT, Range, norm

def _engine_clock() -> dt.datetime:
    from ..clock import utcnow

    return utcnow()


# `now()` and `today()` read the engine's clock, so tests that move time move FEEL too.
CLOCK: contextvars.ContextVar[Callable[[], dt.datetime]] = contextvars.ContextVar("feel_clock", default=_engine_clock)


def _day(v: Any) -> dt.date | None:
    v = norm(v)
    return v if isinstance(v, dt.date) else None


@builtin("now")
def _now():
    return CLOCK.get()()


@builtin("today")
def _today():
    return CLOCK.get()().date()


@builtin("day of year", "date")
def _day_of_year(d):
    d = _day(d)
    return CONTEXT.create_decimal(d.timetuple().tm_yday) if d else None


@builtin("day name", "date")
def _day_name(d):
    d = _day(d)
    return DAY_NAMES[d.weekday()] if d else None


@builtin("day of week", "date")
def _day_of_week(d):
    return _day_name(d)


@builtin("week of year", "date")
def _week_of_year(d):
    d = _day(d)
    return CONTEXT.create_decimal(d.isocalendar()[1]) if d else None


@builtin("month of year", "date")
def _month_of_year(d):
    d = _day(d)
    return MONTH_NAMES[d.month - 1] if d else None


# -- ranges -------------------------------------------------------------------------------
def _lt(a, b):
    c = ops.compare(a, b)
    if c is None:
        raise ValueError("not comparable")
    return c < 0


def _eq(a, b):
    c = ops.compare(a, b)
    if c is None:
        raise ValueError("not comparable")
    return c == 0


def _r(v):
    v = norm(v)
    return v if isinstance(v, Range) else None


def _before(a, b):
    ra, rb = _r(a), _r(b)
    if ra is None and rb is None:
        return _lt(a, b)
    if ra is None:
        return _lt(a, rb.start) or (_eq(a, rb.start) and not rb.start_included)
    if rb is None:
        return _lt(ra.end, b) or (_eq(ra.end, b) and not ra.end_included)
    return _lt(ra.end, rb.start) or (_eq(ra.end, rb.start) and not (ra.end_included and rb.start_included))


@builtin("before", "point1, point2", alternatives=("point, range", "range, point", "range1, range2"))
def _before_fn(a, b):
    return _before(a, b)


@builtin("after", "point1, point2", alternatives=("point, range", "range, point", "range1, range2"))
def _after_fn(a, b):
    return _before(b, a)


def _meets(a, b):
    a, b = _r(a), _r(b)
    if a is None or b is None:
        return None
    return a.end_included and b.start_included and _eq(a.end, b.start)


@builtin("meets", "range1, range2")
def _meets_fn(a, b):
    return _meets(a, b)


@builtin("met by", "range1, range2")
def _met_by(a, b):
    return _meets(b, a)


@builtin("overlaps", "range1, range2")
def _overlaps(a, b):
    if _r(a) is None or _r(b) is None:
        return None
    return not (_before(a, b) or _before(b, a))


def _overlaps_before(a, b):
    a, b = _r(a), _r(b)
    if a is None or b is None:
        return None
    starts_first = _lt(a.start, b.start) or (_eq(a.start, b.start) and a.start_included and not b.start_included)
    reaches = _lt(b.start, a.end) or (_eq(a.end, b.start) and a.end_included and b.start_included)
    ends_first = _lt(a.end, b.end) or (_eq(a.end, b.end) and (not a.end_included or b.end_included))
    return starts_first and reaches and ends_first


@builtin("overlaps before", "range1, range2")
def _overlaps_before_fn(a, b):
    return _overlaps_before(a, b)


@builtin("overlaps after", "range1, range2")
def _overlaps_after(a, b):
    return _overlaps_before(b, a)


def _finishes(a, b):
    ra, rb = _r(a), _r(b)
    if rb is None:
        return None
    if ra is None:
        return rb.end_included and _eq(a, rb.end)
    return (ra.end_included == rb.end_included and _eq(ra.end, rb.end)
            and (_lt(rb.start, ra.start) or (_eq(ra.start, rb.start) and (not ra.start_included or rb.start_included))))


@builtin("finishes", "point, range", alternatives=("range1, range2",))
def _finishes_fn(a, b):
    return _finishes(a, b)


@builtin("finished by", "range, point", alternatives=("range1, range2",))
def _finished_by(a, b):
    return _finishes(b, a)


def _includes(a, b):
    ra, rb = _r(a), _r(b)
    if ra is None:
        return None
    if rb is None:
        return ra.contains(b)
    return ((_lt(ra.start, rb.start) or (_eq(ra.start, rb.start) and (ra.start_included or not rb.start_included)))
            and (_lt(rb.end, ra.end) or (_eq(ra.end, rb.end) and (ra.end_included or not rb.end_included))))


@builtin("includes", "range, point", alternatives=("range1, range2",))
def _includes_fn(a, b):
    return _includes(a, b)


@builtin("during", "point, range", alternatives=("range1, range2",))
def _during(a, b):
    return _includes(b, a)


def _starts(a, b):
    ra, rb = _r(a), _r(b)
    if rb is None:
        return None
    if ra is None:
        return rb.start_included and _eq(a, rb.start)
    return (_eq(ra.start, rb.start) and ra.start_included == rb.start_included
            and (_lt(ra.end, rb.end) or (_eq(ra.end, rb.end) and (not ra.end_included or rb.end_included))))


@builtin("starts", "point, range", alternatives=("range1, range2",))
def _starts_fn(a, b):
    return _starts(a, b)


@builtin("started by", "range, point", alternatives=("range1, range2",))
def _started_by(a, b):
    return _starts(b, a)


@builtin("coincides", "point1, point2", alternatives=("range1, range2",))
def _coincides(a, b):
    ra, rb = _r(a), _r(b)
    if ra is None and rb is None:
        return _eq(a, b)
    if ra is None or rb is None:
        return None
    return (_eq(ra.start, rb.start) and _eq(ra.end, rb.end) and ra.start_included == rb.start_included
            and ra.end_included == rb.end_included)


# -- contexts -----------------------------------------------------------------------------
@builtin("get value", "m, key")
def _get_value(m, key):
    m, key = norm(m), text(key)
    if not isinstance(m, dict) or key is None:
        return None
    return m.get(key)


@builtin("get entries", "m")
def _get_entries(m):
    m = norm(m)
    if not isinstance(m, dict):
        return None
    return [{"key": k, "value": v} for k, v in m.items()]


@builtin("context put", "context, key, value", alternatives=("context, keys, value",))
def _context_put(m, key, value):
    m, key = norm(m), norm(key)
    if not isinstance(m, dict):
        return None
    if isinstance(key, str):
        return {**m, key: value}
    if isinstance(key, list) and key and all(isinstance(k, str) for k in key):
        if len(key) == 1:
            return {**m, key[0]: value}
        inner = norm(m.get(key[0]))
        if not isinstance(inner, dict):
            return None
        return {**m, key[0]: _context_put(inner, key[1:], value)}
    return None


@builtin("context merge", "contexts")
def _context_merge(contexts):
    contexts = norm(contexts)
    if not isinstance(contexts, list):
        return None
    out: dict = {}
    for c in contexts:
        c = norm(c)
        if not isinstance(c, dict):
            return None
        out.update(c)
    return out


@builtin("context", "entries")
def _context(entries):
    entries = norm(entries)
    if not isinstance(entries, list):
        return None
    out: dict = {}
    for e in entries:
        e = norm(e)
        if not isinstance(e, dict) or not isinstance(e.get("key"), str) or "value" not in e or e["key"] in out:
            return None
        out[e["key"]] = e["value"]
    return out
