"""Post-loan inspection steps (post_loan_inspection.bpmn): recording an inspection's findings, the branch
head's decision on a downgrade it proposed, and SLA escalations."""
from __future__ import annotations

from datetime import timedelta, timezone
from typing import Callable

from sqlalchemy import select

from .. import contract_templates, contracts, documents
from ..models import Application, Inspection, Loan, User
from ..postloan.classification import GRADES, RANK
from ..postloan.models import ClassificationChange, LoanInspection

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

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
    """For instances started by the timer-driven model (before issue 12) that are still waiting: the same plan."""
    loan = _loan(ctx)
    from ..models import Product

    product = ctx.session.get(Product, loan.product_code)
    officer = loan.officer or next((u.username for u in ctx.session.scalars(select(User).order_by(User.username))
                                    if "postloan" in (u.posts or []) and not u.on_leave), None)
    return {"first_check": f"P{product.first_check_days}D", "periodic": f"P{product.periodic_months * 30}D",
            "officer": officer}


# The form each user task of post_loan_inspection fills in (older models named their tasks by kind).
FORM_DATA = ("onsite_inspection", "offsite_review", "first_inspection", "periodic_inspection")


def record_inspection(ctx, kind: str | None = None, to_pdf: Callable[[str], bytes] | None = None) -> dict:
    """The officer's findings go into the inspection's loan_inspection row (status done, result), kept with
    the first-inspection report PDF for a first inspection. Business stopped proposes a downgrade to the
    branch head (the next task); diverted funds are stored for the signal rules to read at the next run."""
    loan = _loan(ctx)
    form = next((ctx.data[k] for k in FORM_DATA if isinstance(ctx.data.get(k), dict)), {})
    inspection = None
    if ctx.data.get("inspection_id") is not None:
        inspection = ctx.session.scalars(select(LoanInspection).where(
            LoanInspection.id == int(ctx.data["inspection_id"])).with_for_update()).first()
    kind = kind or (inspection.kind if inspection else "periodic")
    findings = {k: v for k, v in form.items() if k in RESULT_FIELDS}
    if inspection is not None:
        inspection.status, inspection.completed_at = "done", ctx.now
        inspection.officer = ctx.actor
        inspection.result = {**findings, "mode": inspection.mode, "recorded_by": ctx.actor}
    else:  # an instance of the timer-driven model: the old table
        ctx.session.add(Inspection(loan_id=loan.id, kind=kind, officer=ctx.actor, findings=form, at=ctx.now))
    ctx.audit("inspection_recorded", {"loan_id": loan.id, "kind": kind,
                                      "inspection_id": inspection.id if inspection else None,
                                      "fund_usage": findings.get("fund_usage"),
                                      "business_status": findings.get("business_status")})
    if kind == "first" and to_pdf is not None:
        report = inspection_report(ctx.session, loan, form, ctx.actor, ctx.now, to_pdf)
        ctx.audit("report_rendered", {"attachment_id": report.id, "sha256": report.sha256, "name": report.filename})
        if inspection is not None:
            inspection.result = {**inspection.result, "report_attachment_id": report.id}
    target = downgrade_target(loan.classification)
    propose = findings.get("business_status") == "stopped" and loan.status == "active" and target is not None
    out = {"loan_closed": loan.status == "closed", "propose_downgrade": propose}
    if propose:
        out.update({"from_code": loan.classification, "to_code": target,
                    "branch_heads": branch_heads(ctx.session, ctx.business_key)})
        if inspection is not None:
            inspection.result = {**inspection.result, "downgrade": {"from": loan.classification, "to": target,
                                                                    "status": "proposed"}}
        ctx.audit("downgrade_proposed", {"loan_id": loan.id, "from": loan.classification, "to": target,
                                         "reason": "business stopped at inspection",
                                         "inspection_id": inspection.id if inspection else None})
    return out


RESULT_FIELDS = ("fund_usage", "business_status", "risk_signal", "repayment_normal", "findings", "site_photos")


def downgrade_target(code: str) -> str | None:
    """A stopped business is at least substandard (次级); a loan already there drops one grade. None at loss."""
    rank = RANK.get(code, 0)
    if rank < RANK["substandard"]:
        return "substandard"
    return GRADES[rank + 1] if rank + 1 < len(GRADES) else None


def decide_downgrade(ctx) -> dict:
    """The branch head's decision on a downgrade an inspection proposed: approved, the loan takes the proposed
    grade if it is still worse than its grade (history row `downgrade`, decided by the head, with the reason);
    rejected, the grade stays. Either way the decision is kept with the inspection's result."""
    from ..postloan.inspections import business_date_of

    form = ctx.data.get("review_downgrade") or {}
    status = ctx.data.get("inspection_status") or {}
    loan = ctx.session.scalars(select(Loan).where(Loan.id == int(ctx.data["loan_id"])).with_for_update()).first()
    inspection = ctx.session.get(LoanInspection, int(ctx.data["inspection_id"])) \
        if ctx.data.get("inspection_id") is not None else None
    target = status.get("to_code")
    approved = form.get("decision") == "approve"
    applied = approved and loan is not None and loan.status == "active" and target in RANK \
        and RANK[target] > RANK.get(loan.classification, 0)
    decision = {"from": status.get("from_code"), "to": target, "status": "approved" if approved else "rejected",
                "decided_by": ctx.actor, "reason": form.get("reason"), "applied": applied}
    if inspection is not None:
        inspection.result = {**inspection.result, "downgrade": decision}
    if applied:
        as_of = business_date_of(ctx.session, ctx.now.astimezone(BEIJING).date())
        ctx.session.add(ClassificationChange(loan_id=loan.id, as_of=as_of, from_code=loan.classification,
                                             to_code=target, days_past_due=loan.days_past_due, kind="downgrade",
                                             decided_by=ctx.actor))
        ctx.audit("classification_downgraded", {"loan_id": loan.id, "from": loan.classification, "to": target,
                                                "reason": "business stopped at inspection", "by": ctx.actor})
        loan.classification = target
    else:
        ctx.audit("downgrade_rejected" if not approved else "downgrade_not_applied",
                  {"loan_id": int(ctx.data["loan_id"]), "to": target, "reason": form.get("reason")})
    return decision


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
