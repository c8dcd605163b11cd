"""Designers' pages for contract templates: the active set, each template's versions, an editor
that previews with sample data (watermarked 样本) and deploys a new version, or says which line is wrong."""
from __future__ import annotations

import re

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from credit import contract_templates

from .. import services
from ..extensions import container
from . import bp
from .session import login_required

MAX_UPLOAD = contract_templates.MAX_TEMPLATE_BYTES


def _designer() -> None:
    if not {"designer", "admin"} & g.me.posts:
        abort(403)


@bp.get("/contract-templates")
@login_required
def contract_template_list():
    _designer()
    with container().uow() as uow:
        active = sorted(contract_templates.active(uow.session).values(), key=lambda t: t.name)
        rows = [{"name": t.name, "version": t.version, "deployed_by": t.deployed_by, "deployed_at": t.deployed_at,
                 "sha256": t.sha256} for t in active]
    return render_template("contract_templates.html", templates=rows)


@bp.post("/contract-templates")
@login_required
def contract_template_new():
    _designer()
    name = request.form.get("name", "").strip()
    if not contract_templates.valid_name(name):
        flash(_("A template name is letters, digits and underscores, like mortgage_contract."), "error")
        return redirect(url_for("ui.contract_template_list"), 303)
    return redirect(url_for("ui.contract_template_page", name=name), 303)


@bp.route("/contract-templates/<name>", methods=["GET", "POST"])
@login_required
def contract_template_page(name: str):
    _designer()
    if not contract_templates.valid_name(name):
        abort(404)
    c = container()
    problems: list[dict] = []
    source = None
    if request.method == "POST":
        source = _submitted_source()
        if source is None:
            problems = [{"line": None, "message": _("The file is not UTF-8 text or is larger than %(kb)s KB.",
                                                    kb=MAX_UPLOAD // 1024)}]
        else:
            try:
                if request.form.get("action") == "preview":
                    pdf = services.preview_contract_template(c, name, source)
                    return Response(pdf, mimetype="application/pdf",
                                    headers={"Content-Disposition": f'inline; filename="{name}-preview.pdf"'})
                result = services.deploy_contract_template(c, g.me.username, name, source)
                flash(_("Version %(v)s of %(name)s deployed.", v=result["version"], name=name) if result["created"]
                      else _("No change: version %(v)s is already this text.", v=result["version"]))
                return redirect(url_for("ui.contract_template_page", name=name), 303)
            except contract_templates.TemplateRefused as exc:
                problems = [{"line": p.line, "message": _problem_text(p.message)} for p in exc.problems]
    with c.uow() as uow:
        history = [{"version": t.version, "deployed_by": t.deployed_by, "deployed_at": t.deployed_at,
                    "sha256": t.sha256} for t in contract_templates.versions(uow.session, name)]
        if source is None:
            current = contract_templates.active(uow.session).get(name)
            source = current.source if current else ""
    return render_template("contract_template.html", name=name, source=source, history=history,
                           problems=problems), 422 if problems else 200


def _submitted_source() -> str | None:
    upload = request.files.get("file")
    raw = upload.read(MAX_UPLOAD + 1) if upload and upload.filename else request.form.get("source", "").encode()
    if len(raw) > MAX_UPLOAD:
        return None
    try:
        return raw.decode("utf-8").replace("\r\n", "\n")  # browsers send textarea lines as CRLF
    except UnicodeDecodeError:
        return None


_PATTERNS = [
    (re.compile(r"undefined variable '(.+)'$"), lambda m: _("undefined variable '%(name)s'", name=m[1])),
    (re.compile(r"element <(.+)> is not supported in contract templates$"),
     lambda m: _("element <%(name)s> is not supported in contract templates", name=m[1])),
    (re.compile(r"syntax error: (.*)$"), lambda m: _("syntax error: %(detail)s", detail=m[1])),
    (re.compile(r"UndefinedError: .* has no attribute '(.+)'$"), lambda m: _("unknown field '%(name)s'", name=m[1])),
    (re.compile(r"attribute '(.+)' of <(.+)> is not supported in contract templates$"),
     lambda m: _("attribute '%(name)s' of <%(element)s> is not supported in contract templates", name=m[1], element=m[2])),
    (re.compile(r"refused by the template sandbox: (.*)$"), lambda m: _("refused by the template sandbox: %(detail)s", detail=m[1])),
    (re.compile(r"URL '(.+)' is refused: "),
     lambda m: _("URL '%(url)s' is refused: contract templates may embed only PNG, JPEG or GIF images inline, "
                 "never files or network addresses", url=m[1])),
    (re.compile(r"@([\w-]+) is not supported in contract templates"),
     lambda m: _("@%(rule)s is not supported in contract templates", rule=m[1])),
    (re.compile(r"resource '(.+)' refused: "),
     lambda m: _("resource '%(url)s' refused: a contract reads only its own font and stylesheets and fetches "
                 "nothing from the network", url=m[1])),
]


def _problem_text(message: str) -> str:
    """The domain words its problems in English; the page says the common ones in the reader's language."""
    for pattern, say in _PATTERNS:
        found = pattern.match(message)
        if found:
            return say(found)
    return message
