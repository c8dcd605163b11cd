"""Contract PDF of a 36-period loan: render time (template + WeasyPrint) and size.
Targets: p50 < 300 ms, < 300 KB. Writes bench/results/contracts.json (p50_ms, p95_ms, bytes)."""
from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from .common import fresh_container, summary_ms, write


def main(n: int = 30) -> dict:
    from credit import contract_templates, contracts, schedules
    from webapp.pdf import html_to_pdf

    c = fresh_container()
    ctx = contracts.sample_context()
    ctx["sample"] = False
    ctx["documents"] = ["loan_contract", "drawdown_receipt"]  # RUYI's set; 36 months is its longest term
    lines = schedules.build(schedules.EQUAL_INSTALMENT, Decimal("100000"), Decimal("0.0380"), 36, date(2026, 3, 2))
    ctx["schedule"] = [{"period": l.period, "due_date": l.due_date.isoformat(), "principal": f"{l.principal:,.2f}",
                        "interest": f"{l.interest:,.2f}", "total": f"{l.total:,.2f}",
                        "remaining_principal": f"{l.remaining_principal:,.2f}"} for l in lines]
    with c.uow() as uow:
        sources = {k: t.source for k, t in contract_templates.active(uow.session).items()}
    html_to_pdf(contract_templates.render_html(sources, contracts.ENTRY, ctx))  # fonts load once per process
    times, size = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        pdf = html_to_pdf(contract_templates.render_html(sources, contracts.ENTRY, ctx))
        times.append(time.perf_counter() - t0)
        size = len(pdf)
    s = summary_ms(times)
    result = {"periods": 36, "documents": ctx["documents"], "p50_ms": s["p50_ms"], "p95_ms": s["p95_ms"],
              "bytes": size, "n": n, "target_p50_ms": 300, "target_bytes": 300 * 1024}
    write("contracts", result, c)
    c.engine.dispose()
    return result


if __name__ == "__main__":
    main()
