"""Four eyes that survive reassignment (issue 11): claim and reassign check the target's post, the task's
candidates, separation of duties and one person per committee seat, whoever moves the task."""
from sqlalchemy import select, update

from credit.models import User
from engine.models import AuditEvent, HumanTask
from tests.conftest import applicant
from tests.integration.driver import GOOD_REPORT, Driver


def reassign(api, by, task_ids, to, reason="委员出差"):
    return api.post("/tasks/reassign", by, json={"task_ids": list(task_ids), "to": to, "reason": reason})


def force_assignee(container, task_id, username):
    """A row changed behind the services' back (a stale reassignment, a tampered database)."""
    with container.uow() as uow:
        uow.session.execute(update(HumanTask).where(HumanTask.id == task_id).values(assignee=username))
        uow.commit()


def at_committee(d) -> int:
    app_id = d.submit("JINGYING", "1500000", 36, income="600000")
    d.investigate(app_id, {**GOOD_REPORT, "annual_income": "600000"})
    assert sorted(t.spec_name for t in d.tasks(app_id)) == ["vote_1", "vote_2", "vote_3"]
    return app_id


def test_an_admin_can_neither_stack_committee_seats_nor_seat_a_designer_nor_take_the_disbursement_check(container, api):
    d = Driver(container)
    app_id = at_committee(d)
    votes = {t.spec_name: t for t in d.tasks(app_id)}
    seated = {name: t.assignee for name, t in votes.items()}
    member = seated["vote_1"]
    # two seats to one member: each seat is its own duty
    r = reassign(api, "admin", [votes["vote_2"].id], member)
    assert r.status_code == 403 and "separation of duties" in r.get_json()["message"], r.get_json()
    # a third seat to the designer: not a committee member
    r = reassign(api, "admin", [votes["vote_3"].id], "designer1")
    assert r.status_code == 403 and "needs post 'committee'" in r.get_json()["message"]
    # all or none: a batch with one bad move moves nothing
    r = reassign(api, "admin", [votes["vote_2"].id, votes["vote_3"].id], member)
    assert r.status_code == 403
    assert {t.spec_name: t.assignee for t in d.tasks(app_id)} == seated
    # the member may not claim a second seat either, once it is free
    other = seated["vote_2"]
    assert api.post(f"/tasks/{votes['vote_2'].id}/release", other).status_code == 200
    r = api.post(f"/tasks/{votes['vote_2'].id}/claim", member)
    assert r.status_code == 403 and "separation of duties" in r.get_json()["message"]
    assert api.post(f"/tasks/{votes['vote_2'].id}/claim", other).status_code == 200
    for name in ("vote_1", "vote_2", "vote_3"):
        d.do(app_id, name, {"decision": "approve"})
    d.do(app_id, "sign_contract", {"signed": True, "signing_place": "城关支行"})
    check = d.task(app_id, "disbursement_check")
    # the disbursement check: not to himself (he could not claim it), not taken, not done
    r = reassign(api, "admin", [check.id], "admin", "我来放款")
    assert r.status_code == 403 and "needs post 'disburser'" in r.get_json()["message"]
    assert api.post(f"/tasks/{check.id}/release", check.assignee).status_code == 200
    assert api.post(f"/tasks/{check.id}/claim", "admin").status_code == 403
    body = {"data": {"passed": True, "account_no": "6228480012345671"}}
    assert api.post(f"/tasks/{check.id}/complete", "admin", json=body).status_code == 403
    force_assignee(container, check.id, "admin")
    r = api.post(f"/tasks/{check.id}/complete", "admin", json=body)
    assert r.status_code == 403 and "needs post 'disburser'" in r.get_json()["message"]
    assert d.loan(app_id) is None and d.application(app_id).status == "contracting"


def test_an_admin_cannot_hand_a_customer_managers_task_to_an_auditor(container, api):
    person = applicant(41, income="0")  # no income: the customer manager completes the application
    body = {"product_code": "NONGHU", "amount": "50000", "term_months": 12, "purpose": "养殖", "channel": "api",
            "applicant": person}
    r = api.post("/applications", "manager1", json=body)
    assert r.status_code == 201, r.get_json()
    (task,) = r.get_json()["tasks"]
    assert (task["name"], task["assignee"]) == ("complete_application", "manager1")
    r = reassign(api, "admin", [task["id"]], "auditor1", "帮忙补录")
    assert r.status_code == 403 and "needs post 'customer_manager'" in r.get_json()["message"]
    form = {"data": {"annual_income": "90000"}}
    assert api.post(f"/tasks/{task['id']}/complete", "auditor1", json=form).status_code == 403
    force_assignee(container, task["id"], "auditor1")
    assert api.post(f"/tasks/{task['id']}/complete", "auditor1", json=form).status_code == 403
    with container.uow() as uow:
        assert uow.session.get(HumanTask, task["id"]).state == "ready"


def test_the_branch_head_reallocates_within_the_rules_and_every_move_is_audited_with_its_reason(container, api):
    d = Driver(container)
    app_id = d.submit("NONGHU", "100000", 12, village="V08")
    investigate = d.task(app_id, "investigate")
    assert investigate.assignee == "investigator2"
    r = reassign(api, "head1", [investigate.id], "investigator1", "张调查病假")
    assert r.status_code == 200, r.get_json()
    # nobody reassigns to themselves what they could not claim; an officer does not reassign at all
    assert reassign(api, "head1", [investigate.id], "head1", "我来").status_code == 403
    assert reassign(api, "investigator1", [investigate.id], "investigator2").status_code == 403
    assert reassign(api, "auditor1", [investigate.id], "investigator2").status_code == 403
    cosign_holder = d.task(app_id, "investigate").assignee
    assert cosign_holder == "investigator1"
    with container.uow() as uow:
        moved = [e for e in uow.session.scalars(select(AuditEvent).where(
            AuditEvent.business_key == str(app_id), AuditEvent.type == "task_reassigned"))]
    assert [(e.actor, e.data["from"], e.data["to"], e.data["reason"]) for e in moved] == [
        ("head1", "investigator2", "investigator1", "张调查病假")]


def test_manual_allocation_is_the_branch_heads_and_refuses_one_person_in_two_roles_or_a_wrong_post(container, api):
    d = Driver(container)
    with container.uow() as uow:
        uow.session.execute(update(User).where(User.username.in_(["investigator1", "investigator2"]))
                            .values(on_leave=True))
        uow.commit()
    app_id = d.submit("NONGHU", "100000", 12, village="V03")
    manual = d.task(app_id, "manual_allocation")
    assert manual.post == "branch_head"
    assert manual.id in [t["id"] for t in api.get("/tasks", "head1").get_json()["tasks"]]
    assert api.post(f"/tasks/{manual.id}/claim", "admin").status_code == 403
    twice = {"assignees": {"lead_investigator": "multi1", "assistant_investigator": "multi1"}, "reason": "人手不足"}
    r = api.post(f"/tasks/{manual.id}/complete", "head1", json={"data": twice})
    assert r.status_code == 422 and "both" in r.get_json()["message"]
    wrong = {"assignees": {"lead_investigator": "multi1", "assistant_investigator": "designer1"}, "reason": "人手不足"}
    r = api.post(f"/tasks/{manual.id}/complete", "head1", json={"data": wrong})
    assert r.status_code == 422 and "investigator" in r.get_json()["message"]
    with container.uow() as uow:
        uow.session.execute(update(User).where(User.username == "investigator2").values(on_leave=False))
        uow.commit()
    ok = {"assignees": {"lead_investigator": "multi1", "assistant_investigator": "investigator2"}, "reason": "李调查休假"}
    assert api.post(f"/tasks/{manual.id}/complete", "head1", json={"data": ok}).status_code == 200
    assert d.task(app_id, "investigate").assignee == "multi1"


def test_a_late_investigation_is_escalated_to_the_branch_head(container):
    d = Driver(container)
    app_id = d.submit("NONGHU", "100000", 12, village="V01")
    container.clock.advance(days=3)
    d.wake_due()
    with container.uow() as uow:
        breached = uow.session.scalars(select(AuditEvent).where(
            AuditEvent.business_key == str(app_id), AuditEvent.type == "sla_breached")).one()
    assert breached.data["notified"] == "head1"
