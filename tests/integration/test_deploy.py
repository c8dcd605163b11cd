"""Deploying models: bad files get a located 422 and change nothing; good ones get new versions."""
import io

import pytest

from tests.conftest import applicant
from webapp.bootstrap import PROCESSES_DIR


def upload(api, name: str, content: bytes, user: str = "designer1"):
    return api.post("/process-definitions", user, data={"file": (io.BytesIO(content), name)},
                    content_type="multipart/form-data")


def snapshot(api):
    r = api.get("/process-definitions", "designer1")
    assert r.status_code == 200
    return r.get_json()


APPROVAL = (PROCESSES_DIR / "approval.bpmn").read_bytes()
ADMISSION = (PROCESSES_DIR / "admission.dmn").read_bytes()

BAD_MODELS = [
    ("broken.bpmn", b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'><bpmn:process",
     "not well-formed XML", None),
    ("approval.bpmn", APPROVAL.replace(b'value="approval"', b'value="no_such_form"'), "formKey 'no_such_form'", "approve"),
    ("approval.bpmn", APPROVAL.replace(b'id="credit.tally_votes"', b'id="credit.steal_money"'), "credit.steal_money", "tally"),
    ("approval.bpmn", APPROVAL.replace(b' default="flow_gw_level_allocate_approver_purpose"', b""), "no default flow", "gw_level"),
    ("approval.bpmn", APPROVAL.replace(b'{allocation_purpose: "approval"}', b"import os"), "looks like Python",
     "allocate_approver_purpose"),
    ("approval.bpmn", APPROVAL.replace(b'{allocation_purpose: "approval"}', b"allocation_purpose = 'approval'"),
     "looks like Python (an assignment)", "allocate_approver_purpose"),
    ("approval.bpmn", APPROVAL.replace(b'<bpmn:scriptTask id="allocate_approver_purpose"',
                                       b'<bpmn:scriptTask scriptFormat="python" id="allocate_approver_purpose"'),
     "scripts are FEEL", "allocate_approver_purpose"),
    ("approval.bpmn", APPROVAL.replace(b'approval_level = "auto"', b"approval_level == 'auto'"), "looks like Python", None),
    ("approval.bpmn", APPROVAL.replace(b'approval_level = "auto"', b"len(approval_level) &gt; 0"), "no FEEL function named len", None),
    ("admission.dmn", ADMISSION.replace(b'hitPolicy="COLLECT"', b'hitPolicy="SOMETIMES"'), "hit policy SOMETIMES", "admission"),
    ("admission.dmn", ADMISSION.replace(b"&lt; 18", b"&lt; __import__('os')"), "bad unary test", "adm_age_min"),
    ("admission.dmn", ADMISSION.replace(b"&lt; 18", b"&lt; (18"), "bad unary test", "adm_age_min"),
    ("notes.txt", b"hello", "only .bpmn, .dmn and .tests.json", None),
]


@pytest.mark.parametrize("name,content,message,element", BAD_MODELS)
def test_bad_model_is_refused_with_a_located_error_and_nothing_changes(api, name, content, message, element):
    before = snapshot(api)
    r = upload(api, name, content)
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert body["error"] == "invalid_model"
    problem = next(p for p in body["problems"] if message in p["message"])
    assert problem["file"] == name
    if element:
        assert problem["element"] == element
    if name.endswith((".bpmn", ".dmn")) and "not well-formed" not in message or name == "broken.bpmn":
        assert problem["line"]
    assert snapshot(api) == before


def test_deploy_needs_the_designer_post_and_a_sane_size(api, app):
    assert upload(api, "approval.bpmn", APPROVAL, user="manager1").status_code == 403
    too_big = b"<x/>" + b" " * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert upload(api, "approval.bpmn", too_big).status_code == 413


def test_redeploying_the_same_model_is_a_no_op(api):
    before = snapshot(api)
    r = upload(api, "approval.bpmn", APPROVAL)
    assert r.status_code == 200 and r.get_json()["created"] is False
    assert snapshot(api) == before


def test_new_version_leaves_running_instances_on_theirs(api, container):
    body = {"product_code": "RUYI", "amount": "50000", "term_months": 12, "purpose": "购车",
            "channel": "manager_app", "applicant": applicant(9)}
    app_id = api.post("/applications", "manager1", json=body).get_json()["id"]
    changed = APPROVAL.replace('name="审批"'.encode(), 'name="审批(第二版)"'.encode())
    r = upload(api, "approval.bpmn", changed)
    assert r.status_code == 201, r.get_json()
    new = r.get_json()
    assert [d["process_id"] for d in new["definitions"]] == ["loan_approval"]
    assert new["definitions"][0]["version"] == 2 and new["deployment"]["version"] == 2
    versions = {d["process_id"]: d["version"] for d in snapshot(api)["definitions"]}
    assert versions["loan_approval"] == 2 and versions["loan_application"] == 1

    from engine.models import ProcessInstance
    from sqlalchemy import select

    with container.uow() as uow:
        inst = uow.session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == str(app_id))).first()
        assert inst.deployment_id == 1
    task = api.my_task("investigator1", app_id, "investigate")
    api.complete("investigator1", task["id"], {"site_rating": "good", "annual_income": "120000",
                                               "guarantee": "credit", "findings": "ok"})
    task = api.my_task("investigator2", app_id, "cosign")
    api.complete("investigator2", task["id"], {"agree": True})
    assert api.my_task("approver1", app_id, "approve")["title"] == "审批"


def test_designer_can_test_run_a_process(api):
    # Services answer from a dry-run double in a test run: allocation finds nobody, so the run waits at the
    # manual allocation, which goes to the designer who started it
    r = api.post("/process-definitions/loan_allocation/start", "designer1", json={"data": {"allocation_purpose": "x"}})
    assert r.status_code == 201, r.get_json()
    assert [(t["name"], t["assignee"]) for t in r.get_json()["tasks"]] == [("manual_allocation", "designer1")]
    assert api.post("/process-definitions/nope/start", "designer1", json={}).status_code == 404


def test_a_table_whose_cases_fail_is_not_deployed(api):
    before = snapshot(api)
    looser = ADMISSION.replace(b"&gt; 65", b"&gt; 70")  # a designer relaxes the maturity age
    r = upload(api, "admission.dmn", looser)
    assert r.status_code == 422
    failing = [p for p in r.get_json()["problems"] if p["file"] == "admission.tests.json"]
    assert failing and failing[0]["element"].startswith("adm_age_maturity")
    assert snapshot(api) == before


SCRATCH = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:process id="scratch" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="approver"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="Review"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="approval" />
      <spiffworkflow:property name="assignee" value="[no_such_variable]" />
    </spiffworkflow:properties></bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_model_failing_at_run_time_changes_nothing(api, container):
    """An assignee expression that fails as its task is created (a list, not a user name; in FEEL an unknown
    name is null, not an error): 422 naming the element, nothing stored."""
    from sqlalchemy import func, select

    from engine.models import AuditEvent, HumanTask, ProcessInstance

    assert upload(api, "scratch.bpmn", SCRATCH).status_code == 201

    def counts():
        with container.uow() as uow:
            return tuple(uow.session.scalar(select(func.count()).select_from(t)) for t in (ProcessInstance, HumanTask, AuditEvent))

    before = counts()
    r = api.post("/process-definitions/scratch/start", "designer1", json={"data": {}})
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"] == "process_failed" and r.get_json()["element"] == "review"
    assert "must be a user name" in r.get_json()["message"]
    assert counts() == before
