"""FEEL where the engine runs it: scripts, gateway conditions, timers, due dates, and bombs in a test run."""
import io
import json
import subprocess
import sys
import time

from sqlalchemy import func, select

from engine.models import AuditEvent, HumanTask, ProcessInstance
from tests.helpers import assert_round_trip
from webapp.bootstrap import PROCESSES_DIR

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">"""


def process(pid: str, body: str, flows: str, lane_nodes=("review",)) -> bytes:
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in lane_nodes)
    return f"""{HEAD}<bpmn:process id="{pid}" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="approver">{refs}</bpmn:lane></bpmn:laneSet>
    {body}{flows}</bpmn:process></bpmn:definitions>""".encode()


REVIEW = """<bpmn:userTask id="review" name="Review"><bpmn:extensionElements><spiffworkflow:properties>
  <spiffworkflow:property name="formKey" value="approval" />
  <spiffworkflow:property name="dueIn" value="{due}" /></spiffworkflow:properties></bpmn:extensionElements>
  <bpmn:incoming>{incoming}</bpmn:incoming><bpmn:outgoing>f_end</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="end"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f_end" sourceRef="review" targetRef="end" />"""


def upload(api, name, content):
    return api.post("/process-definitions", "designer1", data={"file": (io.BytesIO(content), name)},
                    content_type="multipart/form-data")


def start(api, pid, data):
    return api.post(f"/process-definitions/{pid}/start", "designer1", json={"data": data})


def instance_data(container, instance_id):
    from SpiffWorkflow.util.task import TaskState

    with container.uow() as uow:
        workflow, _ = container.runtime._load(uow.session, uow.session.get(ProcessInstance, instance_id), "test")
        return workflow.get_tasks(state=TaskState.READY, manual=True)[0].data


SCRIPTS = process("scripts", """
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:scriptTask id="compute" camunda:resultVariable="gross" scriptFormat="feel"><bpmn:incoming>f1</bpmn:incoming>
    <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>amount * (1 + rate)</bpmn:script></bpmn:scriptTask>
  <bpmn:scriptTask id="label"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    <bpmn:script>{size: if gross &gt; 100 then "large" else "small", parts: for i in 1..3 return i * 0.1, due: date("2026-03-31")}</bpmn:script></bpmn:scriptTask>
  <bpmn:exclusiveGateway id="gw" default="f_default"><bpmn:incoming>f3</bpmn:incoming>
    <bpmn:outgoing>f_text</bpmn:outgoing><bpmn:outgoing>f_default</bpmn:outgoing></bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="f_text" sourceRef="gw" targetRef="end_text"><bpmn:conditionExpression>size</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_default" sourceRef="gw" targetRef="gw2" />
  <bpmn:endEvent id="end_text"><bpmn:incoming>f_text</bpmn:incoming></bpmn:endEvent>
  <bpmn:exclusiveGateway id="gw2" default="f_small"><bpmn:incoming>f_default</bpmn:incoming>
    <bpmn:outgoing>f_large</bpmn:outgoing><bpmn:outgoing>f_small</bpmn:outgoing></bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="f_large" sourceRef="gw2" targetRef="review"><bpmn:conditionExpression>amount &gt; 10</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_small" sourceRef="gw2" targetRef="end_small" />
  <bpmn:endEvent id="end_small"><bpmn:incoming>f_small</bpmn:incoming></bpmn:endEvent>
""" + REVIEW.format(due="duration(&quot;PT4H&quot;)", incoming="f_large"), """
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute" />
  <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="label" />
  <bpmn:sequenceFlow id="f3" sourceRef="label" targetRef="gw" />""")


def test_scripts_conditions_and_due_dates_in_feel(api, container, clock):
    assert upload(api, "scripts.bpmn", SCRIPTS).status_code == 201
    r = start(api, "scripts", {"amount": 200, "rate": 0.05})
    assert r.status_code == 201, r.get_json()
    iid = r.get_json()["instance_id"]
    data = instance_data(container, iid)
    # decimal arithmetic, stored as plain JSON data; the context's entries written to the data
    assert data["gross"] == 210 and data["size"] == "large" and data["parts"] == [0.1, 0.2, 0.3]
    assert data["due"] == "2026-03-31"
    with container.uow() as uow:
        task = uow.session.scalars(select(HumanTask).where(HumanTask.instance_id == iid)).one()
        # a text is not true: the `size` flow was not taken; `amount > 10` was
        assert task.spec_name == "review"
        assert (task.due_at - clock.now()).total_seconds() == 4 * 3600
    assert_round_trip(container, iid)


def test_a_plain_condition_such_as_amount_over_10_keeps_working(api, container):
    upload(api, "scripts.bpmn", SCRIPTS)
    r = start(api, "scripts", {"amount": 5, "rate": 0})
    assert r.status_code == 201 and r.get_json()["status"] == "complete"


def counts(container):
    with container.uow() as uow:
        return tuple(uow.session.scalar(select(func.count()).select_from(t)) for t in (ProcessInstance, HumanTask, AuditEvent))


BOMB = process("bomb", """
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:scriptTask id="spin" camunda:resultVariable="n"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:script>count(for i in 1..100000000000 return i)</bpmn:script></bpmn:scriptTask>
  <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>""", """
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="spin" />
  <bpmn:sequenceFlow id="f2" sourceRef="spin" targetRef="end" />""", lane_nodes=())


def test_a_bomb_in_a_test_run_is_a_located_422_within_the_budget_and_stores_nothing(api, container):
    assert upload(api, "bomb.bpmn", BOMB).status_code == 201
    before = counts(container)
    started = time.perf_counter()
    r = start(api, "bomb", {})
    assert time.perf_counter() - started < 3
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert body["element"] == "spin" and ("budget" in body["message"] or "limit" in body["message"])
    assert counts(container) == before


def test_python_in_an_uploaded_model_is_refused_at_deploy_saying_feel_is_expected(api):
    python = SCRIPTS.replace(b'scriptFormat="feel"', b'scriptFormat="python"')
    r = upload(api, "scripts.bpmn", python)
    assert r.status_code == 422
    [problem] = [p for p in r.get_json()["problems"] if p["element"] == "compute"]
    assert "scripts are FEEL" in problem["message"] and problem["line"] == 8
    legacy = SCRIPTS.replace(b"<bpmn:script>amount * (1 + rate)</bpmn:script>",
                             b"<bpmn:script>gross = amount * (1 + rate)\nprint(gross)</bpmn:script>")
    r = upload(api, "scripts.bpmn", legacy.replace(b' camunda:resultVariable="gross"', b""))
    assert r.status_code == 422
    assert any("looks like Python" in p["message"] for p in r.get_json()["problems"])


def cli(*args):
    return subprocess.run([sys.executable, "-m", "webapp.cli", "decisions", "evaluate", *args],
                          capture_output=True, text=True, timeout=60)


def test_cli_evaluates_a_decision_and_prints_only_its_value():
    r = cli(str(PROCESSES_DIR / "risk_band.dmn"), "--context", '{"score": 500}')
    assert r.returncode == 0 and r.stderr == ""
    assert json.loads(r.stdout) == {"band": "C", "band_factor": 0.75, "pd": 0.03}
    r = cli(str(PROCESSES_DIR / "product_route.dmn"), "--decision", "product_route",
            "--context", '{"facts": {"product_code": "SHANDAI"}}')
    assert r.returncode == 0 and json.loads(r.stdout) == "automated"  # one output: the value itself


def test_cli_errors_are_located_on_stderr_and_exit_1(tmp_path):
    bad = tmp_path / "bad.dmn"
    bad.write_text('<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/">\n'
                   '<decision id="d" name="D"><literalExpression><text>1 +</text></literalExpression></decision></definitions>')
    r = cli(str(bad), "--context", "{}")
    assert r.returncode == 1 and r.stdout == "" and "bad.dmn:2 [d]" in r.stderr
    r = cli(str(PROCESSES_DIR / "risk_band.dmn"), "--context", "{nope")
    assert r.returncode == 1 and r.stdout == "" and "--context" in r.stderr
    r = cli(str(PROCESSES_DIR / "risk_band.dmn"), "--context", '{"score": "x"}', "--strict")
    assert r.returncode == 1 and "no rule matched" in r.stderr
