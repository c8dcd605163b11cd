"""Comments and documents on applications, and branch heads' reassignment."""
from __future__ import annotations

from flask import Response, request
from marshmallow import fields, validate

from credit import documents

from .. import access, services
from ..extensions import container
from . import bp
from .applications import _load_body
from .auth import login_required, principal
from .errors import ApiError
from .schemas import Strict


class CommentSchema(Strict):
    body = fields.String(required=True, validate=validate.Length(min=1, max=documents.MAX_COMMENT))
    task_id = fields.String(load_default=None, validate=validate.Length(max=36))


class ReassignSchema(Strict):
    task_ids = fields.List(fields.String(validate=validate.Length(max=36)), required=True,
                           validate=validate.Length(min=1, max=200))
    to = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


def attachment_json(a: documents.Attachment) -> dict:
    return {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256,
            "task_id": a.task_id, "uploaded_by": a.uploaded_by, "uploaded_at": a.uploaded_at.isoformat()}


@bp.post("/applications/<int:application_id>/comments")
@login_required()
def post_comment(application_id: int):
    body = _load_body(CommentSchema())
    comment = services.add_comment(container(), principal(), application_id, body["body"], body["task_id"])
    return {"id": comment.id, "author": comment.author, "body": comment.body, "task_id": comment.task_id,
            "at": comment.at.isoformat()}, 201


@bp.post("/applications/<int:application_id>/attachments")
@login_required()
def post_attachment(application_id: int):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError(400, "bad_request", "send the document as multipart field 'file'")
    att = services.upload(container(), principal(), application_id, upload.filename, upload.read(),
                          request.form.get("task_id") or None)
    return attachment_json(att), 201


@bp.get("/attachments/<int:attachment_id>")
@login_required()
def get_attachment(attachment_id: int):
    with container().uow() as uow:
        att = access.attachment(uow.session, principal(), attachment_id)
        return Response(documents.content_of(uow.session, att), mimetype=att.content_type,
                        headers={"X-Content-Type-Options": "nosniff", "X-Checksum-Sha256": att.sha256})


@bp.post("/tasks/reassign")
@login_required("admin", "branch_head")
def reassign_tasks():
    body = _load_body(ReassignSchema())
    n = services.reassign(container(), principal().actor, body["task_ids"], body["to"], body["reason"])
    return {"reassigned": n, "to": body["to"]}
