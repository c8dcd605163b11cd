from __future__ import annotations

from .. import access
from ..extensions import container
from . import bp
from .auth import login_required, principal
from .presenters import loan_json


@bp.get("/loans/<int:loan_id>")
@login_required()
def get_loan(loan_id: int):
    with container().uow() as uow:
        return loan_json(access.loan(uow.session, principal(), loan_id))
