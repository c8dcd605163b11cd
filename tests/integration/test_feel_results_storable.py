"""A script or expression whose result is not JSON data is a located 422 and stores nothing (issue 11)."""
import io

import pytest
from sqlalchemy import func, select

from engine.models import AuditEvent, HumanTask, ProcessInstance
from tests.integration.test_feel_in_processes import REVIEW, instance_data, process


def script_then_review(expr: str, result_variable: bool = True) -> bytes:
    attr = ' camunda:resultVariable="x"' if result_variable else ""
    return process("storable", f"""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:scriptTask id="compute"{attr}><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:script>{expr}</bpmn:script></bpmn:scriptTask>""" + REVIEW.format(due="duration(&quot;PT4H&quot;)", incoming="f2"),
                   '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute" />'
                   '<bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="review" />')


def counts(container):
    with container.uow() as uow:
        return tuple(uow.session.scalar(select(func.count()).select_from(t)) for t in (ProcessInstance, HumanTask, AuditEvent))


@pytest.mark.parametrize("expr, result_variable, says", [
    ("[1..3]", True, "range"),
    ("function(a) a + 1", True, "function"),
    ("{r: [1..2]}", False, "range"),
    ("{a: {b: [function(a) a]}}", False, "function"),
    ("10 ** 400", True, "too large"),
    ("[1, -(10 ** 400)]", True, "too large"),
    (r'"a\u0000b"', True, "NUL"),
    (r'"\ud800"', True, "surrogate"),
    (r'{"\u0000": 1}', False, "NUL"),
])
def test_a_result_that_is_not_json_data_is_a_located_422(api, container, expr, result_variable, says):
    r = api.post("/process-definitions", "designer1", content_type="multipart/form-data",
                 data={"file": (io.BytesIO(script_then_review(expr, result_variable)), "storable.bpmn")})
    assert r.status_code == 201, r.get_json()
    before = counts(container)
    r = api.post("/process-definitions/storable/start", "designer1", json={"data": {}})
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert body["error"] == "process_failed" and body["element"] == "compute" and says in body["message"], body
    assert counts(container) == before


def test_a_large_but_finite_result_is_still_stored(api, container):
    r = api.post("/process-definitions", "designer1", content_type="multipart/form-data",
                 data={"file": (io.BytesIO(script_then_review("10 ** 30 + 0.5")), "storable.bpmn")})
    assert r.status_code == 201
    r = api.post("/process-definitions/storable/start", "designer1", json={"data": {}})
    assert r.status_code == 201, r.get_json()
    assert instance_data(container, r.get_json()["instance_id"])["x"] == pytest.approx(1e30)
