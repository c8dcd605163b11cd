"""Post-loan inspection steps and SLA escalations."""
from __future__ import annotations

from typing import Callable

from sqlalchemy import select

from .. import contract_templates, contracts, documents
from ..models import Application, Inspection, Loan, User

FUND_USAGE = {"as_agreed": "按约定用途", "diverted": "挪用", "unknown": "无法核实"}
BUSINESS = {"normal": "正常", "declining": "下滑", "stopped": "停产/失联"}


def inspection_report(session, loan: Loan, form: dict, officer: str, now, to_pdf) -> documents.Attachment:
    """The 首次跟踪检查报告, rendered from its template and kept with the application's documents."""
    app = session.get(Application, loan.application_id)
    data = contracts.context(session, app, loan)
    data["inspection"] = {"date": contracts._cn_date(now), "officer": officer,
                          "fund_usage": FUND_USAGE.get(form.get("fund_usage"), form.get("fund_usage", "")),
                          "business_status": BUSINESS.get(form.get("business_status"), form.get("business_status", "")),
                          "risk_signal": "是" if form.get("risk_signal") else "否", "findings": form.get("findings", "")}
    pdf, _versions = contract_templates.render(session, "first_inspection_report", data, to_pdf)
    return documents.store(session, app.id, f"首次跟踪检查报告-{app.contract_no}.pdf", pdf, officer, now)


def _loan(ctx) -> Loan:
    loan = ctx.session.get(Loan, int(ctx.data["loan_id"]))
    if loan is None:
        raise LookupError(f"no loan {ctx.data['loan_id']}")
    return loan


def inspection_plan(ctx) -> dict:
    loan = _loan(ctx)
    from ..models import Product

    product = ctx.session.get(Product, loan.product_code)
    officer = next((u.username for u in ctx.session.scalars(select(User).order_by(User.username))
                    if "postloan" in (u.posts or []) and not u.on_leave), None)
    return {"first_check": f"P{product.first_check_days}D", "periodic": f"P{product.periodic_months * 30}D",
            "officer": officer}


def record_inspection(ctx, kind: str, to_pdf: Callable[[str], bytes] | None = None) -> dict:
    loan = _loan(ctx)
    form = ctx.data.get("first_inspection" if kind == "first" else "periodic_inspection") or {}
    ctx.session.add(Inspection(loan_id=loan.id, kind=kind, officer=ctx.actor, findings=form, at=ctx.now))
    ctx.audit("inspection_recorded", {"loan_id": loan.id, "kind": kind})
    if kind == "first" and to_pdf is not None:
        report = inspection_report(ctx.session, loan, form, ctx.actor, ctx.now, to_pdf)
        ctx.audit("report_rendered", {"attachment_id": report.id, "sha256": report.sha256, "name": report.filename})
    return {"loan_closed": loan.status == "closed"}


def sla_escalation(ctx) -> dict:
    """A task ran late: its branch's head hears of it (the administrator when the branch has none)."""
    heads = _branch_heads(ctx)
    notified = ",".join(heads) or "admin"
    ctx.audit("sla_breached", {"task": ctx.task_name, "notified": notified})
    return {"notified": notified}


def _branch_heads(ctx) -> list[str]:
    return branch_heads(ctx.session, ctx.business_key)


def branch_heads(session, business_key: str | None) -> list[str]:
    """The active branch heads of the branch whose grid holds the application's village."""
    from ..allocation import _branch_of, _subtree
    from ..models import GridCell

    key = business_key or ""
    app = session.get(Application, int(key)) if key.isdigit() else None
    cell = session.get(GridCell, app.village_code) if app is not None and app.village_code else None
    branch = _branch_of(session, cell.org_id if cell else None)
    if branch is None:
        return []
    orgs = _subtree(session, branch)
    return sorted(u.username for u in session.scalars(select(User).where(User.org_id.in_(orgs), User.active.is_(True)))
                  if "branch_head" in (u.posts or []))
