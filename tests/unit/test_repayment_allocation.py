"""Re-amortisation after a partial prepayment, for the four repayment methods, and reading payment rows."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from credit import schedules
from credit.models import Loan, ScheduleLine
from credit.postloan import repayments
from credit.postloan.classification import grade


def loan_of(method: str, principal="120000.00", rate="0.0435", months=12) -> Loan:
    lines = schedules.build(method, Decimal(principal), Decimal(rate), months, date(2026, 3, 2))
    loan = Loan(principal=Decimal(principal), annual_rate=Decimal(rate), term_months=months, repayment_method=method)
    loan.schedule = [ScheduleLine(period=l.period, due_date=l.due_date, principal=l.principal, interest=l.interest,
                                  total=l.total, remaining_principal=l.remaining_principal,
                                  paid_principal=Decimal("0"), paid_interest=Decimal("0")) for l in lines]
    return loan


@pytest.mark.parametrize("method", sorted(schedules.METHODS))
def test_a_partial_prepayment_reamortises_to_the_fen(method):
    loan = loan_of(method)
    future = loan.schedule[1:] if len(loan.schedule) > 1 else loan.schedule
    owed = sum(l.principal for l in future)
    dates = [l.due_date for l in future]
    old_interest = sum(l.interest for l in future)
    repayments._prepay(loan, future, Decimal("30000.00"), date(2026, 4, 2))
    assert sum(l.principal for l in future) == owed - Decimal("30000.00")
    assert all(l.total == l.principal + l.interest and l.interest == l.interest.quantize(Decimal("0.01")) for l in future)
    assert [l.due_date for l in future] == dates
    assert sum(l.interest for l in future) < old_interest  # less principal owed, less interest


def test_a_prepayment_of_everything_charges_no_interest_for_periods_not_begun():
    loan = loan_of(schedules.EQUAL_INSTALMENT)
    future = loan.schedule[3:]
    repayments._prepay(loan, future, sum(l.principal for l in future), date(2026, 6, 5))
    assert all(l.paid_principal == l.principal and l.interest == 0 and l.paid_at == date(2026, 6, 5) for l in future)


def test_payment_rows_name_every_bad_field():
    with pytest.raises(repayments.Refused) as bad:
        repayments.parse({"loan_id": "x1", "txn_id": "", "paid_at": "2026-02-30", "amount": "-1"})
    assert bad.value.errors == {"loan_id": ["not a loan id"], "txn_id": ["1 to 64 printable ASCII characters"],
                                "paid_at": ["not a date (YYYY-MM-DD)"], "amount": ["negative amount"]}
    for amount in ("1e3", "1,000", "１００", "1.001", "", "0"):
        with pytest.raises(repayments.Refused):
            repayments.parse({"loan_id": "1", "txn_id": "T", "paid_at": "2026-03-02", "amount": amount})
    assert repayments.parse({"loan_id": " 7 ", "txn_id": "T-1", "paid_at": "2026-03-02", "amount": "12.5"}) == \
        repayments.Payment(7, "T-1", date(2026, 3, 2), Decimal("12.50"))


@pytest.mark.parametrize("days, code", [(0, "normal"), (1, "special_mention"), (90, "special_mention"),
                                        (91, "substandard"), (270, "substandard"), (271, "doubtful"),
                                        (360, "doubtful"), (361, "loss"), (5000, "loss")])
def test_grades_by_days_past_due(days, code):
    assert grade(days) == code
