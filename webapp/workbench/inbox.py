from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from credit import access as rules
from credit.models import GridCell, Product
from engine.errors import Conflict, Forbidden, InvalidData, NotFound

from .. import i18n, principal, queries, services
from ..extensions import container
from . import bp, carried
from .session import login_required

# The table's sortable columns, in the order shown (issue 13: due, product, amount, village, stage, age).
COLUMNS = ("due", "stage", "product", "amount", "village", "age")

STAGES = ["complete_application", "investigate", "cosign", "approve", "vote_1", "vote_2", "vote_3", "sign_contract",
          "disbursement_check", "onsite_inspection", "offsite_review", "supervise_inspection", "review_downgrade",
          "approve_upgrade", "manual_allocation"]


@bp.get("/inbox")
@login_required
def inbox():
    c = container()
    f = queries.InboxFilters.parse(request.args)
    may_reassign = rules.may_reassign(g.me.posts)
    if f.tab == "all" and not may_reassign:
        f.tab = "mine"
    now = c.clock.now()
    with c.uow() as uow:
        rows, more = queries.inbox(uow.session, g.me, c.runtime.sod, f, now)
        people = carried.names(uow.session, {r.task.assignee for r in rows} - {None})
        context = dict(rows=rows, more=more, f=f, now=now, sla=queries.sla, stages=STAGES, may_reassign=may_reassign,
                       people=people, columns=COLUMNS, age=age, query=_query(f))
        if request.headers.get("HX-Request") and request.headers.get("HX-Target") in ("inbox-rows", "inbox-more"):
            return render_template("_inbox_rows.html", **context)
        context["counts"] = queries.inbox_counts(uow.session, g.me, c.runtime.sod,
                                                 ["mine", "queue"] + (["all"] if may_reassign else []))
        context["products"] = list(uow.session.scalars(select(Product).order_by(Product.code)))
        context["villages"] = list(uow.session.scalars(
            select(GridCell).where(GridCell.level == "village").order_by(GridCell.code)))
    if may_reassign:
        context["users"] = principal.usernames(c)
    return render_template("inbox.html", **context)


def _query(f: queries.InboxFilters) -> dict:
    """The filters as query arguments, so that sorting, paging and the overdue switch keep them."""
    out = dict(tab=f.tab, product=f.product, stage=f.stage, village=f.village, q=f.q, min_amount=f.min_amount,
               max_amount=f.max_amount, sort=f.sort if f.sort != "due" else None, dir="desc" if f.desc else None,
               overdue="1" if f.overdue else None)
    return {k: v for k, v in out.items() if v is not None}


def age(created_at, now) -> str:
    """How long a task has waited, in the SLA label's words ("3 h 5 min", "4 days")."""
    if created_at is None:
        return "—"
    minutes = max(0, int((now - created_at).total_seconds() // 60))
    if minutes >= 48 * 60:
        return _("%(d)s days", d=minutes // 1440)
    return _("%(h)s h %(m)s min", h=minutes // 60, m=minutes % 60)


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
