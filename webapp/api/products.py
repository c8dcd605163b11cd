from __future__ import annotations

from sqlalchemy import select

from credit.models import Product
from credit.money import as_str, rate_str
from credit.schedules import METHODS

from ..clients import READ_OWN, SUBMIT
from ..extensions import container
from . import bp
from .auth import login_required


@bp.get("/products")
@login_required(scopes=(SUBMIT, READ_OWN))
def list_products():
    with container().uow() as uow:
        return {"products": [{
            "code": p.code, "name": p.name, "loan_kind": p.loan_kind, "min_amount": as_str(p.min_amount),
            "max_amount": as_str(p.max_amount), "min_term": p.min_term, "max_term": p.max_term,
            "repayment_method": p.repayment_method, "repayment_method_name": METHODS[p.repayment_method],
            "guarantee": p.guarantee, "rate_floor": rate_str(p.rate_floor), "rate_cap": rate_str(p.rate_cap),
            "automated": p.automated, "description": p.description,
        } for p in uow.session.scalars(select(Product).order_by(Product.code))]}
