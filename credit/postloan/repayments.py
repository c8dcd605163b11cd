"""Applying a payment from core banking to a loan's schedule, exact to the fen.

- Instalments due by the payment date are paid oldest first, each one interest first, then principal.
- What is left over is a prepayment of principal: enough to pay off every later instalment's principal
  closes the loan (the interest of periods not yet begun is not charged); less re-amortises the rest
  over the remaining periods by the loan's method (credit.schedules), keeping the due dates.
- A payment above what would close the loan is an overpayment and is refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import schedules
from ..models import Loan, ScheduleLine
from ..money import fen
from .models import Repayment
from .nightly import write_lock

ZERO = Decimal("0.00")
AMOUNT = re.compile(r"-?[0-9]{1,16}(\.[0-9]{1,2})?")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TXN_ID = re.compile(r"[\x21-\x7e]{1,64}")


class Refused(ValueError):
    """A payment that cannot be applied, with a message per field."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class Duplicate(Refused):
    """The txn_id was recorded before with other content."""


@dataclass(frozen=True)
class Payment:
    loan_id: int
    txn_id: str
    paid_at: date
    amount: Decimal


def parse(raw: dict[str, str]) -> Payment:
    """A payment from text fields (a CSV row); Refused naming every bad field."""
    errors: dict[str, list[str]] = {}
    loan_id = (raw.get("loan_id") or "").strip()
    if not loan_id.isascii() or not loan_id.isdigit() or not 0 < int(loan_id) < 2 ** 63:
        errors["loan_id"] = ["not a loan id"]
    txn_id = (raw.get("txn_id") or "").strip()
    if not TXN_ID.fullmatch(txn_id):
        errors["txn_id"] = ["1 to 64 printable ASCII characters"]
    paid_at = _date((raw.get("paid_at") or "").strip())
    if paid_at is None:
        errors["paid_at"] = ["not a date (YYYY-MM-DD)"]
    text = (raw.get("amount") or "").strip()
    amount = Decimal(text) if AMOUNT.fullmatch(text) else None
    if amount is None:
        errors["amount"] = ["not an amount (yuan, at most two decimals)"]
    elif amount < 0:
        errors["amount"] = ["negative amount"]
    elif amount == 0:
        errors["amount"] = ["the amount must be above zero"]
    if errors:
        raise Refused(errors)
    return Payment(int(loan_id), txn_id, paid_at, fen(amount))


def _date(text: str) -> date | None:
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def lock_loan(session: Session, loan_id: int) -> Loan | None:
    """The loan row, locked until the transaction ends (the nightly run locks its partition the same way)."""
    write_lock(session.connection())
    return session.scalars(select(Loan).where(Loan.id == loan_id).with_for_update()
                           .execution_options(populate_existing=True)).first()


def _owed(line: ScheduleLine) -> Decimal:
    return line.principal + line.interest - line.paid_principal - line.paid_interest


def payoff(loan: Loan, on: date) -> Decimal:
    """What closes the loan on `on`: everything due by then, and the principal of the later instalments."""
    return sum((_owed(l) if l.due_date <= on else l.principal - l.paid_principal for l in loan.schedule), ZERO)


def apply(session: Session, loan: Loan, payment: Payment, business_date: date, source: str, actor: str,
          now: datetime) -> tuple[Repayment, bool]:
    """Apply `payment` to the locked `loan`: (the repayment, whether it is new). A txn_id seen before with
    the same content answers the earlier repayment and changes nothing."""
    earlier = session.scalars(select(Repayment).where(Repayment.txn_id == payment.txn_id)).first()
    if earlier is not None:
        if (earlier.loan_id, earlier.paid_at, earlier.amount) != (payment.loan_id, payment.paid_at, payment.amount):
            raise Duplicate({"txn_id": [f"transaction {payment.txn_id} was recorded before with other details"]})
        return earlier, False
    check(loan, payment, business_date)
    interest, principal, left = ZERO, ZERO, payment.amount
    for line in loan.schedule:
        if line.due_date > payment.paid_at or left <= 0:
            continue
        i = min(left, line.interest - line.paid_interest)
        line.paid_interest += i
        left -= i
        p = min(left, line.principal - line.paid_principal)
        line.paid_principal += p
        left -= p
        interest, principal = interest + i, principal + p
        if _owed(line) == 0 and line.paid_at is None:
            line.paid_at = payment.paid_at
    prepaid = left
    if prepaid > 0:
        _prepay(loan, [l for l in loan.schedule if l.due_date > payment.paid_at], prepaid, payment.paid_at)
    loan.outstanding_principal -= principal + prepaid
    if all(_owed(l) == 0 for l in loan.schedule):
        loan.status, loan.closed_at = "closed", payment.paid_at
        loan.overdue_principal = loan.overdue_interest = ZERO
        loan.days_past_due = 0
    repayment = Repayment(loan_id=loan.id, txn_id=payment.txn_id, paid_at=payment.paid_at, amount=payment.amount,
                          interest=interest, principal=principal, prepaid=prepaid, source=source,
                          recorded_by=actor, recorded_at=now)
    session.add(repayment)
    session.flush()
    return repayment, True


def check(loan: Loan, payment: Payment, business_date: date) -> None:
    if loan.status != "active":
        raise Refused({"loan_id": [f"loan {loan.id} is {loan.status}"]})
    if payment.paid_at > business_date:
        raise Refused({"paid_at": [f"dated after the business date {business_date.isoformat()}"]})
    if payment.paid_at < loan.disbursed_at.date():
        raise Refused({"paid_at": ["dated before the loan was disbursed"]})
    most = payoff(loan, payment.paid_at)
    if payment.amount > most:
        raise Refused({"amount": [f"overpayment: {most} closes the loan on {payment.paid_at.isoformat()}"]})


def _prepay(loan: Loan, future: list[ScheduleLine], prepaid: Decimal, on: date) -> None:
    owed = sum((l.principal - l.paid_principal for l in future), ZERO)
    rest = owed - prepaid
    if rest == 0:  # paid off: the later instalments' principal is paid, their interest not charged
        for line in future:
            line.paid_principal, line.interest, line.paid_interest = line.principal, ZERO, ZERO
            line.total, line.paid_at = line.principal, on
        return
    if loan.repayment_method == schedules.BULLET:  # one instalment: its interest follows its principal
        [line] = future
        line.interest = fen(line.interest * rest / line.principal)
        line.principal, line.total, line.remaining_principal = rest, rest + line.interest, ZERO
        return
    new = schedules.build(loan.repayment_method, rest, loan.annual_rate, len(future), future[0].due_date)
    for line, fresh in zip(future, new):
        line.principal, line.interest, line.total = fresh.principal, fresh.interest, fresh.total
        line.remaining_principal = fresh.remaining_principal
