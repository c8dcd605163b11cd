"""Contract, signing and drawdown: the loan and its schedule are booked here."""
from __future__ import annotations

from ..loans import book_loan
from ..money import as_str
from .common import application, set_status


def prepare_contract(ctx) -> dict:
    app = application(ctx)
    if not app.contract_no:
        app.contract_no = f"CF{ctx.now:%Y%m%d}{app.id:07d}"
    set_status(ctx, app, "contracting")
    return {"number": app.contract_no, "amount": as_str(app.approved_amount), "annual_rate": str(app.annual_rate),
            "term_months": app.term_months, "purpose_type": app.product.purpose_type}


def esign(ctx) -> dict:
    app = application(ctx)
    app.signed_by, app.signed_at = f"customer:{app.customer.id_number[-4:]}", ctx.now
    ctx.audit("contract_signed", {"contract": app.contract_no, "by": app.signed_by, "mode": "electronic"})
    return {"signed_by": app.signed_by, "mode": "electronic"}


def disburse(ctx) -> dict:
    app = application(ctx)
    signing = ctx.data.get("sign_contract")
    if signing and not app.signed_at:
        app.signed_by, app.signed_at = ctx.actor, ctx.now
        ctx.audit("contract_signed", {"contract": app.contract_no, "by": ctx.actor, "mode": "in person"})
    app.payment_mode = ctx.data.get("payment_mode", "entrusted")
    loan = book_loan(ctx.session, app, ctx.now)
    set_status(ctx, app, "disbursed")
    ctx.audit("loan_disbursed", {"loan_id": loan.id, "principal": as_str(loan.principal),
                                 "annual_rate": str(loan.annual_rate), "payment_mode": loan.payment_mode})
    ctx.start_process("post_loan_inspection", {"loan_id": loan.id})
    return {"loan_id": loan.id}
