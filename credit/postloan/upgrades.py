"""The branch head's decision on a classification upgrade (the `classification_upgrade` process)."""
from __future__ import annotations

from sqlalchemy import select

from ..models import Loan
from .classification import RANK, grade
from .models import ClassificationChange, UpgradeProposal


def decide_upgrade(ctx) -> dict:
    """Approved: the loan takes the grade its days past due call for now, if that is still better than
    its grade (history row `upgrade`, decided by the branch head). Rejected: the grade stays."""
    proposal = ctx.session.scalars(select(UpgradeProposal).where(
        UpgradeProposal.id == int(ctx.data["proposal_id"])).with_for_update()).first()
    if proposal is None or proposal.status != "pending":
        return {"applied": False, "status": proposal.status if proposal else "missing"}
    form = ctx.data.get("approve_upgrade") or {}
    loan = ctx.session.scalars(select(Loan).where(Loan.id == proposal.loan_id).with_for_update()).first()
    proposal.decided_by, proposal.decided_at = ctx.actor, ctx.now
    target = grade(loan.days_past_due)
    if form.get("decision") != "approve":
        proposal.status = "rejected"
        ctx.audit("classification_upgrade_rejected", {"loan_id": loan.id, "from": loan.classification,
                                                      "to": proposal.to_code, "reason": form.get("reason")})
        return {"applied": False, "status": "rejected"}
    proposal.status = "approved"
    if loan.status != "active" or RANK[target] >= RANK[loan.classification]:
        return {"applied": False, "status": "approved"}
    ctx.session.add(ClassificationChange(loan_id=loan.id, as_of=proposal.as_of, from_code=loan.classification,
                                         to_code=target, days_past_due=loan.days_past_due, kind="upgrade",
                                         decided_by=ctx.actor))
    ctx.audit("classification_upgraded", {"loan_id": loan.id, "from": loan.classification, "to": target})
    loan.classification = target
    return {"applied": True, "status": "approved", "classification": target}
