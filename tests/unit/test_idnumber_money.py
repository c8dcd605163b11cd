from datetime import date
from decimal import Decimal

import pytest

from credit import idnumber
from credit.money import money
from forms.fields import id_number_problem


def test_known_valid_numbers():
    # Published sample numbers with correct check digits, including an X.
    for number in ("11010519491231002X", "440524188001010014"):
        assert idnumber.problem(number) is None
        assert id_number_problem(number) is None


@pytest.mark.parametrize("bad,why", [
    ("11010519491231002", "17 digits"), ("110105194912310021", "check digit"),
    ("11010519491331002X", "birth date"), ("1101051949123100AX", "17 digits"), ("", "17 digits"),
])
def test_invalid_numbers_say_why(bad, why):
    assert why in idnumber.problem(bad)
    assert id_number_problem(bad) is not None


def test_make_builds_valid_numbers_and_birth_dates_round_trip():
    for seq in range(50):
        n = idnumber.make("320324", date(1990, 2, 28), seq)
        assert idnumber.problem(n) is None
        assert idnumber.birth_date(n) == date(1990, 2, 28)


def test_money_is_exact():
    assert money("100000") == Decimal("100000.00")
    assert money(0.1) == Decimal("0.10")
    assert money("1.005") == Decimal("1.01")
    for bad in ("abc", "NaN", "Infinity", None):
        with pytest.raises(ValueError):
            money(bad)
