"""Risk signals in the nightly run: the rules of processes/post_loan_signals.dmn over each partition's loans,
as of the business date, stored with their evidence and the rule that fired (issue 12).

The table is the DEPLOYED version of `post_loan_signals` (risk staff change it without a release); with none
deployed, no signal is raised. A deployment is immutable, so what the run needs from it (the thresholds
the candidate queries watch, the facts each rule reads) is worked out once per table and kept.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from credit.postloan import signals
from credit.postloan.nightly import PartitionResult
from engine import feel
from engine.dmn import DecisionError, Table, evaluate
from engine.dmn.overlap import NEG, POS, cell_intervals

from .bootstrap import Container

DECISION = "post_loan_signals"
SEVERITIES = ("info", "warning", "alert")
log = logging.getLogger(__name__)


@dataclass
class Rules:
    table: Table
    version: str
    watch: signals.Watch
    reads: dict[str, tuple[str, ...]]  # rule id -> the facts its cells test

    def decide(self, facts: dict[str, Any]) -> list[signals.Fired]:
        ev = evaluate(self.table, {"facts": facts}, strict=False)
        outs, fired = ev.outputs, []
        for n, rule_id in enumerate(ev.matched_rules):
            def out(name: str, default: Any) -> Any:
                values = outs.get(name)
                value = values[n] if isinstance(values, list) and n < len(values) else None
                return default if value is None else value

            code = out("code", rule_id)
            if not isinstance(code, str) or not code or len(code) > 32:
                log.warning("%s: rule %s gives no usable code (%r); skipped", self.version, rule_id, code)
                continue
            severity = out("severity", "warning")
            fired.append(signals.Fired(
                rule_id=rule_id, code=code, severity=severity if severity in SEVERITIES else "warning",
                onsite=out("onsite", False) is True, description=ev.descriptions[n] if n < len(ev.descriptions) else "",
                reads=self.reads.get(rule_id, ())))
        return fired


_rules: dict[str, Rules] = {}
_lock = threading.Lock()


def deployed_rules(c: Container, s: Session) -> Rules | None:
    """The deployed post_loan_signals table, read once per version; None when it is not deployed."""
    definition = c.definitions.latest_definition(s, DECISION)
    if definition is None:
        return None
    key = f"{definition.deployment_id}:{definition.sha256}"
    found = _rules.get(key)
    if found is None:
        table = c.definitions.compiled(s, definition.deployment_id).tables.get(DECISION)
        if table is None:
            return None
        with _lock:
            found = _rules[key] = read_rules(table, f"{DECISION} v{definition.version} ({definition.sha256[:12]})")
    return found


def _fact(source: str) -> str | None:
    parts = source.strip().split(".")
    return parts[1] if len(parts) == 2 and parts[0] == "facts" and parts[1].isidentifier() else None


def read_rules(table: Table, version: str) -> Rules:
    inputs = table.table.inputs if table.table else []
    facts = [_fact(i.expression.source) for i in inputs]
    reads = {r.id: tuple(dict.fromkeys(facts[i] or inputs[i].label for i, _cell in r.active)) for r in table.rules}
    return Rules(table, version, signals.Watch(**{name: _points(table, inputs, facts, name) for name in signals.WATCHED}), reads)


def _points(table: Table, inputs, facts: list[str | None], name: str) -> tuple[Decimal, ...] | None:
    """The constants the cells of `name`'s columns compare with; None if some cell cannot be read so."""
    if any(name in i.expression.source and f != name for i, f in zip(inputs, facts)):
        return None  # read through an expression (facts.x / 30, …): thresholds unknown
    columns = [n for n, f in enumerate(facts) if f == name]
    points: set[Decimal] = set()
    for rule in table.rules:
        for n in columns:
            intervals = cell_intervals(rule.tests[n])
            if intervals is None:
                return None
            for low, _, high, _ in intervals:
                for bound in (low, high):
                    if bound is NEG or bound is POS:
                        continue
                    if not isinstance(bound, Decimal):
                        return None
                    points.add(bound)
    return tuple(sorted(points))


def after_partition(c: Container, s: Session, day: date, result: PartitionResult, actor: str) -> int:
    """Raise the partition's signals for `day` in the partition's transaction; the number raised."""
    rules = deployed_rules(c, s)
    if rules is None:
        return 0

    def decide(facts: dict[str, Any]) -> list[signals.Fired]:
        try:
            return rules.decide(facts)
        except (DecisionError, feel.FeelError) as exc:  # one loan's facts the table cannot read: not the run
            log.warning("%s failed for facts %s: %s", rules.version, facts, exc)
            return []

    raised = signals.raise_signals(s.connection(), day, result.lo, result.hi, rules.watch, decide, rules.version,
                                   c.clock.now())
    for r in raised:  # signals are rare: one audit event each, on the loan's application chain
        c.runtime.record(s, actor, "risk_signal_raised", str(r.application_id), {
            "loan_id": r.loan_id, "signal_id": r.id, "as_of": day.isoformat(), "code": r.code, "rule_id": r.rule_id,
            "severity": r.severity, "onsite": r.onsite, "decision": rules.version})
    return len(raised)
