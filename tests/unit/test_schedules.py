from datetime import date
from decimal import Decimal

import pytest

from credit import schedules
from credit.schedules import BULLET, EQUAL_INSTALMENT, EQUAL_PRINCIPAL, INTEREST_ONLY, add_months, annuity_payment, build

P = Decimal("100000.00")
RATE = Decimal("0.0435")
START = date(2026, 1, 31)


@pytest.mark.parametrize("method", [EQUAL_INSTALMENT, EQUAL_PRINCIPAL, INTEREST_ONLY, BULLET])
@pytest.mark.parametrize("principal,months", [(P, 24), (Decimal("12345.67"), 7), (Decimal("3000000.00"), 60), (Decimal("1000.00"), 1)])
def test_principal_sums_exactly_and_the_schedule_ends_at_zero(method, principal, months):
    lines = build(method, principal, RATE, months, START)
    assert sum(l.principal for l in lines) == principal
    assert lines[-1].remaining_principal == Decimal("0.00")
    assert all(l.total == l.principal + l.interest for l in lines)
    assert all(l.principal.as_tuple().exponent == -2 and l.interest.as_tuple().exponent == -2 for l in lines)


def test_equal_instalment_matches_the_annuity_formula():
    lines = build(EQUAL_INSTALMENT, P, RATE, 24, START)
    a = annuity_payment(P, RATE, 24)
    r = RATE / 12
    expected = P * r * (1 + r) ** 24 / ((1 + r) ** 24 - 1)
    assert a == expected.quantize(Decimal("0.01"))
    assert [l.total for l in lines[:-1]] == [a] * 23
    assert lines[0].interest == Decimal("362.50")  # 100000 × 4.35% / 12


def test_equal_principal_declines_and_interest_only_repays_at_maturity():
    ep = build(EQUAL_PRINCIPAL, P, RATE, 12, START)
    assert ep[0].principal == Decimal("8333.33") and ep[-1].principal == Decimal("8333.37")
    assert ep[0].total > ep[-1].total
    io = build(INTEREST_ONLY, P, RATE, 12, START)
    assert all(l.principal == 0 for l in io[:-1]) and io[-1].principal == P
    assert {l.interest for l in io} == {Decimal("362.50")}


def test_bullet_pays_everything_once():
    [line] = build(BULLET, P, RATE, 6, START)
    assert line.due_date == date(2026, 7, 31)
    assert line.interest == Decimal("2175.00") and line.total == Decimal("102175.00")


def test_month_ends_are_clamped():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_zero_rate_and_bad_input():
    lines = build(EQUAL_INSTALMENT, Decimal("1000.00"), Decimal("0"), 3, START)
    assert [l.total for l in lines] == [Decimal("333.33"), Decimal("333.33"), Decimal("333.34")]
    with pytest.raises(ValueError):
        build("weekly", P, RATE, 3, START)
    with pytest.raises(ValueError):
        build(EQUAL_INSTALMENT, Decimal("0"), RATE, 3, START)
    assert set(schedules.METHODS.values()) == {"等额本息", "等额本金", "按月付息到期还本", "利随本清"}
