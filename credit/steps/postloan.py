"""Post-loan inspection steps and SLA escalations."""
from __future__ import annotations

from sqlalchemy import select

from ..models import Inspection, Loan, User


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


def record_inspection(ctx, kind: str) -> dict:
    loan = _loan(ctx)
    form = ctx.data.get("first_inspection" if kind == "first" else "periodic_inspection") or {}
    ctx.session.add(Inspection(loan_id=loan.id, kind=kind, officer=ctx.actor, findings=form, at=ctx.now))
    ctx.audit("inspection_recorded", {"loan_id": loan.id, "kind": kind})
    return {"loan_closed": loan.status == "closed"}


def sla_escalation(ctx) -> dict:
    ctx.audit("sla_breached", {"task": ctx.task_name, "notified": "admin"})
    return {"notified": "admin"}
