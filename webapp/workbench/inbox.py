from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from credit import access as rules
from credit.models import GridCell, Product
from engine.errors import Conflict, Forbidden, InvalidData, NotFound

from .. import i18n, principal, queries, services
from ..extensions import container
from . import bp
from .session import login_required

STAGES = ["complete_application", "investigate", "cosign", "approve", "vote_1", "vote_2", "vote_3", "sign_contract",
          "disbursement_check", "first_inspection", "periodic_inspection", "manual_allocation"]


@bp.get("/inbox")
@login_required
def inbox():
    c = container()
    f = queries.InboxFilters.parse(request.args)
    may_reassign = rules.may_reassign(g.me.posts)
    if f.tab == "all" and not may_reassign:
        f.tab = "mine"
    with c.uow() as uow:
        rows, more = queries.inbox(uow.session, g.me, c.runtime.sod, f)
        products = list(uow.session.scalars(select(Product).order_by(Product.code)))
        villages = list(uow.session.scalars(select(GridCell).where(GridCell.level == "village").order_by(GridCell.code)))
    context = dict(rows=rows, more=more, f=f, now=c.clock.now(), sla=queries.sla, products=products,
                   villages=villages, stages=STAGES, may_reassign=may_reassign)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") in ("inbox-rows", "inbox-more"):
        return render_template("_inbox_rows.html", **context)
    if may_reassign:
        context["users"] = principal.usernames(c)
    return render_template("inbox.html", **context)


@bp.post("/tasks/reassign")
@login_required
def reassign():
    if not rules.may_reassign(g.me.posts):
        flash(_("Only a branch head may reassign tasks."), "error")
        return redirect(url_for("ui.inbox"), 303)
    try:
        n = services.reassign(container(), g.me, request.form.getlist("task_ids"),
                              request.form.get("to", ""), request.form.get("reason", ""))
        flash(_("%(n)s task(s) reassigned.", n=n))
    except InvalidData as exc:
        flash("; ".join(f"{k}: {', '.join(v)}" for k, v in i18n.errors(exc.errors).items()), "error")
    except (Forbidden, Conflict, NotFound) as exc:
        flash(str(exc), "error")
    return redirect(url_for("ui.inbox", tab="all"), 303)
