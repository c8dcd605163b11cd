"""What-if replay of a changed scorecard over 10,000 stored applications.
Records how long it took and what it reported, in bench/results/replay.json."""
from __future__ import annotations

import pathlib
import random
import tempfile
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import insert

from credit import idnumber
from credit.models import Application, CreditDecision, Customer
from engine.dmn import evaluate

from .common import fresh_container, write

N = 10_000


def seed(c, n: int) -> None:
    rng = random.Random(42)
    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    with c.uow() as uow:
        s = uow.session
        scorecard = c.definitions.compiled(s, c.definitions.latest(s).id).tables["scorecard"]
        customers, apps, decisions = [], [], []
        for i in range(1, n + 1):
            income = Decimal(rng.choice([30000, 60000, 90000, 150000, 250000]))
            born = date(1970 + i % 30, 1 + i % 12, 1 + i % 28)
            customers.append({"id": i, "id_number": idnumber.make(str(320000 + i // 900), born, i % 900),
                              "name": f"客户{i}", "phone": f"139{i:08d}", "birth_date": born,
                              "annual_income": income, "existing_debt": Decimal(rng.choice([0, 5000, 20000])),
                              "overdue_count": 0, "blacklisted": False, "relationship_years": rng.randint(0, 8), "created_at": now})
            product = rng.choice(["RUYI", "NONGHU", "JINGYING"])
            apps.append({"id": i, "product_code": product, "customer_id": i, "amount": Decimal(rng.choice([50000, 100000, 200000])),
                         "term_months": 12, "purpose": "", "channel": "bench", "status": "approved", "submitted_by": "bench",
                         "guarantee": "guarantee", "collateral_value": Decimal(0), "rejection_reasons": [], "assignments": {},
                         "allocation_reasons": {}, "created_at": now, "updated_at": now})
            scoring = {"age": rng.randint(20, 60), "annual_income": float(income), "dti": rng.choice([0.05, 0.25, 0.45]),
                       "guarantee": rng.choice(["credit", "guarantee", "mortgage"]), "site_rating": rng.choice(["good", "fair", "poor"]),
                       "relationship_years": rng.randint(0, 8), "credit_history_months": rng.randint(0, 120),
                       "bureau_overdue_max_days": rng.choice([0, 0, 0, 15, 45]), "loans_open": rng.randint(0, 5),
                       "household_size": rng.randint(1, 6), "deposit_balance": float(rng.randint(0, 80000)),
                       "collateral_ratio": 0.0, "queries_3m": rng.randint(0, 8),
                       "loan_kind": {"RUYI": "consumer", "NONGHU": "farm", "JINGYING": "business"}[product]}
            score = evaluate(scorecard, {"scoring": scoring}).outputs
            decisions.append({"application_id": i, "table": "scorecard", "version": "bench", "inputs": {},
                              "outputs": score, "matched_rules": [], "descriptions": [], "context": {"scoring": scoring}, "at": now})
        for table, rows in ((Customer, customers), (Application, apps), (CreditDecision, decisions)):
            for k in range(0, len(rows), 2000):
                s.execute(insert(table), rows[k:k + 2000])
        uow.commit()


def main(n: int = N) -> dict:
    from webapp.bootstrap import PROCESSES_DIR
    from webapp.replay import replay

    c = fresh_container()
    seed(c, n)
    candidate = pathlib.Path(tempfile.mkdtemp()) / "scorecard.dmn"
    candidate.write_bytes((PROCESSES_DIR / "scorecard.dmn").read_bytes().replace(
        b'<outputEntry id="sc_base_o0"><text>300</text>', b'<outputEntry id="sc_base_o0"><text>270</text>'))
    report = replay(c, candidate, datetime(2026, 1, 1, tzinfo=timezone.utc))
    result = {"applications": n, "seconds": report["seconds"], "evaluated": report["evaluated"],
              "changed": report["changed"], "errors": report["errors"], "baseline": report.get("baseline"),
              "candidate": report.get("candidate"), "delta": report.get("delta"),
              "change": "scorecard base points 300 -> 270"}
    write("replay", result, c)
    c.engine.dispose()
    return result


if __name__ == "__main__":
    main()
