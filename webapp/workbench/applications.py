from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from credit import documents
from credit.models import GridCell, Product
from credit.services import SubmissionRefused
from engine.errors import Forbidden, InvalidData, NotFound

from .. import access, i18n, queries, services
from ..api import parsing
from ..api.schemas import SubmissionSchema
from ..extensions import container
from . import bp
from .session import login_required

APPLICANT_FIELDS = ("name", "id_number", "phone", "annual_income", "village_code")


def _choices():
    with container().uow() as uow:
        return (list(uow.session.scalars(select(Product).order_by(Product.code))),
                list(uow.session.scalars(select(GridCell).where(GridCell.level == "village").order_by(GridCell.code))))


@bp.route("/applications/new", methods=["GET", "POST"])
@login_required
def new_application():
    if not {"customer_manager", "admin"} & g.me.posts:
        abort(403)
    products, villages = _choices()
    values, errors = dict(request.form), {}
    if request.method == "POST":
        body = {k: v for k, v in request.form.items() if k in ("product_code", "amount", "purpose") and v.strip()}
        if request.form.get("term_months", "").strip():
            body["term_months"] = parsing.whole(request.form["term_months"].strip())
        body["channel"] = "manager_app"
        body["applicant"] = {k: request.form[f"applicant.{k}"].strip() for k in APPLICANT_FIELDS
                             if request.form.get(f"applicant.{k}", "").strip()}
        try:
            loaded = SubmissionSchema().load(body)
            app, _created = services.submit_application(container(), g.me.username, loaded)
            flash(_("Application %(id)s submitted.", id=app.id))
            return redirect(url_for("ui.application_page", application_id=app.id), 303)
        except ValidationError as exc:
            errors = _flatten(exc.messages)
        except SubmissionRefused as exc:
            errors = _flatten(exc.errors)
        errors = i18n.errors(errors)
    return render_template("new_application.html", products=products, villages=villages, values=values,
                           errors=errors), 422 if errors else 200


def _flatten(tree, prefix=""):
    out = {}
    for k, v in tree.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


@bp.get("/applications/<int:application_id>")
@login_required
def application_page(application_id: int):
    c = container()
    with c.uow() as uow:
        view = queries.application_view(uow.session, g.me, application_id)
    if view is None:
        abort(404)
    return render_template("application.html", view=view, now=c.clock.now(), sla=queries.sla)


@bp.post("/applications/<int:application_id>/comments")
@login_required
def add_comment(application_id: int):
    c = container()
    error = None
    try:
        services.add_comment(c, g.me, application_id, request.form.get("body", ""),
                             request.form.get("task_id") or None)
    except (documents.DocumentRefused, InvalidData) as exc:
        error = i18n.message(next(iter(exc.errors.values()))[0])
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    with c.uow() as uow:
        view = queries.application_view(uow.session, g.me, application_id)
    if view is None:
        abort(404)
    html = render_template("_comments.html", view=view, comment_error=error)
    return (html, 422) if error else html


@bp.post("/applications/<int:application_id>/attachments")
@login_required
def upload(application_id: int):
    file = request.files.get("file")
    try:
        if file is None or not file.filename:
            raise documents.DocumentRefused("file", "This field is required.")
        services.upload(container(), g.me, application_id, file.filename, file.read())
        flash(_("File uploaded."))
    except documents.DocumentRefused as exc:
        flash(i18n.message(exc.errors["file"][0]), "error")
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    return redirect(url_for("ui.application_page", application_id=application_id) + "#documents", 303)


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    with container().uow() as uow:
        try:
            att = access.attachment(uow.session, g.me, attachment_id)
        except NotFound:
            abort(404)
        content = documents.content_of(uow.session, att)
        return Response(content, mimetype=att.content_type, headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{_quote(att.filename)}",
            "X-Content-Type-Options": "nosniff"})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
