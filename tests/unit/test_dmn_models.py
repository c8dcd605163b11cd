"""DMN beyond the TCK's level 2, with cases of our own taken from the spec (DMN 1.5, chapters 7-8)."""
from decimal import Decimal

import pytest

from engine.dmn import DecisionError, load_model, parse_dmn

D = Decimal
NS = {"1.1": "http://www.omg.org/spec/DMN/20151101/dmn.xsd", "1.2": "http://www.omg.org/spec/DMN/20180521/MODEL/",
      "1.3": "https://www.omg.org/spec/DMN/20191111/MODEL/", "1.4": "https://www.omg.org/spec/DMN/20211108/MODEL/",
      "1.5": "https://www.omg.org/spec/DMN/20230324/MODEL/"}


def model(body: str, version: str = "1.5") -> bytes:
    return f'<definitions xmlns="{NS[version]}" id="m" name="m" namespace="x">{body}</definitions>'.encode()


def table(hit: str, rules: list, outputs=("out",), output_values=None, aggregation=None, name="T") -> str:
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    outs = "".join(
        f'<output id="o{i}"' + (f' name="{o}"' if o else "") + ">"
        + (f"<outputValues><text>{output_values[i]}</text></outputValues>" if output_values and output_values[i] else "")
        + "</output>" for i, o in enumerate(outputs))
    body = "".join(f'<rule id="{rid}"><inputEntry><text>{cell}</text></inputEntry>'
                   + "".join(f"<outputEntry><text>{o}</text></outputEntry>" for o in outs) + "</rule>"
                   for rid, cell, outs in rules)
    hit = hit.replace("<", "&lt;").replace(">", "&gt;")
    return (f'<decision id="{name.lower()}" name="{name}"><decisionTable hitPolicy="{hit}"{agg}>'
            f'<input id="i"><inputExpression><text>x</text></inputExpression></input>{outs}{body}</decisionTable></decision>')


RULES = [("r1", "&gt;= 0", ['"low"', "1"]), ("r2", "&gt;= 5", ['"high"', "2"]), ("r3", "&gt;= 5", ['"mid"', "3"])]
LEVELS = '"high", "mid", "low"'


@pytest.mark.parametrize("hit,agg,expected", [
    ("FIRST", None, {"level": "low", "n": D(1)}),
    ("PRIORITY", None, {"level": "high", "n": D(2)}),
    ("RULE ORDER", None, [{"level": "low", "n": D(1)}, {"level": "high", "n": D(2)}, {"level": "mid", "n": D(3)}]),
    ("OUTPUT ORDER", None, [{"level": "high", "n": D(2)}, {"level": "mid", "n": D(3)}, {"level": "low", "n": D(1)}]),
    ("COLLECT", None, [{"level": "low", "n": D(1)}, {"level": "high", "n": D(2)}, {"level": "mid", "n": D(3)}]),
])
def test_hit_policies_with_two_outputs(hit, agg, expected):
    m = load_model(model(table(hit, RULES, outputs=("level", "n"), output_values=(LEVELS, None))))
    assert m.evaluate("T", {"x": 7}) == expected


@pytest.mark.parametrize("hit,expected", [("C+", D(6)), ("C<", D(1)), ("C>", D(3)), ("C#", D(3)), ("C", [D(1), D(2), D(3)]),
                                          ("R", [D(1), D(2), D(3)]), ("F", D(1)), ("A", None)])
def test_single_unnamed_output_gives_the_value_itself(hit, expected):
    rules = [("r1", "&gt;= 0", ["1"]), ("r2", "&gt;= 5", ["2"]), ("r3", "&gt;= 5", ["3"])]
    m = load_model(model(table(hit, rules, outputs=(None,))))
    assert m.evaluate("T", {"x": 7}) == expected  # A: rules disagree, so null (an error in strict mode)


def test_any_agrees_and_unique_misses_are_null_or_errors():
    m = load_model(model(table("ANY", [("a", "&gt; 0", ['"ok"']), ("b", "&lt; 10", ['"ok"'])], outputs=(None,))))
    assert m.evaluate("T", {"x": 5}) == "ok"
    u = load_model(model(table("UNIQUE", [("a", "&lt; 0", ['"neg"'])], outputs=(None,))))
    assert u.evaluate("T", {"x": 5}) is None
    with pytest.raises(DecisionError, match="no rule matched"):
        u.evaluate("T", {"x": 5}, strict=True)


def test_priority_needs_output_values_order():
    rules = [("a", "-", ['"B"']), ("b", "-", ['"A"'])]
    m = load_model(model(table("PRIORITY", rules, outputs=("grade",), output_values=('"A", "B"',))))
    assert m.evaluate("T", {"x": 1}) == "A"


@pytest.mark.parametrize("cells,clash", [
    (["&lt;= 10", "&gt;= 10"], True), (["&lt; 10", "&gt;= 10"], False), (["[0..10[", "[10..20]"], False),
    (["[0..10]", "[10..20]"], True), (['"A", "B"', '"B"'], True), (['"A"', '"B"'], False), (['not("A")', '"B"'], True),
    (['not("A")', '"A"'], False), (["-", "5"], True), (["true", "false"], False), (["&gt; y", "&lt; 3"], False),
    (["]1..5[", "5"], False), (["&lt; 5, &gt; 10", "[5..10]"], False), (["&lt; 5, &gt; 10", "[5..11]"], True),
])
def test_unique_tables_whose_rules_can_overlap_are_refused_at_deploy(cells, clash):
    content = model(table("UNIQUE", [("r1", cells[0], ["1"]), ("r2", cells[1], ["2"])], outputs=(None,)))
    if clash:
        with pytest.raises(DecisionError, match="can match the same inputs: r1 and r2"):
            parse_dmn(content, "t.dmn")
    else:
        parse_dmn(content, "t.dmn")


GRAPH = """
<itemDefinition name="tLoan"><itemComponent name="amount"><typeRef>number</typeRef></itemComponent>
  <itemComponent name="term"><typeRef>number</typeRef></itemComponent></itemDefinition>
<itemDefinition name="tGrade"><typeRef>string</typeRef><allowedValues><text>"A", "B", "C"</text></allowedValues></itemDefinition>
<inputData id="i_loan" name="Loan"><variable name="Loan" typeRef="tLoan"/></inputData>
<inputData id="i_grade" name="Grade"><variable name="Grade" typeRef="tGrade"/></inputData>
<businessKnowledgeModel id="b_instalment" name="Instalment">
  <encapsulatedLogic><formalParameter name="p"/><formalParameter name="n"/>
    <literalExpression><text>p / n</text></literalExpression></encapsulatedLogic></businessKnowledgeModel>
<decision id="d_monthly" name="Monthly Payment">
  <informationRequirement><requiredInput href="#i_loan"/></informationRequirement>
  <knowledgeRequirement><requiredKnowledge href="#b_instalment"/></knowledgeRequirement>
  <invocation><literalExpression><text>Instalment</text></literalExpression>
    <binding><parameter name="p"/><literalExpression><text>Loan.amount</text></literalExpression></binding>
    <binding><parameter name="n"/><literalExpression><text>Loan.term</text></literalExpression></binding></invocation></decision>
<decision id="d_summary" name="Summary">
  <informationRequirement><requiredDecision href="#d_monthly"/></informationRequirement>
  <context>
    <contextEntry><variable name="yearly"/><literalExpression><text>Monthly Payment * 12</text></literalExpression></contextEntry>
    <contextEntry><variable name="grade"/><literalExpression><text>Grade</text></literalExpression></contextEntry>
    <contextEntry><variable name="schedule"/><list><literalExpression><text>1</text></literalExpression>
      <literalExpression><text>Instalment(10, 2)</text></literalExpression></list></contextEntry>
    <contextEntry><variable name="table"/><relation><column name="k"/><column name="v"/>
      <row><literalExpression><text>"a"</text></literalExpression><literalExpression><text>1</text></literalExpression></row></relation></contextEntry>
    <contextEntry><variable name="double"/><functionDefinition><formalParameter name="v"/>
      <literalExpression><text>v * 2</text></literalExpression></functionDefinition></contextEntry>
    <contextEntry><variable name="twice"/><literalExpression><text>double(yearly)</text></literalExpression></contextEntry>
  </context></decision>
<decision id="d_flag" name="Flag"><literalExpression><text>"second decision in the file"</text></literalExpression></decision>
"""


def test_required_decisions_bkms_and_boxed_expressions():
    m = load_model(model(GRAPH))
    out = m.evaluate("Summary", {"Loan": {"amount": 1200, "term": 12}, "Grade": "B"})
    assert out["yearly"] == D(1200) and out["grade"] == "B" and out["schedule"] == [D(1), D(5)]
    assert out["table"] == [{"k": "a", "v": D(1)}] and out["twice"] == D(2400)
    assert m.evaluate("d_monthly", {"Loan": {"amount": 1200, "term": 12}}) == D(100)  # by id
    assert m.evaluate("Flag", {}) == "second decision in the file"


def test_item_definitions_with_allowed_values():
    m = load_model(model(GRAPH))
    assert m.evaluate("Summary", {"Loan": {"amount": 1200, "term": 12}, "Grade": "Z"})["grade"] is None
    assert m.evaluate("Summary", {"Loan": {"amount": "1200", "term": 12}, "Grade": "A"})["yearly"] is None


@pytest.mark.parametrize("version", sorted(NS))
def test_every_dmn_namespace_from_1_1_to_1_5(version):
    assert load_model(model(table("UNIQUE", [("a", "-", ["1"])], outputs=(None,)), version)).evaluate("T", {"x": 1}) == 1


def test_located_refusals():
    with pytest.raises(DecisionError, match="not DMN 1.1 to 1.5"):
        load_model(b'<definitions xmlns="http://example.com/dmn"/>')
    cyclic = ('<decision id="a" name="A"><informationRequirement><requiredDecision href="#b"/></informationRequirement>'
              '<literalExpression><text>B</text></literalExpression></decision>'
              '<decision id="b" name="B"><informationRequirement><requiredDecision href="#a"/></informationRequirement>'
              '<literalExpression><text>A</text></literalExpression></decision>')
    with pytest.raises(DecisionError, match="cycle"):
        load_model(model(cyclic)).evaluate("A", {})
    with pytest.raises(DecisionError) as err:
        load_model(model('<decision id="d" name="D"><literalExpression><text>1 +</text></literalExpression></decision>'), "f.dmn")
    assert err.value.filename == "f.dmn" and err.value.element == "d" and err.value.line == 1
    with pytest.raises(DecisionError, match="Java functions are not supported"):
        load_model(model('<decision id="d" name="D"><functionDefinition kind="Java"/></decision>'))
