"""The post-loan benchmark's builder makes consistent loans: schedules exact to the fen, paid amounts
within what is due, outstanding principal what is left, about 3 instalments paid per loan."""
from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from bench.postloan import COLUMNS, DAY, Schedules, behaviour, loan_rows


def test_builder_rows_are_consistent():
    customers, applications, loans, lines, events, inspections = loan_rows(1, 2001, DAY, Schedules())
    assert len(customers) == len(applications) == len(loans) == 2000
    assert len(lines) == sum(int(loan[6]) for loan in loans) and {loan[6] for loan in loans} == {"6", "12"}
    for table, rows in (("customer", customers), ("application", applications), ("loan", loans),
                        ("schedule_line", lines), ("provider_event", events), ("loan_inspection", inspections)):
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
    ids = {c[1] for c in customers}
    guarantors = [a[20] for a in applications if a[20] is not None]
    assert guarantors and all(g in ids for g in guarantors[1:-1])
    assert len({(e[1], e[2], e[3], e[4]) for e in events}) == len(events) == len({e[0] for e in events})
    assert len({(r[1], r[2], r[4]) for r in inspections}) == len(inspections) == len({r[0] for r in inspections})
    assert {r[2] for r in inspections} == {"first", "periodic"}
    kinds = Counter(behaviour(i) for i in range(1, 2001))
    assert 0.85 < kinds["on_time"] / 2000 < 0.95 and kinds["closed"] > 0 and kinds["long"] > 0


def test_id_numbers_are_valid():
    from bench.postloan import _id_number
    from credit import idnumber

    for i in (1, 899, 900, 12_345, 999_999, 12_600_000):
        assert idnumber.problem(_id_number(i)) is None
