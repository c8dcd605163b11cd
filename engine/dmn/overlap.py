"""Deploy-time check that a UNIQUE table's rules cannot match the same inputs.

Each cell is read as a set of intervals over the column's values: `-` is everything,
`< 18` is (-inf, 18), `[18..65]` is [18, 65], `"A", "B"` two points, `not(...)` the
complement. Two rules overlap when, column by column, their sets intersect. A cell this
cannot read (one comparing with another variable, say) is treated as unknown, and a pair
with an unknown column is not reported: only overlaps that are certain refuse a deployment.
"""
from __future__ import annotations

from typing import Any

from .. import feel
from ..feel import ops
from ..feel.values import Range

class _Infinity:
    def __init__(self, sign: str):
        self.sign = sign

    def __repr__(self) -> str:
        return f"{self.sign}inf"


NEG, POS = _Infinity("-"), _Infinity("+")  # objects, so that no cell value can be taken for them
Interval = tuple[Any, bool, Any, bool]  # low, low included, high, high included
UNKNOWN = None


def _cmp(a, b) -> int | None:
    if a is b:
        return 0
    if a is NEG or b is POS:
        return -1
    if a is POS or b is NEG:
        return 1
    return ops.compare(a, b)


def _const(test):
    """The constant a test compares with, if it reads no names."""
    if test.node.names:
        return UNKNOWN, False
    from ..feel.evaluation import Env

    try:
        return test.node.fn(Env({}, None, feel.Budget())), True
    except Exception:
        return UNKNOWN, False


def cell_intervals(cell: feel.UnaryTests) -> list[Interval] | None:
    if cell.tests is None:
        return [(NEG, False, POS, False)]
    out: list[Interval] = []
    for test in cell.tests:
        if test.uses_input:
            return None
        value, ok = _const(test)
        if not ok:
            return None
        op = test.op
        if op is None:
            value = feel.norm(value)
            if isinstance(value, Range):
                out.append((value.start if value.start is not None else NEG, value.start_included,
                            value.end if value.end is not None else POS, value.end_included))
            elif isinstance(value, list):
                out.extend((v, True, v, True) for v in (feel.norm(x) for x in value))
            else:
                out.append((value, True, value, True))
        elif op == "<":
            out.append((NEG, False, value, False))
        elif op == "<=":
            out.append((NEG, False, value, True))
        elif op == ">":
            out.append((value, False, POS, False))
        elif op == ">=":
            out.append((value, True, POS, False))
        elif op == "=":
            out.append((value, True, value, True))
        else:  # != v
            out.extend([(NEG, False, value, False), (value, False, POS, False)])
    if cell.negated:
        return _complement(out)
    return out


def _complement(intervals: list[Interval]) -> list[Interval] | None:
    try:
        ordered = sorted(intervals, key=_SortKey)
    except _Incomparable:
        return None
    out, lo, lo_inc = [], NEG, False
    for a, a_inc, b, b_inc in ordered:
        c = _cmp(lo, a)
        if c is None:
            return None
        if c < 0 or (c == 0 and not a_inc and not lo_inc and lo is not NEG):
            out.append((lo, lo_inc, a, not a_inc))
        hi_c = _cmp(b, lo)
        if hi_c is None:
            return None
        if hi_c > 0 or (hi_c == 0 and b_inc):
            lo, lo_inc = b, not b_inc
    if lo is not POS:
        out.append((lo, lo_inc, POS, False))
    return out


class _Incomparable(Exception):
    pass


class _SortKey:
    def __init__(self, iv):
        self.iv = iv

    def __lt__(self, other):
        c = _cmp(self.iv[0], other.iv[0])
        if c is None:
            raise _Incomparable
        return c < 0


def _meet(x: Interval, y: Interval) -> bool | None:
    (a, ai, b, bi), (c, ci, d, di) = x, y
    # x and y intersect unless one ends before the other starts.
    e1, e2 = _cmp(b, c), _cmp(d, a)
    if e1 is None or e2 is None:
        kinds = {type(v) for v in (a, b, c, d) if not isinstance(v, _Infinity)}
        return False if len(kinds) > 1 else None  # different types never meet
    if e1 < 0 or (e1 == 0 and not (bi and ci)):
        return False
    if e2 < 0 or (e2 == 0 and not (di and ai)):
        return False
    return True


def _cells_meet(p: list[Interval] | None, q: list[Interval] | None) -> bool | None:
    if p is None or q is None:
        return None
    unknown = False
    for x in p:
        for y in q:
            m = _meet(x, y)
            if m is True:
                return True
            unknown |= m is None
    return None if unknown else False


def unique_overlaps(table) -> list[tuple[str, str]]:
    cells = [[cell_intervals(t) for t in rule.tests] for rule in table.rules]
    clashes = []
    for i, ri in enumerate(table.rules):
        for j in range(i + 1, len(table.rules)):
            rj = table.rules[j]
            if all(_cells_meet(a, b) is True for a, b in zip(cells[i], cells[j])):
                clashes.append((ri.id, rj.id))
    return clashes

