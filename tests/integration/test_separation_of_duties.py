"""Separation of duties is enforced by the engine, whatever the UI shows."""
from tests.integration.driver import Driver


def test_an_investigator_holding_the_approver_post_may_not_approve_the_same_application(container, api):
    d = Driver(container)
    app_id = d.submit("NONGHU", "50000", 12, village="V07")
    assert d.task(app_id, "investigate").assignee == "investigator2"
    d.do(app_id, "investigate", {"site_rating": "good", "annual_income": "200000", "guarantee": "guarantee",
                                 "guarantor_name": "王保证", "findings": "ok"})
    assert d.task(app_id, "cosign").assignee == "multi1"
    d.do(app_id, "cosign", {"agree": True})
    approve = d.task(app_id, "approve")
    assert approve.assignee == "approver1"  # allocation skipped multi1
    assert api.post(f"/tasks/{approve.id}/release", "approver1").status_code == 200
    r = api.post(f"/tasks/{approve.id}/claim", "multi1")
    assert r.status_code == 403 and "separation of duties" in r.get_json()["message"]
    r = api.post(f"/tasks/{approve.id}/complete", "multi1", json={"data": {"decision": "approve"}})
    assert r.status_code == 403
    assert approve.id not in [t["id"] for t in api.get("/tasks", "multi1").get_json()["tasks"]]
    assert api.post(f"/tasks/{approve.id}/claim", "approver1").status_code == 200


def test_the_intake_officer_may_not_investigate(container, api):
    d = Driver(container)
    app_id = d.submit("NONGHU", "50000", 12, user="manager1")
    task = d.task(app_id, "investigate")
    with container.uow() as uow:
        from engine.models import HumanTask

        uow.session.get(HumanTask, task.id).assignee = None
        uow.commit()
    from engine.errors import Forbidden
    from engine.runtime import Actor

    with container.uow() as uow:
        try:
            container.runtime.claim(uow.session, task.id, Actor("manager1", frozenset({"investigator"})))
            raise AssertionError("claim should be refused")
        except Forbidden as exc:
            assert "intake" in str(exc)
