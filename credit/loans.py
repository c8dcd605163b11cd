"""Booking a loan: principal, rate and the repayment schedule, exact to the fen."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from . import schedules
from .models import Application, Loan, ScheduleLine


def book_loan(session: Session, app: Application, now: datetime) -> Loan:
    principal = app.approved_amount
    if principal is None or app.annual_rate is None:
        raise ValueError("application has no approved amount and rate")
    start = now.date()
    lines = schedules.build(app.product.repayment_method, principal, app.annual_rate, app.term_months, start)
    loan = Loan(
        application_id=app.id, customer_id=app.customer_id, product_code=app.product_code, principal=principal,
        annual_rate=app.annual_rate, term_months=app.term_months, repayment_method=app.product.repayment_method,
        payment_mode=app.payment_mode or "entrusted", disbursed_at=now, first_due_date=lines[0].due_date,
        maturity_date=lines[-1].due_date, outstanding_principal=principal,
    )
    loan.schedule = [ScheduleLine(period=l.period, due_date=l.due_date, principal=l.principal, interest=l.interest,
                                  total=l.total, remaining_principal=l.remaining_principal) for l in lines]
    session.add(loan)
    session.flush()
    return loan
