"""Risk signals in the nightly run: the rules of processes/post_loan_signals.dmn over each partition's loans,
as of the business date, stored with their evidence and the rule that fired (issue 12).

The table is the DEPLOYED version of `post_loan_signals` (risk staff change it without a release); with none
deployed, no signal is raised. A deployment is immutable, so what the run needs from it (the thresholds
the candidate queries watch, the facts each rule reads) is worked out once per table and kept.
"""
from __future__ import annotations

import csv
import hashlib
import io
import logging
import pathlib
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from credit.models import Customer
from credit.postloan import events, signals
from credit.postloan.models import ProviderEvent, RiskSignal
from credit.postloan.repayments import Refused
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
    constant: bool = False  # every output cell is a constant: the outputs depend on which rules fire only
    memo: dict[tuple, list[signals.Fired]] = field(default_factory=dict)

    MEMO_SIZE = 10_000

    def _key(self, facts: dict[str, Any]) -> tuple:
        """The facts as the table tells them apart: a watched number by where it lies among its thresholds."""
        key = []
        for name in sorted(facts):
            value, points = facts[name], getattr(self.watch, name, None) if name in signals.WATCHED else None
            if points is None or value is None or isinstance(value, bool):
                key.append((name, "=", value))
            else:
                key.append((name, sum(1 for p in points if p < value), any(p == value for p in points)))
        return tuple(key)

    def decide(self, facts: dict[str, Any]) -> list[signals.Fired]:
        """The rules that fire. The thousands of loans a due date makes 1 day overdue share one evaluation."""
        if not self.constant:
            return self._decide(facts)
        key = self._key(facts)
        found = self.memo.get(key)
        if found is None:
            if len(self.memo) >= self.MEMO_SIZE:
                self.memo.clear()
            found = self.memo[key] = self._decide(facts)
        return found

    def _decide(self, facts: dict[str, Any]) -> list[signals.Fired]:
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
    constant = all(not o.names for r in table.rules for o in r.outputs) and not any(
        o.default is not None for o in (table.table.outputs if table.table else []))
    watch = signals.Watch(**{name: _points(table, inputs, facts, name) for name in signals.WATCHED})
    return Rules(table, version, watch, reads, constant)


def _points(table: Table, inputs, facts: list[str | None], name: str) -> tuple[Decimal, ...] | None:
    """The constants the cells of `name`'s columns compare with; None if some cell cannot be read so."""
    word = re.compile(rf"\b{name}\b")
    if any(word.search(i.expression.source) and f != name for i, f in zip(inputs, facts)):
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


_dates: dict[int, tuple[Any, dict]] = {}


def _per_date(c: Container) -> dict:
    """What the run reads once per business date, kept per database (engine) of this process, the latest only."""
    found = _dates.get(id(c.engine))
    if found is None or found[0] is not c.engine:
        if len(_dates) > 8:
            _dates.clear()
        found = _dates[id(c.engine)] = (c.engine, {})
    return found[1]


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
                                   c.clock.now(), _per_date(c))
    if not raised:
        return len(raised)
    # A due date makes thousands of loans 1 day overdue at once: one audit event per partition lists them all;
    # a signal that asks for an on-site visit also gets its own event on the loan's application.
    for r in raised:
        if r.onsite:
            c.runtime.record(s, actor, "risk_signal_raised", str(r.application_id), {
                "loan_id": r.loan_id, "signal_id": r.id, "as_of": day.isoformat(), "code": r.code,
                "rule_id": r.rule_id, "severity": r.severity, "onsite": r.onsite, "decision": rules.version})
    by_code: dict[str, int] = {}
    for r in raised:
        by_code[r.code] = by_code.get(r.code, 0) + 1
    c.runtime.record(s, actor, "risk_signals_raised", None, {
        "as_of": day.isoformat(), "loans": [result.lo, result.hi - 1], "decision": rules.version, "count": len(raised),
        "by_code": by_code, "signals": [[r.id, r.loan_id, r.application_id, r.code, r.rule_id] for r in raised]})
    return len(raised)


# -- provider events: files from the courts, tax, the credit bureau, blacklists and core banking ---------

@dataclass
class EventImport:
    imported: int = 0
    unchanged: int = 0  # rows recorded before with the same details
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message); nothing imported if any


def import_events(c: Container, text: str, actor: str, filename: str = "") -> EventImport:
    """Import a provider file (see credit.postloan.events): all rows or none, every bad row by its line."""
    out = EventImport()
    reader = csv.DictReader(io.StringIO(text))
    try:
        why = events.header_problem(reader.fieldnames)
    except csv.Error as exc:  # a field over the csv module's limit (128 KiB), a NUL, …
        why = f"not a CSV header ({exc})"
    if why:
        out.errors.append((1, why))
        return out
    from .postloan import today as business_today  # postloan imports this module for its hook

    today = business_today(c)
    parsed: list[tuple[int, events.EventRow]] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the rest of the file cannot be read: this line is the error, nothing imported
            out.errors.append((reader.line_num, f"not CSV ({exc})"))
            break
        if None in row:
            out.errors.append((reader.line_num, "more fields than the header names"))
            continue
        try:
            parsed.append((reader.line_num, events.parse({k.strip(): v for k, v in row.items()}, today)))
        except Refused as exc:
            out.errors.append((reader.line_num, str(exc)))
    with c.uow() as uow:
        s = uow.session
        customers, existing = _known(s, parsed)
        seen: dict[tuple, tuple] = {}
        new = []
        for line, r in parsed:
            customer_id = customers.get(r.id_number)
            if customer_id is None:
                out.errors.append((line, "id_number: not a customer of the bank"))
                continue
            key = (customer_id, r.kind, r.observed_on, r.source)
            prior = seen.get(key) or existing.get(key)
            if prior is not None:
                if r.same(*prior):
                    out.unchanged += 1
                else:
                    out.errors.append((line, f"{r.kind} of {r.observed_on.isoformat()} from {r.source} is already "
                                             "recorded with other details"))
                continue
            seen[key] = (r.reference, r.amount, r.detail)
            new.append({"customer_id": customer_id, "kind": r.kind, "observed_on": r.observed_on, "source": r.source,
                        "reference": r.reference, "amount": r.amount, "detail": r.detail,
                        "recorded_at": c.clock.now(), "recorded_by": actor})
        if out.errors:
            out.errors.sort()
            out.imported = out.unchanged = 0
            return out  # rolled back: nothing imported
        for start in range(0, len(new), 1000):
            s.execute(insert(ProviderEvent), new[start:start + 1000])
        out.imported = len(new)
        if new:  # one audit event per file: a deposit feed has a row per customer
            kinds: dict[str, int] = {}
            for r in new:
                kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
            c.runtime.record(s, actor, "provider_events_imported", None, {
                "file": filename, "sha256": hashlib.sha256(text.encode()).hexdigest(), "imported": len(new),
                "unchanged": out.unchanged, "kinds": kinds})
        uow.commit()
    return out


def _known(s: Session, parsed: list[tuple[int, events.EventRow]]) -> tuple[dict[str, int], dict[tuple, tuple]]:
    """The customers the rows name (by ID number), and the events already recorded for them."""
    numbers = sorted({r.id_number for _, r in parsed})
    customers: dict[str, int] = {}
    for start in range(0, len(numbers), 500):
        customers.update(s.execute(select(Customer.id_number, Customer.id).where(
            Customer.id_number.in_(numbers[start:start + 500]))).tuples().all())
    existing: dict[tuple, tuple] = {}
    if parsed:
        first, last = min(r.observed_on for _, r in parsed), max(r.observed_on for _, r in parsed)
        ids = sorted(set(customers.values()))
        for start in range(0, len(ids), 500):
            for e in s.execute(select(ProviderEvent).where(
                    ProviderEvent.customer_id.in_(ids[start:start + 500]),
                    ProviderEvent.observed_on >= first, ProviderEvent.observed_on <= last)).scalars():
                existing[(e.customer_id, e.kind, e.observed_on, e.source)] = (e.reference, e.amount, e.detail)
    return customers, existing


def events_cli(c: Container, path: pathlib.Path, actor: str) -> int:
    """`creditfactory postloan events import FILE.csv`."""
    from .postloan_cli import import_file

    return import_file(path, lambda text: import_events(c, text, actor, path.name), "provider event(s)")


# -- reading a loan's signals (GET /api/v1/loans/{id}, the loan page) -----------------------------------

def signal_json(r: RiskSignal) -> dict[str, Any]:
    return {"id": r.id, "as_of": r.as_of.isoformat(), "code": r.code, "rule_id": r.rule_id, "severity": r.severity,
            "onsite": r.onsite, "status": r.status, "evidence": r.evidence}


def loan_signals(s: Session | None, loan_id: int) -> list[dict[str, Any]]:
    """A loan's risk signals, oldest first (they are raised on crossing, so they stay few)."""
    if s is None:
        return []
    return [signal_json(r) for r in s.scalars(
        select(RiskSignal).where(RiskSignal.loan_id == loan_id).order_by(RiskSignal.as_of, RiskSignal.id))]
