"""Contract, signing and drawdown: the loan and its schedule are booked here."""
from __future__ import annotations

from typing import Callable

from ..contracts import render_contract
from ..loans import book_loan
from ..money import as_str
from ..postloan import officers
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


def record_signing(ctx) -> dict:
    """The officer who completed the in-person signing, and when."""
    app = application(ctx)
    form = ctx.data.get("sign_contract") or {}
    app.signed_by, app.signed_at = ctx.actor, ctx.now
    ctx.audit("contract_signed", {"contract": app.contract_no, "by": ctx.actor, "mode": "in person",
                                  "place": form.get("signing_place", "")})
    return {"signed_by": ctx.actor, "signed_at": ctx.now.isoformat(), "mode": "in person"}


def disburse(ctx, to_pdf: Callable[[str], bytes] | None = None) -> dict:
    app = application(ctx)
    check = ctx.data.get("disbursement_check") or {}
    if check.get("account_no"):
        app.disbursement_account = check["account_no"]
    app.payment_mode = ctx.data.get("payment_mode", "entrusted")
    loan = book_loan(ctx.session, app, ctx.now)
    if to_pdf is not None:
        contract = render_contract(ctx.session, app, loan, ctx.now, to_pdf)
        ctx.audit("contract_rendered", {"contract": app.contract_no, "sha256": contract.sha256, "bytes": contract.size,
                                        "templates": contract.template_versions})
    set_status(ctx, app, "disbursed")
    ctx.audit("loan_disbursed", {"loan_id": loan.id, "principal": as_str(loan.principal),
                                 "annual_rate": str(loan.annual_rate), "payment_mode": loan.payment_mode})
    # Inspections are raised by the nightly run as of its business date (webapp.postloan_inspections), not
    # by timers started here; disbursement names the officer who manages the loan from now on.
    loan.officer, why = officers.choose(ctx.session, app)
    ctx.audit("loan_officer_assigned", {"loan_id": loan.id, "officer": loan.officer, "reason": why})
    return {"loan_id": loan.id, "officer": loan.officer}
