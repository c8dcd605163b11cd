"""What-if before deploying: re-run a candidate decision table over stored past decisions.

Each stored evaluation kept the data its table read, so the candidate sees exactly what the
deployed table saw. Outcomes (pass rate, or approval rate, average limit and average rate)
are recomputed through the currently deployed downstream tables for both the stored and the
candidate outputs, so the deltas isolate the change. Nothing is written.
"""
from __future__ import annotations

import pathlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from credit import pricing
from credit.models import Application, CreditDecision, Customer, Product
from engine.decision_tests import run_cases
from engine.dmn import DecisionError, Table, evaluate, parse_dmn
from engine.feel import FeelError, to_plain

from .bootstrap import Container

SCORING_CHAIN = ("scorecard", "risk_band", "limit_policy", "pricing")
GATES = ("admission", "anti_fraud")


@dataclass
class Tally:
    n: int = 0
    approved: int = 0
    limits: list[Decimal] = field(default_factory=list)
    rates: list[Decimal] = field(default_factory=list)

    def add(self, approved: bool, limit: Decimal | None = None, rate: Decimal | None = None) -> None:
        self.n += 1
        self.approved += approved
        if approved and limit is not None:
            self.limits.append(limit)
            self.rates.append(rate)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"approval_rate": round(self.approved / self.n, 4) if self.n else None}
        if self.limits:
            out["avg_limit"] = str((sum(self.limits) / len(self.limits)).quantize(Decimal("0.01")))
            out["avg_rate"] = str((sum(self.rates) / len(self.rates)).quantize(Decimal("0.000001")))
        return out


def _outputs(table: Table, data: dict) -> dict:
    """A table's outputs as stored decisions hold them (plain JSON values)."""
    return to_plain(evaluate(table, data).outputs)


def _terms(tables: dict[str, Table], outputs: dict, table_id: str, ctx: dict, row) -> tuple[bool, Decimal, Decimal]:
    """Outcome of one application from the scoring chain, starting after `table_id`'s outputs."""
    app, cust, product = row
    data = dict(ctx)
    data.update(outputs)
    if table_id == "scorecard":
        data.update(_outputs(tables["risk_band"], data))
    if table_id in ("scorecard", "risk_band", "pricing") and "income_multiple" not in data:
        data.update(_outputs(tables["limit_policy"], data))
    if table_id != "pricing":
        data.update(_outputs(tables["pricing"], data))
    if table_id == "limit_policy":
        data.update(_outputs(tables["risk_band"], data))
    limit = pricing.limit(product.max_amount, cust.annual_income, Decimal(str(data["income_multiple"])),
                          cust.existing_debt, app.collateral_value, Decimal(str(data["ltv"])),
                          Decimal(str(data["band_factor"])))
    rate = pricing.rate(int(data["spread_bp"]), product.rate_floor, product.rate_cap)
    approved = data["band"] != "E" and min(app.amount, limit) >= product.min_amount
    return approved, limit, rate


def replay(c: Container, path: pathlib.Path, since: datetime, batch: int = 1000) -> dict[str, Any]:
    started = time.perf_counter()
    [candidate] = parse_dmn(path.read_bytes(), path.name)[:1]
    table_id = candidate.decision_id
    report: dict[str, Any] = {"table": table_id, "file": path.name, "since": since.isoformat()}
    with c.uow() as uow:  # read-only: never committed
        session = uow.session
        deployed = c.definitions.compiled(session, c.definitions.latest(session).id).tables
        tables = {**deployed, table_id: candidate}
        cases = path.with_name(f"{table_id}.tests.json")
        if cases.exists():
            count, problems = run_cases(cases.name, cases.read_bytes(), tables)
            report["test_cases"] = {"run": count, "failed": [str(p) for p in problems]}
        before, after = Tally(), Tally()
        evaluated = changed = errors = 0
        examples: list[dict] = []
        query = (select(CreditDecision).where(CreditDecision.table == table_id, CreditDecision.at >= since)
                 .order_by(CreditDecision.id).execution_options(yield_per=batch))
        pending: list[CreditDecision] = []

        def flush(rows: list[CreditDecision]) -> None:
            nonlocal evaluated, changed, errors
            facts = {}
            if table_id in SCORING_CHAIN:
                ids = {r.application_id for r in rows}
                for app, cust, product in session.execute(
                        select(Application, Customer, Product).join(Customer, Customer.id == Application.customer_id)
                        .join(Product, Product.code == Application.product_code).where(Application.id.in_(ids))):
                    facts[app.id] = (app, cust, product)
            for r in rows:
                try:
                    new = _outputs(candidate, r.context)
                except (DecisionError, FeelError):
                    errors += 1
                    continue
                evaluated += 1
                if new != r.outputs:
                    changed += 1
                    if len(examples) < 5:
                        examples.append({"application_id": r.application_id, "was": r.outputs, "would_be": new})
                if table_id in GATES:
                    out = next(iter(r.outputs.values()))
                    before.add(not out)
                    after.add(not next(iter(new.values())))
                elif table_id in SCORING_CHAIN and r.application_id in facts:
                    try:
                        before.add(*_terms(deployed, r.outputs, table_id, r.context, facts[r.application_id]))
                        after.add(*_terms(tables, new, table_id, r.context, facts[r.application_id]))
                    except (DecisionError, FeelError, KeyError):
                        errors += 1

        for row in session.scalars(query):
            session.expunge(row)
            pending.append(row)
            if len(pending) >= batch:
                flush(pending)
                pending = []
        if pending:
            flush(pending)
        session.rollback()
    report.update(evaluated=evaluated, changed=changed, errors=errors, examples=examples,
                  seconds=round(time.perf_counter() - started, 3))
    if before.n:
        b, a = before.summary(), after.summary()
        report["baseline"], report["candidate"] = b, a
        report["delta"] = {k: _delta(b.get(k), a.get(k)) for k in ("approval_rate", "avg_limit", "avg_rate")}
    return report


def _delta(x, y):
    if x is None or y is None:
        return None
    return str(Decimal(str(y)) - Decimal(str(x)))
