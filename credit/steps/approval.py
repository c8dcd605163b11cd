"""Approval outcomes: by model, by one approver within authority, or by committee vote."""
from __future__ import annotations

from ..money import money
from .common import application, set_status


def approval_facts(ctx) -> dict:
    app = application(ctx)
    set_status(ctx, app, "approving")
    amount = app.approved_amount if app.approved_amount is not None else app.amount
    return {"product_code": app.product_code, "amount": float(amount), "band": app.band or "E",
            "guarantee": app.guarantee}


def _conclude(ctx, app, decision: str, reason: str = "", by: str = "") -> dict:
    status = {"approve": "approved", "reject": "rejected", "return": "returned"}[decision]
    if decision == "reject":
        app.rejection_reasons = [reason or "APPROVAL_DECLINED"]
    set_status(ctx, app, status)
    ctx.audit("credit_decision", {"decision": decision, "reason": reason, "by": by})
    return {"decision": decision, "reason": reason, "by": by}


def auto_decision(ctx) -> dict:
    app = application(ctx)
    return _conclude(ctx, app, "approve", "模型自动审批通过", "model")


def record_decision(ctx, source: str) -> dict:
    app = application(ctx)
    form = ctx.data.get(source) or {}
    if form.get("decision") == "approve" and form.get("approved_amount"):
        amount = money(form["approved_amount"])
        if amount > app.approved_amount:
            raise ValueError("approved amount exceeds the proposed limit")
        app.approved_amount = amount
    return _conclude(ctx, app, form.get("decision", "reject"), form.get("reason", ""), ctx.actor)


def tally_votes(ctx) -> dict:
    app = application(ctx)
    votes = [(ctx.data.get(f"vote_{i}") or {}).get("decision") for i in (1, 2, 3)]
    approvals = votes.count("approve")
    returns = votes.count("return")
    decision = "approve" if approvals >= 2 else "return" if returns >= 2 else "reject"
    return _conclude(ctx, app, decision, f"贷审会表决: 同意{approvals} 退回{returns} 否决{votes.count('reject')}", "committee")
