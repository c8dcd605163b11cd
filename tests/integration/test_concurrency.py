"""Two officers completing one task at the same moment: one 200, one 409, and every record agrees."""
import json
import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from engine.audit import verify
from engine.models import AuditEvent, HumanTask, ProcessInstance
from tests.conftest import applicant, is_postgres
from tests.helpers import Api


def _race(app, task_id: str, users: list[str], data: dict) -> dict[str, int]:
    clients = {u: Api(app) for u in users}
    for u, c in clients.items():
        c.token(u)
    barrier = threading.Barrier(len(users))
    results: dict[str, int] = {}

    def go(user):
        barrier.wait()
        r = clients[user].post(f"/tasks/{task_id}/complete", user, json={"data": data})
        results[user] = r.status_code

    threads = [threading.Thread(target=go, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.skipif(not is_postgres(), reason="row locks and real concurrency need PostgreSQL")
@pytest.mark.parametrize("round_", range(3))
def test_simultaneous_completion_gives_one_200_and_one_409(app, api, container, round_):
    body = {"product_code": "NONGHU", "amount": "100000", "term_months": 12, "purpose": "养殖",
            "channel": "manager_app", "applicant": applicant(40 + round_)}
    app_id = api.post("/applications", "manager1", json=body).get_json()["id"]
    task = api.my_task("investigator1", app_id, "investigate")
    # Put the task back in the investigators' queue so that both may take it.
    assert api.post(f"/tasks/{task['id']}/release", "investigator1").status_code == 200
    report = {"site_rating": "good", "annual_income": "200000", "guarantee": "guarantee",
              "guarantor_name": "李保证", "findings": "正常"}
    results = _race(app, task["id"], ["investigator1", "investigator2"], report)
    assert sorted(results.values()) == [200, 409], results
    winner = next(u for u, s in results.items() if s == 200)

    with container.uow() as uow:
        s = uow.session
        row = s.get(HumanTask, task["id"])
        assert row.state == "completed" and row.completed_by == winner
        completions = s.scalars(select(AuditEvent).where(AuditEvent.task_id == task["id"],
                                                         AuditEvent.type == "task_completed")).all()
        assert [e.actor for e in completions] == [winner]
        cosigns = s.scalars(select(HumanTask).where(HumanTask.business_key == str(app_id),
                                                    HumanTask.spec_name == "cosign")).all()
        assert len(cosigns) == 1
        inst = s.get(ProcessInstance, row.instance_id)
        state = json.loads(inst.serialization)
        sub_tasks = [t for sp in state["subprocesses"].values() for t in sp["tasks"].values() if t["id"] == task["id"]]
        assert sub_tasks and sub_tasks[0]["state"] == 64  # TaskState.COMPLETED
        assert verify(s).ok


def test_a_stale_instance_write_is_refused_not_lost(container, api):
    body = {"product_code": "NONGHU", "amount": "100000", "term_months": 12, "purpose": "养殖",
            "channel": "manager_app", "applicant": applicant(77)}
    app_id = api.post("/applications", "manager1", json=body).get_json()["id"]
    with container.uow() as first, container.uow() as second:
        a = first.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == str(app_id))).first()
        b = second.session.get(ProcessInstance, a.id)
        a.status = "waiting"
        first.commit()
        b.status = "error"
        with pytest.raises(StaleDataError):
            second.session.flush()
