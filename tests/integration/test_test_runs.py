"""A designer's test run works on synthetic data only (issue 11): the domain services that write loans,
contracts or money are never called (a dry-run double answers), a business key that could name an
application is refused, the instance is marked as a test and its user tasks go only to the designer."""
import io

from sqlalchemy import func, select

from credit.contract_templates import Contract
from credit.models import Application, Loan
from engine.models import AuditEvent, HumanTask, ProcessInstance
from tests.conftest import applicant

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">"""


def service(sid: str, operator: str, result: str, incoming: str, outgoing: str) -> str:
    return (f'<bpmn:serviceTask id="{sid}" name="{sid}"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
            f'id="{operator}" resultVariable="{result}"><spiffworkflow:parameters></spiffworkflow:parameters>'
            f'</spiffworkflow:serviceTaskOperator></bpmn:extensionElements><bpmn:incoming>{incoming}</bpmn:incoming>'
            f'<bpmn:outgoing>{outgoing}</bpmn:outgoing></bpmn:serviceTask>')


# The bypass of the issue: price, approve, contract and disburse, one service task after another, then
# a review by an approver.
CHAIN = f"""{HEAD}
  <bpmn:process id="money_chain" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="approver"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {service("terms", "credit.propose_terms", "proposal", "f1", "f2")}
    {service("decide", "credit.auto_decision", "approval_result", "f2", "f3")}
    {service("contract", "credit.prepare_contract", "contract", "f3", "f4")}
    {service("pay_out", "credit.disburse", "disbursement", "f4", "f5")}
    <bpmn:userTask id="review" name="Review"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="approval" /></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="terms" />
    <bpmn:sequenceFlow id="f2" sourceRef="terms" targetRef="decide" />
    <bpmn:sequenceFlow id="f3" sourceRef="decide" targetRef="contract" />
    <bpmn:sequenceFlow id="f4" sourceRef="contract" targetRef="pay_out" />
    <bpmn:sequenceFlow id="f5" sourceRef="pay_out" targetRef="review" />
    <bpmn:sequenceFlow id="f6" sourceRef="review" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()

TERMS = {"band": "A", "score": 720, "income_multiple": 5, "ltv": 0.7, "band_factor": 1, "spread_bp": 40}


def deploy(api) -> None:
    r = api.post("/process-definitions", "designer1", data={"file": (io.BytesIO(CHAIN), "money_chain.bpmn")},
                 content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()


def real_application(api) -> int:
    body = {"product_code": "NONGHU", "amount": "50000", "term_months": 12, "purpose": "养殖",
            "channel": "manager_app", "applicant": applicant(31)}
    r = api.post("/applications", "manager1", json=body)
    assert r.status_code == 201, r.get_json()
    assert [t["name"] for t in r.get_json()["tasks"]] == ["investigate"]  # its investigation is open
    return r.get_json()["id"]


def money_rows(container) -> tuple[int, int]:
    with container.uow() as uow:
        return (uow.session.scalar(select(func.count()).select_from(Loan)),
                uow.session.scalar(select(func.count()).select_from(Contract)))


def test_a_test_run_naming_a_real_application_is_refused_and_books_nothing(api, container):
    app_id = real_application(api)
    deploy(api)
    r = api.post("/process-definitions/money_chain/start", "designer1",
                 json={"data": TERMS, "business_key": str(app_id)})
    assert r.status_code == 422, r.get_json()
    assert "business_key" in r.get_json()["fields"]
    assert money_rows(container) == (0, 0)
    with container.uow() as uow:
        app = uow.session.get(Application, app_id)
        assert (app.status, app.contract_no, app.approved_amount) == ("investigating", None, None)
        assert uow.session.scalar(select(func.count()).select_from(ProcessInstance)
                                  .where(ProcessInstance.process_id == "money_chain")) == 0
    # nor one that merely looks like an application id: the answer says nothing of which ones exist
    r = api.post("/process-definitions/money_chain/start", "designer1", json={"data": TERMS, "business_key": "987654"})
    assert r.status_code == 422


def test_a_test_run_calls_dry_run_doubles_and_its_task_is_the_designers_alone(api, container):
    real_application(api)
    deploy(api)
    r = api.post("/process-definitions/money_chain/start", "designer1",
                 json={"data": {**TERMS, "test_results": {"credit.propose_terms": {"outcome": "propose"}}},
                       "business_key": "demo-chain-1"})
    assert r.status_code == 201, r.get_json()
    assert money_rows(container) == (0, 0)
    (task,) = r.get_json()["tasks"]
    assert (task["name"], task["assignee"], task["application_id"]) == ("review", "designer1", None)
    with container.uow() as uow:
        inst = uow.session.get(ProcessInstance, r.get_json()["instance_id"])
        assert inst.is_test and inst.business_key == "demo-chain-1"
        assert uow.session.scalars(select(ProcessInstance.id).where(ProcessInstance.is_test.is_(True))).all() == [inst.id]
        calls = [e.data for e in uow.session.scalars(select(AuditEvent).where(
            AuditEvent.instance_id == inst.id, AuditEvent.type == "service_called"))]
        assert [(c["service"], c.get("dry_run")) for c in calls] == [
            ("credit.propose_terms", True), ("credit.auto_decision", True),
            ("credit.prepare_contract", True), ("credit.disburse", True)]
        data = uow.session.get(HumanTask, task["id"])
        assert data.candidates == ["designer1"] and data.duty is None
    # never in an officer's inbox or queue, nor readable, claimable or workable by one
    for user in ("approver1", "approver_hq", "multi1", "admin", "head1"):
        assert task["id"] not in [t["id"] for t in api.get("/tasks", user).get_json()["tasks"]], user
    assert api.get(f"/tasks/{task['id']}", "approver1").status_code == 404
    assert api.post(f"/tasks/{task['id']}/claim", "approver1").status_code == 404
    assert api.post(f"/tasks/{task['id']}/complete", "approver1", json={"data": {"decision": "approve"}}).status_code == 404
    # not even an administrator may hand it to an officer
    r = api.post("/tasks/reassign", "admin", json={"task_ids": [task["id"]], "to": "approver1", "reason": "试试"})
    assert r.status_code == 403
    assert api.post(f"/tasks/{task['id']}/complete", "admin", json={"data": {"decision": "approve"}}).status_code == 403
    # the designer works it through
    assert task["id"] in [t["id"] for t in api.get("/tasks", "designer1").get_json()["tasks"]]
    done = api.complete("designer1", task["id"], {"decision": "approve"})
    assert done["instance"]["status"] == "complete"
    assert money_rows(container) == (0, 0)


def test_a_test_run_gives_its_user_tasks_to_the_designer_even_when_the_model_names_an_officer(api, container):
    """allocation.bpmn's manual allocation is a branch head's in real life; in a test run, the designer's."""
    r = api.post("/process-definitions/loan_allocation/start", "designer1",
                 json={"data": {"allocation_purpose": "investigation"}})
    assert r.status_code == 201, r.get_json()
    (task,) = r.get_json()["tasks"]
    assert (task["name"], task["post"], task["assignee"]) == ("manual_allocation", "branch_head", "designer1")
    assert task["id"] not in [t["id"] for t in api.get("/tasks", "head1").get_json()["tasks"]]
    # steering the double: the allocation "finds" someone, so no manual step at all
    r = api.post("/process-definitions/loan_allocation/start", "designer1", json={"data": {
        "allocation_purpose": "investigation",
        "test_results": {"credit.allocate": {"ok": True, "assignees": {"lead_investigator": "investigator1"}}}}})
    assert r.status_code == 201 and r.get_json()["tasks"] == [] and r.get_json()["status"] == "complete"


def test_only_designers_and_admins_test_run(api):
    for user in ("manager1", "approver1", "auditor1", "head1"):
        assert api.post("/process-definitions/loan_allocation/start", user, json={"data": {}}).status_code == 403, user
