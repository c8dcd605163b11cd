"""Test helpers: an API client that logs in as demo users, and the serializer round trip."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from engine.models import HumanTask, ProcessInstance

DEMO_PASSWORD = "demo123"


class Api:
    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            r = self.client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
            assert r.status_code == 200, r.get_json()
            self.tokens[username] = r.get_json()["token"]
        return self.tokens[username]

    def call(self, method: str, path: str, user: str | None = None, **kw):
        headers = dict(kw.pop("headers", {}) or {})
        if user:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    def get(self, path, user=None, **kw):
        return self.call("GET", path, user, **kw)

    def post(self, path, user=None, **kw):
        return self.call("POST", path, user, **kw)

    def my_task(self, user: str, application_id: int, name: str) -> dict:
        r = self.get(f"/tasks?application_id={application_id}", user)
        assert r.status_code == 200, r.get_json()
        found = [t for t in r.get_json()["tasks"] if t["name"] == name]
        assert found, f"{user} has no task {name} on application {application_id}: {r.get_json()}"
        return found[0]

    def complete(self, user: str, task_id: str, data: dict, expect: int = 200) -> Any:
        r = self.post(f"/tasks/{task_id}/complete", user, json={"data": data})
        assert r.status_code == expect, r.get_json()
        return r.get_json()


def assert_round_trip(container, instance_id: int) -> None:
    """Save -> restore -> save again changes nothing, and the task table agrees with the workflow."""
    from SpiffWorkflow.util.task import TaskState

    rt = container.runtime
    with container.uow() as uow:
        inst = uow.session.get(ProcessInstance, instance_id)
        workflow, _ = rt._load(uow.session, inst, "test")
        again = rt.serializer.dumps(workflow)
        assert json.loads(again) == json.loads(inst.serialization)
        ready = {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        mirrored = set(uow.session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.state == "ready")))
        assert ready == mirrored


def ui_login(client, username: str) -> str:
    """Sign in through the login form; returns the CSRF token for later posts."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.status_code
    page = client.get("/inbox").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
