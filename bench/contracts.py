"""Contract PDF of a 36-period loan: render time (template + WeasyPrint) and size.
Targets: p50 < 300 ms, < 300 KB. Writes bench/results/contracts.json (p50_ms, p95_ms, bytes)."""
from __future__ import annotations

import cProfile
import pstats
import time

from .common import fresh_container, summary_ms, write


def main(n: int = 30) -> dict:
    from credit import contract_templates, contracts
    from webapp.pdf import html_to_pdf

    c = fresh_container()
    ctx = contracts.sample_context(term_months=36)  # RUYI's longest term
    ctx["sample"] = False
    ctx["documents"] = ["loan_contract", "drawdown_receipt"]  # RUYI's set

    def render() -> bytes:  # what disbursement does: read the active templates, fill them, lay out the PDF
        with c.uow() as uow:
            return contract_templates.render(uow.session, contracts.ENTRY, ctx, html_to_pdf)[0]

    render()  # fonts load once per process
    times, size = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        size = len(render())
        times.append(time.perf_counter() - t0)
    s = summary_ms(times)
    # This machine's speed swings by half from one minute to the next; the number of Python calls a
    # render makes does not, so it shows whether a change made the work smaller.
    profile = cProfile.Profile()
    profile.runcall(render)
    result = {"periods": 36, "documents": ctx["documents"], "p50_ms": s["p50_ms"], "p95_ms": s["p95_ms"],
              "bytes": size, "n": n, "target_p50_ms": 300, "target_bytes": 300 * 1024,
              "python_calls_per_render": pstats.Stats(profile).total_calls}
    write("contracts", result, c)
    c.engine.dispose()
    return result


if __name__ == "__main__":
    main()
