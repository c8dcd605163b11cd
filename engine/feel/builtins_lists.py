"""FEEL's list and numeric built-ins."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from . import ops
from .builtins import builtin, whole
from .values import CONTEXT, Function, YearsMonths, norm


def _list_or_args(args: tuple) -> list | None:
    if len(args) == 1 and isinstance(norm(args[0]), list):
        return [norm(x) for x in norm(args[0])]
    if len(args) == 1 and norm(args[0]) is None:
        return None
    return [norm(x) for x in args] if args else None


def _key(v: Any):
    """A hashable stand-in for FEEL equality where one exists (scalars), else None."""
    if v is None or isinstance(v, (bool, Decimal, str, dt.date, dt.timedelta, YearsMonths)):
        if isinstance(v, dt.datetime) and v.tzinfo is not None:
            return ("dtz", v.astimezone(dt.timezone.utc))
        if isinstance(v, dt.datetime):
            return ("dt", v)
        return (type(v).__name__, v)
    return None


def _index_of(items: list, value: Any, budget) -> list[int]:
    k = _key(value)
    out = []
    for i, x in enumerate(items):
        budget.tick(1)
        if (k is not None and _key(x) == k) or (k is None and ops.equals(x, value) is True):
            out.append(i)
    return out


def _distinct(items: list, budget) -> list:
    seen: set = set()
    out: list = []
    for x in items:
        budget.tick(1)
        k = _key(x)
        if k is not None:
            if k in seen:
                continue
            seen.add(k)
            out.append(x)
        elif not any(ops.equals(x, y) is True for y in out if _key(y) is None):
            out.append(x)
    return out


@builtin("list contains", "list, element", budget=True)
def _list_contains(budget, items, element):
    items = norm(items)
    if not isinstance(items, list):
        return None
    return bool(_index_of(items, norm(element), budget))


@builtin("count", "list")
def _count(items):
    items = norm(items)
    return CONTEXT.create_decimal(len(items)) if isinstance(items, list) else None


def _ordered(values: list | None, pick):
    if not values:
        return None
    best = values[0]
    for v in values[1:]:
        c = ops.compare(v, best)
        if c is None:
            return None
        if pick(c):
            best = v
    return best


@builtin("min", "list", variadic=True)
def _min(*args):
    return _ordered(_list_or_args(args), lambda c: c < 0)


@builtin("max", "list", variadic=True)
def _max(*args):
    return _ordered(_list_or_args(args), lambda c: c > 0)


def _numbers(args: tuple) -> list[Decimal] | None:
    values = _list_or_args(args)
    if values is None or not all(isinstance(v, Decimal) for v in values):
        return None
    return values


@builtin("sum", "list", variadic=True)
def _sum(*args):
    values = _numbers(args)
    if not values:
        return None
    total = CONTEXT.create_decimal(0)
    for v in values:
        total = CONTEXT.add(total, v)
    return total


@builtin("mean", "list", variadic=True)
def _mean(*args):
    values = _numbers(args)
    if not values:
        return None
    return CONTEXT.divide(_sum(values), CONTEXT.create_decimal(len(values)))


@builtin("product", "list", variadic=True)
def _product(*args):
    values = _numbers(args)
    if not values:
        return None
    total = CONTEXT.create_decimal(1)
    for v in values:
        total = CONTEXT.multiply(total, v)
    return total


@builtin("median", "list", variadic=True)
def _median(*args):
    values = _numbers(args)
    if values is None:
        return None
    if not values:
        return None
    values = sorted(values)
    mid = len(values) // 2
    if len(values) % 2:
        return values[mid]
    return CONTEXT.divide(CONTEXT.add(values[mid - 1], values[mid]), CONTEXT.create_decimal(2))


@builtin("stddev", "list", variadic=True)
def _stddev(*args):
    values = _numbers(args)
    if not values or len(values) < 2:
        return None
    mean = _mean(values)
    sq = CONTEXT.create_decimal(0)
    for v in values:
        d = CONTEXT.subtract(v, mean)
        sq = CONTEXT.add(sq, CONTEXT.multiply(d, d))
    return CONTEXT.sqrt(CONTEXT.divide(sq, CONTEXT.create_decimal(len(values) - 1)))


@builtin("mode", "list", variadic=True)
def _mode(*args):
    values = _numbers(args)
    if values is None:
        return None
    counts: dict = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    if not counts:
        return []
    top = max(counts.values())
    return sorted(v for v, n in counts.items() if n == top)


@builtin("all", "list", variadic=True)
def _all(*args):
    values = _list_or_args(args)
    if values is None:
        return None
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else None


@builtin("any", "list", variadic=True)
def _any(*args):
    values = _list_or_args(args)
    if values is None:
        return None
    if any(v is True for v in values):
        return True
    return False if all(v is False for v in values) else None


@builtin("sublist", "list, start position, length", optional=1)
def _sublist(items, start, length=None):
    items, s = norm(items), whole(start)
    if not isinstance(items, list) or s is None or s == 0 or abs(s) > len(items):
        return None
    begin = s - 1 if s > 0 else len(items) + s
    if length is None:
        return items[begin:]
    n = whole(length)
    if n is None or n < 0 or begin + n > len(items):
        return None
    return items[begin:begin + n]


@builtin("append", "list, item", variadic=True, budget=True)
def _append(budget, items, *more):
    items = norm(items)
    if not isinstance(items, list):
        return None
    budget.items(len(items) + len(more))
    return items + list(more)


@builtin("concatenate", "list", variadic=True, budget=True)
def _concatenate(budget, *lists):
    lists = tuple(norm(x) for x in lists)
    if not all(isinstance(x, list) for x in lists):
        return None
    budget.items(sum(len(x) for x in lists))
    return [y for x in lists for y in x]


@builtin("insert before", "list, position, newItem")
def _insert_before(items, position, new):
    items, p = norm(items), whole(position)
    if not isinstance(items, list) or p is None or p == 0 or abs(p) > len(items):
        return None
    i = p - 1 if p > 0 else len(items) + p
    return items[:i] + [new] + items[i:]


@builtin("remove", "list, position")
def _remove(items, position):
    items, p = norm(items), whole(position)
    if not isinstance(items, list) or p is None or p == 0 or abs(p) > len(items):
        return None
    i = p - 1 if p > 0 else len(items) + p
    return items[:i] + items[i + 1:]


@builtin("list replace", "list, position, newItem", alternatives=("list, match, newItem",), budget=True)
def _list_replace(budget, items, where, new):
    items = norm(items)
    if not isinstance(items, list):
        return None
    where = norm(where)
    if isinstance(where, Decimal):
        p = whole(where)
        if p is None or p == 0 or abs(p) > len(items):
            return None
        i = p - 1 if p > 0 else len(items) + p
        return items[:i] + [new] + items[i + 1:]
    if isinstance(where, Function):
        from .evaluation import invoke

        return [new if invoke(where, [x, new], budget, "match", None, None) is True else x for x in items]
    return None


@builtin("reverse", "list")
def _reverse(items):
    items = norm(items)
    return list(reversed(items)) if isinstance(items, list) else None


@builtin("index of", "list, match", budget=True)
def _index(budget, items, match):
    items = norm(items)
    if not isinstance(items, list):
        return None
    return [CONTEXT.create_decimal(i + 1) for i in _index_of(items, norm(match), budget)]


@builtin("union", "list", variadic=True, budget=True)
def _union(budget, *lists):
    lists = tuple(norm(x) for x in lists)
    if not all(isinstance(x, list) for x in lists):
        return None
    return _distinct([y for x in lists for y in x], budget)


@builtin("distinct values", "list", budget=True)
def _distinct_values(budget, items):
    items = norm(items)
    return _distinct(items, budget) if isinstance(items, list) else None


@builtin("flatten", "list", budget=True)
def _flatten(budget, items):
    items = norm(items)
    if not isinstance(items, list):
        return None
    out: list = []

    def walk(xs):
        for x in xs:
            budget.tick(1)
            x = norm(x)
            if isinstance(x, list):
                walk(x)
            else:
                out.append(x)
    walk(items)
    budget.items(len(out))
    return out


@builtin("sort", "list, precedes", optional=1, budget=True)
def _sort(budget, items, precedes=None):
    import functools

    from .evaluation import invoke

    items = norm(items)
    if not isinstance(items, list):
        return None
    if precedes is None:
        def cmp(a, b):
            c = ops.compare(a, b)
            if c is None:
                raise ValueError("not comparable")
            return c
    elif isinstance(precedes, Function):
        def cmp(a, b):
            return -1 if invoke(precedes, [a, b], budget, "precedes", None, None) is True else 1
    else:
        return None
    return sorted(items, key=functools.cmp_to_key(cmp))
