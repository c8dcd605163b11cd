"""Bad input to tasks: a clear, located error, and nothing changes."""
from sqlalchemy import func, select

from engine.models import AuditEvent, HumanTask, ProcessInstance
from tests.conftest import applicant


def _state(container, task_id):
    with container.uow() as uow:
        s = uow.session
        task = s.get(HumanTask, task_id)
        inst = s.get(ProcessInstance, task.instance_id)
        return task.state, task.assignee, inst.version, inst.serialization, s.scalar(select(func.count()).select_from(AuditEvent))


def _investigate_task(api):
    body = {"product_code": "NONGHU", "amount": "100000", "term_months": 12, "purpose": "养殖",
            "channel": "manager_app", "applicant": applicant(5)}
    app_id = api.post("/applications", "manager1", json=body).get_json()["id"]
    return api.my_task("investigator1", app_id, "investigate")


def test_invalid_form_data_names_each_field_and_changes_nothing(api, container):
    task = _investigate_task(api)
    before = _state(container, task["id"])
    r = api.post(f"/tasks/{task['id']}/complete", "investigator1",
                 json={"data": {"site_rating": "excellent", "annual_income": "abc", "guarantee": "mortgage"}})
    assert r.status_code == 422
    fields = r.get_json()["fields"]
    assert {"site_rating", "annual_income", "findings"} <= set(fields)
    assert _state(container, task["id"]) == before
    r = api.post(f"/tasks/{task['id']}/complete", "investigator1", json={"data": "nope"})
    assert r.status_code == 422 and "data" in r.get_json()["fields"]
    r = api.post(f"/tasks/{task['id']}/complete", "investigator1", data="{not json", content_type="application/json")
    assert r.status_code == 400
    assert _state(container, task["id"]) == before


def test_forged_and_foreign_task_ids(api, container):
    task = _investigate_task(api)
    for forged in ("00000000-0000-0000-0000-000000000000", "../../etc/passwd", "1 OR 1=1"):
        assert api.get(f"/tasks/{forged}", "investigator1").status_code == 404
        assert api.post(f"/tasks/{forged}/complete", "investigator1", json={"data": {}}).status_code == 404
    api.token("investigator2")  # signing in is itself an audit event; sign in before counting them
    before = _state(container, task["id"])
    r = api.post(f"/tasks/{task['id']}/complete", "investigator2", json={"data": {}})
    assert r.status_code == 403 and "assigned to investigator1" in r.get_json()["message"]
    assert api.post(f"/tasks/{task['id']}/claim", "investigator2").status_code == 409
    assert _state(container, task["id"]) == before


def test_completing_twice_is_a_conflict(api):
    task = _investigate_task(api)
    data = {"site_rating": "good", "annual_income": "200000", "guarantee": "guarantee", "guarantor_name": "王五",
            "findings": "ok"}
    api.complete("investigator1", task["id"], data)
    r = api.post(f"/tasks/{task['id']}/complete", "investigator1", json={"data": data})
    assert r.status_code == 409 and "already completed" in r.get_json()["message"]


def test_openapi_and_health(api):
    assert api.client.get("/healthz").get_json() == {"status": "ok"}
    doc = api.client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    ref = doc["paths"]["/applications"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(body["required"]) == {"product_code", "amount", "term_months", "applicant"}
