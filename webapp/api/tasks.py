from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from decimal import Decimal

from flask import request
from flask_babel import gettext as _

import forms
from engine import inbox

from .. import access, i18n, queries, services
from ..workbench import carried
from ..extensions import container
from . import bp, parsing
from .applications import _load_body
from .auth import login_required, principal
from .errors import ApiError
from .presenters import task_json
from .schemas import TaskCompletionSchema


@bp.get("/tasks")
@login_required()
def list_tasks():
    limit = parsing.query_int("limit", 50, 1, 200, clamp=True)
    offset = parsing.query_int("offset", 0)
    c = container()
    with c.uow() as uow:
        rows, more = queries.workable_tasks(uow.session, principal(), c.runtime.sod, limit, offset,
                                            request.args.get("application_id"))
        return {"tasks": [task_json(t) for t in rows], "next_offset": more}


@bp.get("/tasks/<task:task_id>")
@login_required()
def get_task(task_id: str):
    c = container()
    with c.uow() as uow:
        task = access.task(uow.session, principal(), task_id)
        body = task_json(task)
        body["form"] = i18n.schema(forms.json_schema(task.form_key)) if task.form_key in forms.FORMS else None
        body["data"] = task.data or {}
        body["may_complete"] = task.state == "ready" and c.runtime.may_work(uow.session, task, principal().actor) is None
        body["carried"] = _carried(carried.of_task(uow.session, principal(), task))
        return body


def _plain(value):
    """Times as ISO strings and money as decimal strings, as everywhere in the API."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _carried(found: carried.Carried) -> dict:
    """What earlier steps produced (the same as the task page shows); a returned task's `prefill` is the
    data its form was completed with before the return."""
    out = _plain(asdict(found))
    out["prefill"] = out.pop("previous")  # an API client sends data, not a form post's field names
    if out["returned"] is not None and out["returned"]["by"] is None:
        out["returned"]["by_name"] = _("Credit committee")
    return out


@bp.post("/tasks/<task:task_id>/claim")
@login_required()
def claim_task(task_id: str):
    return task_json(services.claim(container(), principal(), task_id))


@bp.post("/tasks/<task:task_id>/release")
@login_required()
def release_task(task_id: str):
    return task_json(services.release(container(), principal(), task_id))


@bp.post("/tasks/<task:task_id>/complete")
@login_required()
def complete_task(task_id: str):
    body = _load_body(TaskCompletionSchema())
    c = container()
    instance = services.complete_task(c, principal(), task_id, body["data"])
    with c.uow() as uow:
        task = access.task(uow.session, principal(), task_id)
        return {"task": task_json(task), "instance": {"id": instance.id, "status": instance.status},
                "next_tasks": [task_json(t) for t in inbox.of_business_key(uow.session, task.business_key or "")]
                if task.business_key else []}
