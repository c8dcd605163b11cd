"""The post-loan benchmark's builder makes consistent loans: schedules exact to the fen, paid amounts
within what is due, outstanding principal what is left, about 3 instalments paid per loan."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timezone
from decimal import Decimal

from bench.postloan import COLUMNS, DAY, TERM, Schedules, behaviour, loan_rows


def test_builder_rows_are_consistent():
    customers, applications, loans, lines = loan_rows(1, 2001, DAY, Schedules(),
                                                      datetime(2026, 11, 20, tzinfo=timezone.utc))
    assert len(customers) == len(applications) == len(loans) == 2000 and len(lines) == 2000 * TERM
    for table, rows in (("customer", customers), ("application", applications), ("loan", loans),
                        ("schedule_line", lines)):
        assert all(len(r) == len(COLUMNS[table]) for r in rows)
    assert len({c[1] for c in customers}) == 2000  # id numbers unique
    by_loan: dict[int, list] = {}
    for line in lines:
        by_loan.setdefault(line[0], []).append(line)
    paid_counts = []
    for loan in loans:
        ls = by_loan[loan[0]]
        principal = Decimal(loan[4])
        assert sum(Decimal(l[3]) for l in ls) == principal
        paid = sum(Decimal(l[7]) for l in ls)
        assert all(Decimal(l[7]) <= Decimal(l[3]) and Decimal(l[8]) <= Decimal(l[4]) for l in ls)
        assert Decimal(loan[12]) == principal - paid
        assert all(l[9] is None or date.fromisoformat(l[9]) < DAY for l in ls)
        if loan[13] == "active":
            paid_counts.append(sum(1 for l in ls if l[9] is not None))
        else:
            assert paid == principal
    assert 2.3 < sum(paid_counts) / len(paid_counts) < 3.5
    kinds = Counter(behaviour(i) for i in range(1, 2001))
    assert 0.85 < kinds["on_time"] / 2000 < 0.95 and kinds["closed"] > 0 and kinds["long"] > 0
