"""FEEL as the spec (DMN 1.5, chapter 10) has it: the semantics designers rely on."""
import datetime as dt
from decimal import Decimal

import pytest

from engine.feel import FeelError, YearsMonths, evaluate, parse_expression, parse_unary_tests, to_plain

D = Decimal


@pytest.mark.parametrize("source,expected", [
    ("0.1 + 0.2 = 0.3", True),  # decimal, not binary floating point
    ("1 / 3 * 3 = 1", False), ("decimal(1 / 3, 4)", D("0.3333")), ("10 ** -2", D("0.01")),
    ("(10 + 20) / 0", None), ("10 + null", None), ("-10 - -5", D("-5")), ("5 + 2 ** 5 + 3", D("40")),
    # three-valued logic
    ("true and null", None), ("false and null", False), ("true or null", True), ("false or null", None),
    ("not(null)", None), ("null = null", True), ("1 = null", False), ('1 = "1"', None), ("1 < null", None),
    # strings and names with spaces
    ('"a" + "b"', "ab"), ('string length("横綱")', D(2)), ('substring("foobar", -2)', "ar"),
    ('upper case("ok") + lower case("OK")', "OKok"), ("Monthly Salary * 12", D("12000")),
    # lists: path, filter, for, quantifiers
    ("[1, 2, 3][item > 1]", [D(2), D(3)]), ("[1, 2, 3][-1]", D(3)), ("[1, 2, 3][5]", None),
    ("[{a: 1}, {a: 2}].a", [D(1), D(2)]), ("[{a: 1}, {a: 2}][a = 2].a", [D(2)]),
    ("for x in [1, 2], y in [10, 20] return x * y", [D(10), D(20), D(20), D(40)]),
    ("for i in 1..3 return i", [D(1), D(2), D(3)]), ("for i in 3..1 return i", [D(3), D(2), D(1)]),
    ("for i in 1..5 return if i = 1 then 1 else partial[-1] * i", [D(1), D(2), D(6), D(24), D(120)]),
    ("some x in [1, 5] satisfies x > 4", True), ("every x in [1, 5] satisfies x > 4", False),
    ("if count([]) > 0 then 1 else 2", D(2)), ("if null then 1 else 2", D(2)),
    ("5 between 1 and 5", True), ("x in [1..5]", True), ("x in (1, 3)", True), ("x in < 3", False),
    ("x in ]3..5]", False), ("x instance of number", True), ('"x" instance of string', True),
    ("[1, 2] instance of list<number>", True), ("{a: 1} instance of context<a: number>", True),
    # contexts and functions
    ("{a: 1, b: a + 1}.b", D(2)), ('{"full name": "Li"}.full name', "Li"), ('get value({a: 1}, "a")', D(1)),
    ("{f: function(n) if n <= 1 then 1 else n * f(n - 1), r: f(10)}.r", D(3628800)),
    ("(function(a, b) a - b)(b: 1, a: 3)", D(2)), ('substring(string: "foobar", start position: 3)', "obar"),
    # built-ins
    ("sum([1, 2, 3]) + count([1]) + min(4, 2) + max([1, 9])", D(18)), ("mean([1, 2, 3, 4])", D("2.5")),
    ("list contains([1, 2], 2)", True), ("distinct values([1, 2, 1])", [D(1), D(2)]),
    ("flatten([[1], [2, [3]]])", [D(1), D(2), D(3)]), ("sort([3, 1, 2], function(x, y) x < y)", [D(1), D(2), D(3)]),
    ('string join(["a", "b"], "-")', "a-b"), ('matches("ab12", "^[a-z]+[0-9]+$")', True),
    ('replace("2026-12-01", "(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1")', "01/12/2026"), ('split("a,b", ",")', ["a", "b"]),
    ("round half up(2.5, 0)", D(3)), ("round half down(2.5, 0)", D(2)), ("decimal(2.5, 0)", D(2)), ("floor(-1.5)", D(-2)), ("modulo(-12, 5)", D(3)),
    ("abs(-3)", D(3)), ("sqrt(16)", D(4)), ("odd(3) and even(4)", True), ('number("1,000.5", ",", ".")', D("1000.5")),
    ('string(1.10)', "1.1"), ("string(date(2026, 1, 2))", "2026-01-02"),
    # dates, times, durations
    ('date("2026-01-31") + duration("P1M")', dt.date(2026, 2, 28)), ('date("2026-03-01") - date("2026-02-01")', dt.timedelta(days=28)),
    ('date and time("2026-01-01T10:00:00") + duration("PT90M")', dt.datetime(2026, 1, 1, 11, 30)),
    ('years and months duration(date("2024-05-10"), date("2026-06-09"))', YearsMonths(24)),
    ('duration("P1DT2H").hours', D(2)), ('@"2026-12-01".month', D(12)), ('day of week(date("2026-12-01"))', "Tuesday"),
    ('time("10:00:00+01:00") = time("09:00:00Z")', True), ('date("2026-02-30")', None),
    ("before(1, [2..5])", True), ("overlaps([1..3], [3..5])", True), ("includes([1..10], [2..3])", True),
])
def test_expression(source, expected):
    assert evaluate(source, {"x": 3, "Monthly Salary": 1000}) == expected if "Monthly" not in source else \
        parse_expression(source, ["Monthly Salary"]).evaluate({"Monthly Salary": 1000}) == expected


@pytest.mark.parametrize("cell,value,hit", [
    ("-", "anything", True), ("< 18", 17, True), ("< 18", 18, False), ("[18..65]", 65, True), ("[18..65[", 65, False),
    ('"A", "B"', "B", True), ('"A", "B"', "C", False), ('not("A", "B")', "C", True), ('not("A")', "A", False),
    ("true", False, False), ("false", False, True), ("? > 5", 6, True), ("? > 5", None, False),
    ("> 3", None, False), ("null", None, True), ("> x", 4, True), ("[1..3], > 10", 11, True),
    ('date("2026-01-01")', dt.date(2026, 1, 1), True), ("[1, 2]", 2, True),
])
def test_unary_tests(cell, value, hit):
    assert parse_unary_tests(cell).matches(value, {"x": 3}) is hit


@pytest.mark.parametrize("source,where", [
    ("1 +", (1, 4)), ("a[", (1, 3)), ("x = = 1", (1, 5)), ('"open', (1, 1)), ("1 ~ 2", (1, 3)),
    ("if a then b", (1, 12)), ("{a: 1,\n b: }", (2, 5)),
])
def test_syntax_errors_say_where(source, where):
    with pytest.raises(FeelError) as err:
        parse_expression(source)
    assert (err.value.line, err.value.column) == where


def test_results_become_task_data():
    assert to_plain(evaluate('{n: 1.50, i: 2, d: date("2026-01-02"), p: duration("P2D"), l: [0.1 + 0.2]}')) == \
        {"n": 1.5, "i": 2, "d": "2026-01-02", "p": "P2D", "l": [0.3]}


def test_data_of_any_python_shape_is_read_as_feel():
    data = {"amount": 50000, "rate": 0.0435, "tags": ("a", "b"), "when": dt.date(2026, 1, 1), "nested": {"k": [1, 2.5]}}
    assert evaluate("amount * rate", data) == D("2175.0000")
    assert evaluate('tags[1] = "a" and when.year = 2026 and nested.k[2] = 2.5', data) is True


def test_partial_is_a_snapshot_so_no_list_can_contain_itself():
    assert to_plain(evaluate("for i in 1..3 return partial")) == [[], [[]], [[], [[]]]]
