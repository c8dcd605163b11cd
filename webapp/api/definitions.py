from __future__ import annotations

import os

from flask import request

from engine.inbox import of_instance
from engine.lint import ModelError, Problem
from engine.models import Deployment

from .. import services
from ..extensions import container
from . import bp
from .applications import _load_body
from .auth import login_required, principal
from .errors import ApiError
from .presenters import definition_json, task_json
from .schemas import StartSchema


@bp.get("/process-definitions")
@login_required()
def list_definitions():
    c = container()
    with c.uow() as uow:
        latest = c.definitions.latest(uow.session)
        return {"deployment_version": latest.version if latest else None,
                "definitions": [definition_json(d) for d in c.definitions.list_latest(uow.session)]}


@bp.post("/process-definitions")
@login_required("designer", "admin")
def deploy_definition():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError(400, "bad_request", "send the BPMN or DMN file as multipart field 'file'")
    name = os.path.basename(upload.filename)
    content = upload.read()
    if not content.strip():
        raise ModelError([Problem(name, None, None, "file is empty")])
    c = container()
    with c.uow() as uow:
        result = c.definitions.deploy(uow.session, {name: content}, principal().username, c.clock.now())
        uow.commit()
        return {"deployment": {"id": result.deployment.id, "version": result.deployment.version,
                               "content_hash": result.deployment.content_hash},
                "created": result.created,
                "definitions": [definition_json(d, result.deployment.version) for d in result.definitions]}, \
            201 if result.created else 200


@bp.post("/process-definitions/<process_id>/start")
@login_required("designer", "admin")
def start_definition(process_id: str):
    body = _load_body(StartSchema())
    c = container()
    instance = services.start_test_run(c, principal(), process_id, body["data"], body["business_key"])
    with c.uow() as uow:
        deployment = uow.session.get(Deployment, instance.deployment_id)
        tasks = [task_json(t) for t in of_instance(uow.session, instance.id)]
        return {"instance_id": instance.id, "process_id": process_id, "status": instance.status,
                "deployment_version": deployment.version, "tasks": tasks}, 201
