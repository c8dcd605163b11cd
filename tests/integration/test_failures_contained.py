"""Failures stay contained (issue 10): whatever breaks while an instance advances gives a located
422 in a request, with nothing stored, or marks that one instance failed in the scheduler while
the other due instances still fire.

Every expression in these models is valid both as Python and as FEEL."""
import io

import pytest
from sqlalchemy import func, select

from engine import audit
from engine.models import AuditEvent, HumanTask, ProcessInstance, Timer
from webapp.scheduler import fire_due_timers

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">"""

FORM = """<bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="approval" />
    </spiffworkflow:properties></bpmn:extensionElements>"""

PARALLEL_OVER_ITEMS = """<bpmn:multiInstanceLoopCharacteristics isSequential="false">
      <bpmn:loopDataInputRef>items</bpmn:loopDataInputRef><bpmn:inputDataItem id="item" />
    </bpmn:multiInstanceLoopCharacteristics>"""

# The element that fans out over `items`, as a user task or as an embedded subprocess.
FAN_OUT = {
    "user_task": ("review_each", ["review_each"], f"""
    <bpmn:userTask id="review_each" name="Review each">{FORM}
      <bpmn:incoming>f_in</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing>{PARALLEL_OVER_ITEMS}
    </bpmn:userTask>"""),
    "subprocess": ("check_each", ["check_item"], f"""
    <bpmn:subProcess id="check_each" name="Check each">
      <bpmn:incoming>f_in</bpmn:incoming><bpmn:outgoing>f_out</bpmn:outgoing>{PARALLEL_OVER_ITEMS}
      <bpmn:startEvent id="sub_start"><bpmn:outgoing>sf1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:userTask id="check_item" name="Check item">{FORM}<bpmn:incoming>sf1</bpmn:incoming><bpmn:outgoing>sf2</bpmn:outgoing></bpmn:userTask>
      <bpmn:endEvent id="sub_end"><bpmn:incoming>sf2</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="sf1" sourceRef="sub_start" targetRef="check_item" />
      <bpmn:sequenceFlow id="sf2" sourceRef="check_item" targetRef="sub_end" />
    </bpmn:subProcess>"""),
}

READY_PER_ITEM = {"user_task": "review_each [child]", "subprocess": "check_item"}


def fan_out_model(process_id: str, kind: str, first: bool = False) -> bytes:
    """start -> [a user task `first`, if asked] -> the fan-out over `items` -> end."""
    element_id, user_tasks, element = FAN_OUT[kind]
    lane = "".join(f"<bpmn:flowNodeRef>{t}</bpmn:flowNodeRef>" for t in user_tasks + ["first"] * first)
    before = "start"
    if first:
        before = "first"
        element = f"""<bpmn:userTask id="first" name="First">{FORM}<bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f_in</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="first" />{element}"""
    return f"""{HEAD}
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="approver">{lane}</bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>{"f0" if first else "f_in"}</bpmn:outgoing></bpmn:startEvent>
    {element}
    <bpmn:endEvent id="end"><bpmn:incoming>f_out</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f_in" sourceRef="{before}" targetRef="{element_id}" />
    <bpmn:sequenceFlow id="f_out" sourceRef="{element_id}" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


def upload(api, name: str, content: bytes):
    r = api.post("/process-definitions", "designer1", data={"file": (io.BytesIO(content), name)},
                 content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()


def counts(container):
    with container.uow() as uow:
        return tuple(uow.session.scalar(select(func.count()).select_from(t))
                     for t in (ProcessInstance, HumanTask, AuditEvent, Timer))


BAD_COLLECTIONS = [None, 7]


@pytest.mark.parametrize("kind", sorted(FAN_OUT))
def test_a_fan_out_over_a_bad_collection_is_a_located_422_and_stores_nothing(api, container, kind):
    element = FAN_OUT[kind][0]
    upload(api, "fanout.bpmn", fan_out_model("fanout", kind))
    before = counts(container)
    for items in BAD_COLLECTIONS:
        r = api.post("/process-definitions/fanout/start", "designer1", json={"data": {"items": items}})
        assert r.status_code == 422, (items, r.status_code, r.get_data(as_text=True))
        body = r.get_json()
        assert body["error"] == "process_failed" and body["element"] == element, body
        assert "nothing was changed" in body["message"]
        assert counts(container) == before, items
    # the server is still healthy and the same model runs with a proper list
    assert api.client.get("/healthz").get_json() == {"status": "ok"}
    r = api.post("/process-definitions/fanout/start", "designer1", json={"data": {"items": ["a", "b"]}})
    assert r.status_code == 201, r.get_json()
    assert [t["name"] for t in r.get_json()["tasks"]] == [READY_PER_ITEM[kind]] * 2


@pytest.mark.parametrize("kind", sorted(FAN_OUT))
def test_completing_a_task_that_leads_into_a_bad_fan_out_is_a_located_422_and_changes_nothing(api, container, kind):
    element = FAN_OUT[kind][0]
    upload(api, "fanout.bpmn", fan_out_model("fanout", kind, first=True))
    for items in BAD_COLLECTIONS:
        r = api.post("/process-definitions/fanout/start", "designer1", json={"data": {"items": items}})
        assert r.status_code == 201, r.get_json()
        (task,) = r.get_json()["tasks"]
        with container.uow() as uow:
            inst = uow.session.get(ProcessInstance, r.get_json()["instance_id"])
            state_before = (inst.version, inst.serialization)
        before = counts(container)
        r = api.post(f"/tasks/{task['id']}/complete", "designer1", json={"data": {"decision": "approve"}})
        assert r.status_code == 422, (items, r.status_code, r.get_data(as_text=True))
        assert r.get_json()["error"] == "process_failed" and r.get_json()["element"] == element
        assert counts(container) == before
        with container.uow() as uow:
            inst = uow.session.get(ProcessInstance, inst.id)
            assert (inst.version, inst.serialization) == state_before
            assert uow.session.get(HumanTask, task["id"]).state == "ready"
    assert api.client.get("/healthz").get_json() == {"status": "ok"}


TIMED = f"""{HEAD}
  <bpmn:process id="timed" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="approver"><bpmn:flowNodeRef>review_each</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait_an_hour" name="Wait an hour"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="wait_def"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:serviceTask id="notify" name="Notify"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="credit.sla_escalation" resultVariable="escalation"><spiffworkflow:parameters></spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:userTask id="review_each" name="Review each">{FORM}
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>{PARALLEL_OVER_ITEMS}
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait_an_hour" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait_an_hour" targetRef="notify" />
    <bpmn:sequenceFlow id="f3" sourceRef="notify" targetRef="review_each" />
    <bpmn:sequenceFlow id="f4" sourceRef="review_each" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_a_failing_wake_marks_that_instance_failed_and_the_others_still_fire(container, clock):
    c = container
    called: list[object] = []

    def notify(ctx, **_):  # a stand-in service: fails for the instance that asks it to
        called.append(ctx.data.get("label"))
        if ctx.data.get("boom"):
            raise RuntimeError("mail gateway refused the message")
        return {"sent": True}

    c.services.override("credit.sla_escalation", notify)
    with c.uow() as uow:
        c.definitions.deploy(uow.session, {"timed.bpmn": TIMED}, "designer1", clock.now())
        uow.commit()
    ids = {}
    with c.uow() as uow:
        for label, data in [("service_fails", {"boom": True, "items": ["x"]}),
                            ("collection_is_null", {"items": None}),
                            ("healthy", {"items": ["a", "b"]})]:
            ids[label] = c.runtime.start(uow.session, "timed", {"label": label, **data}, "designer1").id
        uow.commit()

    def snapshot(instance_id):
        with c.uow() as uow:
            inst = uow.session.get(ProcessInstance, instance_id)
            events = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                              .order_by(AuditEvent.seq)))
            return inst, [e.type for e in events], events

    before = {label: snapshot(i) for label, i in ids.items()}
    with c.uow() as uow:
        assert c.runtime.due_instances(uow.session) == []
    clock.advance(hours=2)
    with c.uow() as uow:
        assert sorted(c.runtime.due_instances(uow.session)) == sorted(ids.values())

    assert fire_due_timers(c) == 1  # one tick: the two bad ones fail, the healthy one fires

    inst, types, _ = snapshot(ids["healthy"])
    assert inst.status == "running" and inst.error is None
    assert types[-1] != "instance_failed" and "timers_checked" in types
    with c.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.instance_id == inst.id, HumanTask.spec_name == "review_each [child]")) == 2

    expected = {"service_fails": ("notify", "mail gateway refused the message"),
                "collection_is_null": ("review_each", "TypeError")}
    for label, (element, message) in expected.items():
        old, old_types, _ = before[label]
        inst, types, events = snapshot(ids[label])
        assert inst.status == "failed", label
        assert inst.error_element == element and message in inst.error, (label, inst.error_element, inst.error)
        assert inst.serialization == old.serialization, label  # the failed wake was rolled back
        assert types == old_types + ["instance_failed"], (label, types)
        assert events[-1].actor == "scheduler" and events[-1].data == {"element": element, "error": inst.error}
        assert events[-1].model_version and events[-1].model_version.startswith("timed@v1/")

    # not picked again: no longer due, the next tick wakes nothing and calls nothing
    calls = len(called)
    with c.uow() as uow:
        assert c.runtime.due_instances(uow.session) == []
        assert audit.verify(uow.session).ok
    clock.advance(hours=2)
    assert fire_due_timers(c) == 0
    assert len(called) == calls
    for label in expected:
        assert snapshot(ids[label])[1] == before[label][1] + ["instance_failed"]


def test_mark_failed_is_shared_by_web_cli_and_scheduler(container, clock):
    c = container
    with c.uow() as uow:
        c.definitions.deploy(uow.session, {"timed.bpmn": TIMED}, "designer1", clock.now())
        uow.commit()
    with c.uow() as uow:
        iid = c.runtime.start(uow.session, "timed", {"items": ["a"]}, "designer1").id
        uow.commit()
    with c.uow() as uow:
        c.runtime.mark_failed(uow.session, iid, "stopped by hand", None, actor="admin")
        uow.commit()
    with c.uow() as uow:
        inst = uow.session.get(ProcessInstance, iid)
        assert (inst.status, inst.error, inst.error_element) == ("failed", "stopped by hand", None)
        assert uow.session.scalar(select(func.count()).select_from(Timer).where(Timer.instance_id == iid)) == 0
        last = uow.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid)
                                   .order_by(AuditEvent.seq.desc())).first()
        assert (last.type, last.actor) == ("instance_failed", "admin")
    clock.advance(hours=2)
    assert fire_due_timers(c) == 0
