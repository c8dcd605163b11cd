"""BPMN as modelers write it (issue 10): Camunda 7/8 form keys, pools drawn for documentation,
plain and manual tasks, empty timers. Each file is what Camunda Modeler or bpmn.io saves."""
import pytest

from tests.helpers import assert_round_trip
from tests.integration.test_deploy import snapshot, upload

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn"
  exporter="Camunda Modeler" exporterVersion="5.20.0" modeler:executionPlatform="Camunda Platform">
"""

# One pool, one lane, start -> {task} -> end; {task} is the element under test.
ONE_LANE = HEAD + """  <bpmn:collaboration id="Collaboration_1">
    <bpmn:participant id="Participant_bank" name="Bank" processRef="{pid}" />
  </bpmn:collaboration>
  <bpmn:process id="{pid}" name="Modeler test" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_1" name="{lane}">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef>
        {refs}
        <bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1">
      <bpmn:outgoing>Flow_1</bpmn:outgoing>
    </bpmn:startEvent>
{body}
    <bpmn:endEvent id="EndEvent_1">
      <bpmn:incoming>Flow_2</bpmn:incoming>
    </bpmn:endEvent>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Collaboration_1">
      <bpmndi:BPMNShape id="Participant_bank_di" bpmnElement="Participant_bank" isHorizontal="true">
        <dc:Bounds x="120" y="60" width="600" height="250" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def one_lane(pid: str, body: str, refs: tuple[str, ...] = ("Activity_1",), lane: str = "approver") -> bytes:
    flow_refs = "\n        ".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs)
    return ONE_LANE.format(pid=pid, body=body, refs=flow_refs, lane=lane).encode()


def user_task(attrs: str = "", ext: str = "") -> str:
    ext = f"\n      <bpmn:extensionElements>{ext}</bpmn:extensionElements>" if ext else ""
    return f"""    <bpmn:userTask id="Activity_1" name="Review the file"{attrs}>{ext}
      <bpmn:incoming>Flow_1</bpmn:incoming>
      <bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_1" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_1" targetRef="EndEvent_1" />"""


def line_of(content: bytes, needle: str) -> int:
    return next(i for i, line in enumerate(content.decode().splitlines(), 1) if needle in line)


def refused(api, name: str, content: bytes, element: str, message: str) -> dict:
    before = snapshot(api)
    r = upload(api, name, content)
    assert r.status_code == 422, r.get_json()
    problems = r.get_json()["problems"]
    found = [p for p in problems if message in p["message"]]
    assert found, problems
    assert found[0]["file"] == name and found[0]["element"] == element
    assert found[0]["line"] == line_of(content, f'id="{element}"')
    assert snapshot(api) == before
    return found[0]


def start(api, pid: str) -> dict:
    r = api.post(f"/process-definitions/{pid}/start", "designer1", json={"data": {}})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def inbox_task(api, user: str, instance_id: int) -> dict:
    r = api.get("/tasks", user)
    assert r.status_code == 200
    found = [t for t in r.get_json()["tasks"] if t["instance_id"] == instance_id]
    assert len(found) == 1, r.get_json()
    return found[0]


OUR_FORM_KEY = ('<spiffworkflow:properties xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core">'
                '<spiffworkflow:property name="formKey" value="{key}" /></spiffworkflow:properties>')

FORM_ALIASES = [
    ("camunda7", ' camunda:formKey="approval"', ""),
    ("zeebe_form_id", "", '<zeebe:formDefinition formId="approval" />'),
    ("zeebe_form_key", "", '<zeebe:formDefinition formKey="approval" />'),
]


@pytest.mark.parametrize("pid,attrs,ext", FORM_ALIASES)
def test_a_camunda_form_key_names_our_form(api, pid, attrs, ext):
    content = one_lane(pid, user_task(attrs, ext))
    r = upload(api, f"{pid}.bpmn", content)
    assert r.status_code == 201, r.get_json()
    started = start(api, pid)
    assert [t["form_key"] for t in started["tasks"]] == ["approval"]
    # a test run: its task is the designer's, in the approver's lane, never in an approver's inbox
    task = inbox_task(api, "designer1", started["instance_id"])
    assert task["form_key"] == "approval" and task["post"] == "approver"
    assert all(t["id"] != task["id"] for t in api.get("/tasks", "approver1").get_json()["tasks"])
    detail = api.get(f"/tasks/{task['id']}", "designer1").get_json()
    assert detail["form"] and "decision" in detail["form"]["properties"]
    done = api.complete("designer1", task["id"], {"decision": "approve"})
    assert done["instance"]["status"] == "complete"


@pytest.mark.parametrize("attrs,ext,key", [
    (' camunda:formKey="embedded:app:forms/review.html"', "", "embedded:app:forms/review.html"),
    ("", '<zeebe:formDefinition formKey="camunda-forms:bpmn:UserTaskForm_1" />', "camunda-forms:bpmn:UserTaskForm_1"),
    ("", '<zeebe:formDefinition formId="no_such_form" />', "no_such_form"),
])
def test_a_camunda_form_key_naming_no_known_form_is_refused_with_its_line(api, attrs, ext, key):
    refused(api, "unknown_form.bpmn", one_lane("unknown_form", user_task(attrs, ext)), "Activity_1",
            f"formKey '{key}' is not a known form")


def test_two_different_form_keys_on_one_task_are_refused(api):
    ext = OUR_FORM_KEY.format(key="approval")
    refused(api, "two_forms.bpmn", one_lane("two_forms", user_task(' camunda:formKey="committee_vote"', ext)),
            "Activity_1", "more than one form")


COLLABORATION = (HEAD + """  <bpmn:collaboration id="Collaboration_1">
    <bpmn:participant id="Participant_customer" name="Customer" processRef="customer_side" />
    <bpmn:participant id="Participant_bank" name="Bank" processRef="bank_side" />
    <bpmn:messageFlow id="MessageFlow_1" sourceRef="Activity_apply" targetRef="Participant_bank" />
  </bpmn:collaboration>
  <bpmn:process id="customer_side" name="Customer" isExecutable="false">
    <bpmn:startEvent id="Customer_start"><bpmn:outgoing>Flow_c1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Activity_apply" name="Fill in the paper form"><bpmn:incoming>Flow_c1</bpmn:incoming>
      <bpmn:outgoing>Flow_c2</bpmn:outgoing></bpmn:userTask>
    <bpmn:task id="Activity_wait" name="Wait for the answer"><bpmn:incoming>Flow_c2</bpmn:incoming></bpmn:task>
    <bpmn:sequenceFlow id="Flow_c1" sourceRef="Customer_start" targetRef="Activity_apply" />
    <bpmn:sequenceFlow id="Flow_c2" sourceRef="Activity_apply" targetRef="Activity_wait" />
  </bpmn:process>
  <bpmn:process id="bank_side" name="Bank" isExecutable="{bank}">
    <bpmn:laneSet id="LaneSet_1"><bpmn:lane id="Lane_1" name="approver">
      <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef><bpmn:flowNodeRef>Activity_1</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
""" + user_task(ext=OUR_FORM_KEY.format(key="approval")) + """
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
""")


def test_a_pool_drawn_for_documentation_is_not_deployed(api):
    r = upload(api, "collaboration.bpmn", COLLABORATION.format(bank="true").encode())
    assert r.status_code == 201, r.get_json()
    assert [d["process_id"] for d in r.get_json()["definitions"]] == ["bank_side"]
    listed = {d["process_id"] for d in snapshot(api)["definitions"]}
    assert "bank_side" in listed and "customer_side" not in listed
    assert api.post("/process-definitions/customer_side/start", "designer1", json={}).status_code == 404
    started = start(api, "bank_side")
    assert [t["name"] for t in started["tasks"]] == ["Activity_1"]


def test_a_file_with_no_executable_process_is_refused(api):
    content = COLLABORATION.format(bank="false").encode()
    problem = refused(api, "collaboration.bpmn", content, "customer_side", "no executable process")
    assert 'isExecutable="false"' in problem["message"]


def plain_tasks(kinds=("task", "manualTask")) -> str:
    """start -Flow_1-> Activity_1 -> ... -> Activity_n -Flow_2-> end, each activity a `kinds` element."""
    ids = [f"Activity_{i}" for i in range(1, len(kinds) + 1)]
    flows = ["Flow_1"] + [f"Flow_{a}_{b}" for a, b in zip(ids, ids[1:])] + ["Flow_2"]
    nodes = ["StartEvent_1", *ids, "EndEvent_1"]
    out = [f'    <bpmn:{kind} id="{tid}" name="Phone the customer {i}"><bpmn:incoming>{flows[i - 1]}</bpmn:incoming>'
           f"<bpmn:outgoing>{flows[i]}</bpmn:outgoing></bpmn:{kind}>" for i, (kind, tid) in enumerate(zip(kinds, ids), 1)]
    out += [f'    <bpmn:sequenceFlow id="{f}" sourceRef="{a}" targetRef="{b}" />' for f, a, b in zip(flows, nodes, nodes[1:])]
    return "\n".join(out)


def test_plain_and_manual_tasks_are_done_by_the_post_of_their_lane(api, container):
    content = one_lane("phone_round", plain_tasks(), refs=("Activity_1", "Activity_2"))
    r = upload(api, "phone_round.bpmn", content)
    assert r.status_code == 201, r.get_json()
    instance_id = start(api, "phone_round")["instance_id"]
    for name in ("Activity_1", "Activity_2"):
        assert_round_trip(container, instance_id)  # the task table holds exactly the waiting (manual) tasks
        task = inbox_task(api, "designer1", instance_id)  # a test run's tasks go to the designer who started it
        assert (task["name"], task["form_key"], task["post"]) == (name, "task_done", "approver")
        detail = api.get(f"/tasks/{task['id']}", "designer1").get_json()
        assert detail["form"]["title"] == "确认完成" and detail["may_complete"] is True
        assert api.post(f"/tasks/{task['id']}/complete", "approver1", json={"data": {}}).status_code == 404
        done = api.complete("designer1", task["id"], {"remarks": "reached by phone"} if name == "Activity_1" else {})
        assert done["task"]["completed_by"] == "designer1"
    assert done["instance"]["status"] == "complete"


def test_the_product_defines_the_form_plain_tasks_are_done_on():
    import forms
    from engine.lint_modeler import DONE_FORM

    assert DONE_FORM in forms.FORMS and all(not f.required for f in forms.FORMS[DONE_FORM][1])


@pytest.mark.parametrize("kind", ["task", "manualTask"])
def test_a_plain_task_outside_a_lane_is_refused(api, kind):
    content = one_lane("no_lane", plain_tasks((kind,)), refs=())
    refused(api, "no_lane.bpmn", content, "Activity_1", "not in a lane")


def test_a_plain_task_in_a_lane_that_is_no_post_is_refused(api):
    content = one_lane("customer_lane", plain_tasks(("task",)), lane="customer")
    refused(api, "customer_lane.bpmn", content, "Activity_1", "lane 'customer', which is not a known post")


TIMER = """    <bpmn:intermediateCatchEvent id="Event_wait" name="Wait for the documents">
      <bpmn:incoming>Flow_1</bpmn:incoming>
      <bpmn:outgoing>Flow_2</bpmn:outgoing>
      {definition}
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Event_wait" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Event_wait" targetRef="EndEvent_1" />"""


@pytest.mark.parametrize("definition", [
    '<bpmn:timerEventDefinition id="TimerEventDefinition_1" />',
    '<bpmn:timerEventDefinition id="TimerEventDefinition_1"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">'
    "</bpmn:timeDuration></bpmn:timerEventDefinition>",
    '<bpmn:timerEventDefinition id="TimerEventDefinition_1"><bpmn:timeDate xsi:type="bpmn:tFormalExpression">  '
    "</bpmn:timeDate></bpmn:timerEventDefinition>",
])
def test_an_empty_timer_is_refused_naming_its_event(api, definition):
    content = one_lane("empty_timer", TIMER.format(definition=definition), refs=("Event_wait",))
    refused(api, "empty_timer.bpmn", content, "Event_wait", "timer event 'Wait for the documents' never fires")
