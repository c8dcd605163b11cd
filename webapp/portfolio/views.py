"""Thin views: parse the page numbers, call one use case of .queries, render (403 off post, 404 out of scope)."""
from __future__ import annotations

from flask import abort, g, render_template, request

from engine.errors import Forbidden, NotFound

from ..extensions import container
from ..workbench.session import login_required
from . import bp, charts, labels, queries


@bp.context_processor
def words():
    return {"L": labels, "word": labels.word, "evidence_summary": labels.evidence_summary,
            "result_summary": labels.result_summary, "soon": queries.soon,
            "instalment_state": queries.instalment_state}


def _page(name: str) -> int:
    return queries.page_number(request.args.get(name))


@bp.get("/postloan")
@login_required
def work():
    try:
        view = queries.work_surface(container(), g.me, _page("ip"), _page("sp"), _page("lp"))
    except Forbidden:
        abort(403)
    return render_template("portfolio/work.html", view=view)


@bp.get("/loans/<int:loan_id>")
@login_required
def loan_page(loan_id: int):
    try:
        view = queries.loan_view(container(), g.me, loan_id, _page("rp"), _page("sp"))
    except NotFound:
        abort(404)
    return render_template("portfolio/loan.html", view=view)


@bp.get("/portfolio")
@login_required
def portfolio():
    org = request.args.get("org") or None
    if org is not None and (len(org) > 32 or not org.isprintable()):
        abort(404)
    try:
        view = queries.portfolio(container(), g.me, org)
    except Forbidden:
        abort(403)
    except NotFound:
        abort(404)
    return render_template("portfolio/portfolio.html", view=view, chart_data=charts.options(view))
