"""Contract templates for designers: list, validate-and-deploy, preview with sample data."""
from __future__ import annotations

import os

from flask import Response, request

from credit import contract_templates

from .. import services
from ..extensions import container
from . import bp
from .auth import login_required, principal
from .errors import ApiError


def _upload() -> tuple[str, str]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError(400, "bad_request", "send the template as multipart field 'file'")
    name = os.path.basename(upload.filename)
    if not name.endswith(".html") or not contract_templates.valid_name(name[:-5]):
        raise ApiError(422, "invalid_template", f"{name}: templates are NAME.html",
                       problems=[{"file": name, "element": None, "line": None, "message": "templates are NAME.html"}])
    raw = upload.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:  # a NUL is not text either, and no database column stores it
        raise ApiError(422, "invalid_template", f"{name}: not UTF-8 text",
                       problems=[{"file": name, "element": None, "line": None, "message": "not UTF-8 text"}])
    return name[:-5], text


def _refused(exc: contract_templates.TemplateRefused):
    return ApiError(422, "invalid_template", str(exc), problems=[p.as_dict() for p in exc.problems])


@bp.get("/contract-templates")
@login_required()
def list_templates():
    with container().uow() as uow:
        return {"templates": [{"name": t.name, "version": t.version, "sha256": t.sha256, "deployed_by": t.deployed_by,
                               "deployed_at": t.deployed_at.isoformat()}
                              for t in sorted(contract_templates.active(uow.session).values(), key=lambda t: t.name)]}


@bp.post("/contract-templates")
@login_required("designer", "admin")
def deploy_template():
    name, source = _upload()
    try:
        result = services.deploy_contract_template(container(), principal().username, name, source)
    except contract_templates.TemplateRefused as exc:
        raise _refused(exc) from None
    return result, 201 if result["created"] else 200


@bp.post("/contract-templates/preview")
@login_required("designer", "admin")
def preview_template():
    """Render the candidate with sample data, watermarked 样本; nothing is stored."""
    name, source = _upload()
    try:
        return Response(services.preview_contract_template(container(), name, source), mimetype="application/pdf")
    except contract_templates.TemplateRefused as exc:
        raise _refused(exc) from None
