"""Decision tables: every hit policy of DMN 1.5, the rules that fired, and their explanations."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .. import feel
from ..feel import ops
from ..feel.evaluation import Env
from .errors import DecisionError

SINGLE = {"UNIQUE", "ANY", "PRIORITY", "FIRST"}
MULTIPLE = {"RULE ORDER", "OUTPUT ORDER", "COLLECT"}
AGGREGATIONS = {None, "SUM", "MIN", "MAX", "COUNT"}
_SHORT = {"U": "UNIQUE", "A": "ANY", "P": "PRIORITY", "F": "FIRST", "R": "RULE ORDER", "O": "OUTPUT ORDER",
          "C": "COLLECT", "RULE_ORDER": "RULE ORDER", "OUTPUT_ORDER": "OUTPUT ORDER"}
_COLLECT_SHORT = {"C+": "SUM", "C<": "MIN", "C>": "MAX", "C#": "COUNT"}


@dataclass
class Input:
    label: str
    expression: feel.Expression
    allowed: feel.UnaryTests | None = None


@dataclass
class Output:
    name: str | None
    allowed: feel.UnaryTests | None = None  # outputValues: the priority order for P and O
    default: feel.Expression | None = None


@dataclass
class Rule:
    id: str
    row: int
    tests: list[feel.UnaryTests]
    outputs: list[feel.Expression]
    description: str = ""

    def __post_init__(self) -> None:
        # Only the cells that test something: most cells of a wide table are `-`.
        self.active = [(i, cell) for i, cell in enumerate(self.tests) if cell.tests is not None]


@dataclass
class TableResult:
    value: Any
    inputs: dict[str, Any]
    matched: list[Rule] = field(default_factory=list)


@dataclass
class Table:
    id: str
    hit_policy: str
    aggregation: str | None
    inputs: list[Input]
    outputs: list[Output]
    rules: list[Rule]
    variable: str  # the name a single unnamed output takes

    @property
    def output_names(self) -> list[str]:
        return [o.name or self.variable for o in self.outputs]

    def names(self) -> frozenset[str]:
        out: set[str] = set()
        for i in self.inputs:
            out |= i.expression.names
        for r in self.rules:
            for t in r.tests:
                out |= t.names
            for o in r.outputs:
                out |= o.names
        return frozenset(out)

    def evaluate(self, scope: dict, budget: feel.Budget, strict: bool) -> TableResult:
        # One scope for the data and one per column, `?` bound to its value, shared by every rule's
        # cell in that column: a table of 18 rules x 15 columns would otherwise build 540 scopes.
        data = Env(scope, None, budget)
        try:
            values = [feel.norm(i.expression.node.fn(data)) for i in self.inputs]
        except feel.FeelError as exc:
            raise DecisionError(f"input failed: {exc.reason}", element=self.id) from None
        labels = {i.label: v for i, v in zip(self.inputs, values)}
        columns = [Env({"?": v}, data, budget) for v in values]
        matched: list[Rule] = []
        first = self.hit_policy == "FIRST"
        for rule in self.rules:
            budget.tick(1)
            try:
                hit = all(cell.matches_in(values[i], columns[i]) for i, cell in rule.active)
            except feel.FeelError as exc:
                raise DecisionError(f"cell failed: {exc.reason}", element=rule.id) from None
            if hit:
                matched.append(rule)
                if first:
                    break
        return TableResult(self._combine(matched, scope, budget, strict), labels, matched)

    def _row(self, rule: Rule, scope: dict, budget) -> Any:
        outs = [e.evaluate(scope, budget) for e in rule.outputs]
        if len(self.outputs) == 1:
            return outs[0]
        return dict(zip(self.output_names, outs))

    def _default(self, scope: dict, budget) -> Any:
        if not any(o.default for o in self.outputs):
            return None
        outs = [o.default.evaluate(scope, budget) if o.default else None for o in self.outputs]
        return outs[0] if len(self.outputs) == 1 else dict(zip(self.output_names, outs))

    def _priority(self, rule: Rule, scope: dict, budget) -> tuple:
        keys = []
        for out, expr in zip(self.outputs, rule.outputs):
            if out.allowed is None or out.allowed.tests is None:
                keys.append(0)
                continue
            rank = out.allowed.first_match(expr.evaluate(scope, budget), scope, budget)
            keys.append(len(out.allowed.tests) if rank is None else rank)
        return tuple(keys)

    def _combine(self, matched: list[Rule], scope: dict, budget, strict: bool) -> Any:
        policy = self.hit_policy
        if policy in SINGLE:
            if not matched:
                default = self._default(scope, budget)
                if default is None and strict:
                    raise DecisionError("no rule matched the inputs and this table must decide", element=self.id)
                return default
            if policy == "UNIQUE" and len(matched) > 1:
                if strict:
                    raise DecisionError(f"UNIQUE table has overlapping rules: {', '.join(r.id for r in matched)} all match",
                                        element=self.id)
                return None
            if policy == "ANY":
                rows = [self._row(r, scope, budget) for r in matched]
                if any(ops.equals(r, rows[0]) is not True for r in rows):
                    if strict:
                        raise DecisionError("ANY table: matching rules disagree on the output", element=self.id)
                    return None
                return rows[0]
            if policy == "PRIORITY":
                best = min(matched, key=lambda r: self._priority(r, scope, budget))
                return self._row(best, scope, budget)
            return self._row(matched[0], scope, budget)
        if policy == "OUTPUT ORDER":
            matched = sorted(matched, key=lambda r: self._priority(r, scope, budget))
        rows = [self._row(r, scope, budget) for r in matched]
        agg = self.aggregation
        if agg is None:
            return rows
        if agg == "COUNT":
            return feel.norm(len(rows))
        if not rows:
            return None
        if agg == "SUM":
            total = rows[0]
            for r in rows[1:]:
                total = ops.add(total, r)
            return total
        best = rows[0]
        for r in rows[1:]:
            c = ops.compare(r, best)
            if c is None:
                return None
            if (agg == "MIN" and c < 0) or (agg == "MAX" and c > 0):
                best = r
        return best


def hit_policy(raw: str | None, aggregation: str | None, where: dict) -> tuple[str, str | None]:
    policy = (raw or "UNIQUE").strip().upper()
    if policy in _COLLECT_SHORT:  # the table notation C+, C<, C>, C# written into the attribute
        if aggregation:
            raise DecisionError(f"hit policy {raw} already names its aggregation", **where)
        policy, aggregation = "COLLECT", _COLLECT_SHORT[policy]
    policy = _SHORT.get(policy, policy.replace("_", " "))
    if policy not in SINGLE | MULTIPLE:
        raise DecisionError(f"hit policy {raw} is not a DMN hit policy (U, A, P, F, R, O, C)", **where)
    agg = aggregation.strip().upper() if aggregation else None
    if agg not in AGGREGATIONS or (agg and policy != "COLLECT"):
        raise DecisionError(f"aggregation {aggregation} needs hit policy COLLECT and one of SUM, MIN, MAX, COUNT", **where)
    return policy, agg


_ = Decimal
