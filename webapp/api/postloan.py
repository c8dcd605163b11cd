"""Post-loan API: repayments from core banking, and the loan list by classification, officer and overdue."""
from __future__ import annotations

from flask import request

from credit.postloan.repayments import Payment
from credit.money import money

from .. import access, clients, postloan
from ..extensions import container
from . import bp, parsing
from .auth import login_required, principal
from .errors import ApiError
from .postloan_schemas import GRADES, RepaymentSchema
from .presenters import loan_json


@bp.post("/repayments")
@login_required("admin", scopes=(clients.REPAYMENTS,))
def record_repayment():
    """201 for a new payment, 200 for a repeat of a recorded txn_id with the same details."""
    body = parsing.load(RepaymentSchema())
    payment = Payment(body["loan_id"], body["txn_id"], body["paid_at"], money(body["amount"]))
    out, created = postloan.record_repayment(container(), payment, principal().username)
    return out, 201 if created else 200


@bp.get("/loans")
@login_required()
def list_loans():
    classification = request.args.get("classification") or None
    if classification is not None and classification not in GRADES:
        raise ApiError(422, "validation_failed", "unknown classification",
                       fields={"classification": [f"One of: {', '.join(GRADES)}."]})
    overdue = request.args.get("overdue") or None
    if overdue not in (None, "true", "false"):
        raise ApiError(422, "validation_failed", "overdue is true or false", fields={"overdue": ["true or false."]})
    officer = request.args.get("officer") or None
    limit = parsing.query_int("limit", 50, 1, 200, clamp=True)
    offset = parsing.query_int("offset", 0)
    with container().uow() as uow:
        loans, total = postloan.list_loans(uow.session, access.viewer(uow.session, principal()), classification,
                                           officer, None if overdue is None else overdue == "true", limit, offset)
        return {"loans": [loan_json(loan, detail=False) for loan in loans], "total": total,
                "limit": limit, "offset": offset}
