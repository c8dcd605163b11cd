"""Completing a task through the service layer and database, against the bare SpiffWorkflow step
(deserialize -> complete -> engine steps -> serialize), measured side by side in one run.
Target: service <= 5x bare."""
from __future__ import annotations

import time
from uuid import UUID

from sqlalchemy import select

from credit import services
from engine.models import HumanTask, ProcessInstance
from engine.mirror import DutyBook
from engine.runtime import Actor, RunContext

from .common import applicant, fresh_container, summary_ms, write

REPORT = {"site_rating": "good", "annual_income": "200000", "guarantee": "guarantee", "guarantor_name": "李保证",
          "findings": "经营正常"}


def main(n: int = 200) -> dict:
    c = fresh_container()
    rt = c.runtime
    task_ids = []
    for i in range(n):
        with c.uow() as uow:
            body = {"product_code": "NONGHU", "amount": "100000", "term_months": 12, "purpose": "养殖",
                    "channel": "manager_app", "applicant": applicant(i)}
            app, _ = services.submit_application(uow.session, rt, body, "manager1", None, c.clock.now())
            uow.commit()
            task_ids.append(uow.session.scalars(select(HumanTask.id).where(
                HumanTask.business_key == str(app.id), HumanTask.state == "ready")).one())

    # Bare SpiffWorkflow: same step on the same stored state, no database, no validation, no audit.
    with c.uow() as uow:
        task = uow.session.get(HumanTask, task_ids[0])
        inst = uow.session.get(ProcessInstance, task.instance_id)
        models = c.definitions.compiled(uow.session, inst.deployment_id)
        spec, subs = models.spec(inst.process_id)
        stored = inst.serialization
        run = RunContext(uow.session, "bench", c.clock.now(), models, 1, inst.id, None, "bench",
                         DutyBook(uow.session, rt.sod, None))
        bare = []
        for _ in range(n):
            t0 = time.perf_counter()
            wf = rt.serializer.loads(stored, spec, subs, rt._engine(run))
            st = wf.get_task_from_id(UUID(task.id))
            st.data["investigate"] = dict(REPORT)
            st.run()
            wf.do_engine_steps()
            rt.serializer.dumps(wf)
            bare.append(time.perf_counter() - t0)

    actor = Actor("investigator1", frozenset({"investigator"}))
    service = []
    for tid in task_ids:
        t0 = time.perf_counter()
        with c.uow() as uow:
            rt.complete(uow.session, tid, actor, REPORT)
            uow.commit()
        service.append(time.perf_counter() - t0)

    b, s = summary_ms(bare), summary_ms(service)
    result = {"step": "investigate -> cosign (loan_application + loan_investigation)", "bare_spiff": b,
              "service_layer": s, "ratio_p50": round(s["p50_ms"] / b["p50_ms"], 2), "target_ratio": 5,
              "state_bytes": len(stored.encode())}
    write("engine_overhead", result, c)
    c.engine.dispose()
    return result


if __name__ == "__main__":
    main()
