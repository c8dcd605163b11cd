"""Hit policies that mean what they say, FEEL cells, located parse errors."""
import pytest

from engine.dmn import DecisionError, evaluate, parse_dmn


def dmn(hit: str, rules: list[tuple[str, list[str], list[str]]], inputs=("x",), outputs=("out",), aggregation=None) -> bytes:
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    ins = "".join(f'<input id="i{n}" label="{e}"><inputExpression><text>{e}</text></inputExpression></input>' for n, e in enumerate(inputs))
    outs = "".join(f'<output id="o{n}" name="{o}"/>' for n, o in enumerate(outputs))
    body = "".join(
        f'<rule id="{rid}">' + "".join(f"<inputEntry><text>{c}</text></inputEntry>" for c in cells)
        + "".join(f"<outputEntry><text>{o}</text></outputEntry>" for o in outs) + "</rule>"
        for rid, cells, outs in rules)
    return (f'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d"><decision id="t" name="T">'
            f'<decisionTable hitPolicy="{hit}"{agg}>{ins}{outs}{body}</decisionTable></decision></definitions>').encode()


def run(content: bytes, **data):
    [table] = parse_dmn(content, "t.dmn")
    return evaluate(table, data)


BANDS = [("low", ["&lt; 10"], ['"L"']), ("mid", ["[10..20["], ['"M"']), ("high", [">= 20"], ['"H"'])]


@pytest.mark.parametrize("x,band,rule", [(9.99, "L", "low"), (10, "M", "mid"), (19.99, "M", "mid"), (20, "H", "high")])
def test_unique_bands_at_their_edges(x, band, rule):
    ev = run(dmn("UNIQUE", BANDS), x=x)
    assert ev.outputs == {"out": band} and ev.matched_rules == [rule]


def test_unique_refuses_rules_that_can_overlap_at_deploy_and_no_match_at_run_time():
    overlapping = dmn("UNIQUE", [("a", ["&lt;= 10"], ["1"]), ("b", [">= 10"], ["2"])])
    with pytest.raises(DecisionError, match="can match the same inputs: a and b"):
        parse_dmn(overlapping, "t.dmn")
    # An overlap the deploy check cannot prove (a cell reading another variable) is still caught when it happens.
    hidden = dmn("UNIQUE", [("a", ["&lt;= y"], ["1"]), ("b", [">= 10"], ["2"])])
    with pytest.raises(DecisionError, match="overlapping rules: a, b"):
        run(hidden, x=10, y=10)
    assert run(hidden, x=3, y=10).outputs == {"out": 1}
    with pytest.raises(DecisionError, match="no rule matched"):
        run(dmn("UNIQUE", [("a", ["&lt; 0"], ["1"])]), x=5)


def test_first_and_any():
    table = dmn("FIRST", [("a", [">= 0"], ["1"]), ("b", ["-"], ["2"])])
    assert run(table, x=5).matched_rules == ["a"]
    assert run(table, x=-5).outputs == {"out": 2}
    agree = dmn("ANY", [("a", [">= 0"], ['"ok"']), ("b", ["&lt; 10"], ['"ok"'])])
    assert run(agree, x=5).outputs == {"out": "ok"}
    disagree = dmn("ANY", [("a", [">= 0"], ['"ok"']), ("b", ["&lt; 10"], ['"no"'])])
    with pytest.raises(DecisionError, match="disagree"):
        run(disagree, x=5)


@pytest.mark.parametrize("agg,expected", [("SUM", 60), ("MIN", 10), ("MAX", 30), ("COUNT", 3), (None, [10, 20, 30])])
def test_collect_aggregations(agg, expected):
    rules = [("a", ["-"], ["10"]), ("b", [">= 1"], ["20"]), ("c", ["[1..5]"], ["30"]), ("d", ["> 100"], ["99"])]
    ev = run(dmn("COLLECT", rules, aggregation=agg), x=3)
    assert ev.outputs == {"out": expected}
    assert ev.matched_rules == ["a", "b", "c"]


def test_collect_with_nothing_matched():
    rules = [("a", ["> 100"], ["1"])]
    assert run(dmn("COLLECT", rules, aggregation="SUM"), x=3).outputs == {"out": None}  # DMN: C+ of nothing is null
    assert run(dmn("COLLECT", rules, aggregation="COUNT"), x=3).outputs == {"out": 0}
    assert run(dmn("COLLECT", rules, aggregation="MAX"), x=3).outputs == {"out": None}
    assert run(dmn("COLLECT", rules), x=3).outputs == {"out": []}


@pytest.mark.parametrize("cell,value,hit", [
    ('"A", "B"', "B", True), ('"A", "B"', "C", False), ('not("A")', "A", False), ('not("A")', "Z", True),
    ("]1..3]", 1, False), ("]1..3]", 3, True), ("(1..3)", 3, False), ("modulo(?, 2) = 0", 4, True), ("modulo(?, 2) = 0", 3, False), ("true", True, True),
    ("-", None, True), ("[1..3], > 10", 11, True),
])
def test_cell_language(cell, value, hit):
    assert bool(run(dmn("COLLECT", [("a", [cell.replace("<", "&lt;")], ["1"])]), x=value).matched_rules) is hit


def test_cell_against_a_missing_value_does_not_match():
    assert run(dmn("COLLECT", [("a", ["> 3"], ["1"])]), x=None).matched_rules == []


def test_parse_errors_name_file_rule_and_line():
    with pytest.raises(DecisionError) as err:
        parse_dmn(dmn("COLLECT", [("r1", ["> 1"], ["1"]), ("r2", ["> (("], ["1"])]), "t.dmn")
    assert err.value.element == "r2" and err.value.filename == "t.dmn" and "bad unary test" in str(err.value)
    with pytest.raises(DecisionError, match="aggregation SUM needs hit policy COLLECT"):
        parse_dmn(dmn("UNIQUE", [("r1", ["-"], ["1"])], aggregation="SUM"), "t.dmn")
    with pytest.raises(DecisionError, match="1 input and 1 output cells; the table has 2"):
        parse_dmn(dmn("UNIQUE", [("r1", ["-"], ["1"])], inputs=("x", "y")), "t.dmn")
    with pytest.raises(DecisionError, match="not well-formed"):
        parse_dmn(b"<definitions", "t.dmn")
