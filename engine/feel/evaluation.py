"""What compiled FEEL runs on: scopes, unary-test matching, paths, filters, iteration and calls."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from . import ops, temporal
from .builtins import BUILTINS
from .values import CONTEXT, FeelError, Function, Range, norm

_MISSING = object()


class Env:
    """A scope: its own names, then its parent's, then the data, then the built-ins."""

    __slots__ = ("names", "parent", "budget")

    def __init__(self, names: dict, parent: "Env | None", budget):
        self.names, self.parent, self.budget = names, parent, budget

    def lookup(self, name: str) -> Any:
        env = self
        while env is not None:
            value = env.names.get(name, _MISSING)
            if value is not _MISSING:
                return norm(value)
            env = env.parent
        fn = BUILTINS.get(name)
        return fn

    def child(self, names: dict) -> "Env":
        return Env(names, self, self.budget)


Fn = Callable[[Env], Any]


@dataclass(frozen=True)
class Node:
    fn: Fn
    names: frozenset = frozenset()  # free names read, for the decision context kept for replay
    pos: int | None = None
    var: str | None = None  # the name, when the node is a plain name


def _pos(tok) -> int | None:
    return getattr(tok, "start_pos", None)


def _nodes(children) -> list[Node]:
    return [c for c in children if isinstance(c, Node)]


def _names(*nodes) -> frozenset:
    out: set = set()
    for n in nodes:
        if isinstance(n, Node):
            out |= n.names
    return frozenset(out)


def _truth(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def satisfies(value: Any, test: Any) -> bool:
    """Does `value` pass a positive unary test whose expression (one not using `?`) evaluated to `test`?"""
    if isinstance(test, Range):
        return test.contains(value) is True
    if isinstance(test, list):
        return any(satisfies_one(value, t) for t in test)
    return ops.equals(value, test) is True


def satisfies_one(value: Any, test: Any) -> bool:
    test = norm(test)
    if isinstance(test, Range):
        return test.contains(value) is True
    return ops.equals(value, test) is True


_COMPARE: dict[str, Callable[[int], bool]] = {
    "<": lambda c: c < 0, "<=": lambda c: c <= 0, ">": lambda c: c > 0, ">=": lambda c: c >= 0,
}


def compare_op(op: str, a: Any, b: Any) -> bool | None:
    if op == "=":
        return ops.equals(a, b)
    if op == "!=":
        e = ops.equals(a, b)
        return None if e is None else not e
    c = ops.compare(a, b)
    return None if c is None else _COMPARE[op](c)


class Test:
    """One positive unary test: a comparison with the input (`< 18`) or an expression (`[1..5]`, `"A"`,
    `? > x`), evaluated with `?` bound to the input."""

    __slots__ = ("op", "node", "uses_input")

    def __init__(self, op: str | None, node: Node):
        self.op, self.node = op, node
        # `? > x` is a condition on the input; `"A"`, `[1..5]` or `x` are values it must equal or lie in.
        self.uses_input = "?" in node.names

    def check(self, value: Any, env: Env) -> bool:
        if self.op is not None:
            return compare_op(self.op, value, self.node.fn(env)) is True
        result = self.node.fn(env)
        if self.uses_input:
            return result is True
        return satisfies(value, result)


def ops_and(a, b):
    a, b = _truth(a), _truth(b)
    if a is False or b is False:
        return False
    return True if a is True and b is True else None


def _item_scope(env: Env, item: Any) -> Env:
    item = norm(item)
    names = dict(item) if isinstance(item, dict) else {}
    names["item"] = item
    return env.child(names)


def _iterate(lo: Node, hi: Node | None, env: Env, budget, pos):
    start = lo.fn(env)
    if hi is None:
        seq = norm(start)
        if isinstance(seq, Range):
            start, end = seq.start, seq.end
            if not (isinstance(start, Decimal) and isinstance(end, Decimal)):
                raise FeelError("only number ranges can be iterated", None, pos)
            lo_i = int(start) + (0 if seq.start_included else 1)
            hi_i = int(end) - (0 if seq.end_included else 1)
            return (CONTEXT.create_decimal(i) for i in range(lo_i, hi_i + 1))
        if seq is None:
            return iter(())
        return iter(seq if isinstance(seq, list) else [seq])
    end = hi.fn(env)
    start, end = norm(start), norm(end)
    if not (isinstance(start, Decimal) and isinstance(end, Decimal)):
        raise FeelError("a for range needs numbers at both ends", None, pos)
    a, b = int(start), int(end)
    step = 1 if b >= a else -1
    return (CONTEXT.create_decimal(i) for i in range(a, b + step, step))


def index(seq: list, position: Decimal) -> Any:
    if position != position.to_integral_value():
        return None
    i = int(position)
    if i > 0 and i <= len(seq):
        return seq[i - 1]
    if i < 0 and -i <= len(seq):
        return seq[i]
    return None


def get_path(value: Any, key: str) -> Any:
    value = norm(value)
    if isinstance(value, dict):
        v = value.get(key)
        return norm(v)
    if isinstance(value, list):
        return [get_path(v, key) for v in value]
    if isinstance(value, Range):
        return {"start": value.start, "end": value.end, "start included": value.start_included,
                "end included": value.end_included}.get(key)
    if value is None:
        return None
    return temporal.property_of(value, key)


def invoke(fn: Any, args: list, budget, label: str, source: str | None, pos: int | None) -> Any:
    if not isinstance(fn, Function):
        raise FeelError(f"'{label}' is not a function", source, pos)
    n = len(args)
    if fn.variadic:
        pass
    elif n > len(fn.params) or n < len(fn.params) - fn.optional:
        return None
    budget.tick(1, pos)
    try:
        return _call(fn, args, budget, pos)
    except FeelError as exc:
        if exc.position is not None or pos is None:
            raise
        from .budget import BudgetExceeded

        if isinstance(exc, BudgetExceeded):
            raise BudgetExceeded(exc.reason, pos) from None
        raise FeelError(exc.reason, None, pos) from None


def _call(fn: Function, args: list, budget, pos: int | None) -> Any:
    if fn.wants_budget:
        budget.depth += 1
        if budget.depth > budget.limits.depth:
            from .budget import BudgetExceeded

            raise BudgetExceeded(f"functions nest deeper than {budget.limits.depth} calls", pos)
        try:
            return fn.impl(budget, *args)
        finally:
            budget.depth -= 1
    return fn.impl(*args)

