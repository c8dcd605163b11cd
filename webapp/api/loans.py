from __future__ import annotations

from credit.models import Loan

from ..extensions import container
from . import bp
from .auth import login_required
from .errors import ApiError
from .presenters import loan_json


@bp.get("/loans/<int:loan_id>")
@login_required()
def get_loan(loan_id: int):
    with container().uow() as uow:
        loan = uow.session.get(Loan, loan_id)
        if loan is None:
            raise ApiError(404, "not_found", f"no loan {loan_id}")
        return loan_json(loan)
