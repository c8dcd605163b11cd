"""DMN decision tables: parsing, validation and evaluation with honest hit policies.

SpiffWorkflow's own DMN engine returns the first match under UNIQUE, drops COLLECT
aggregations and does not say which rules fired, so tables are parsed and run here.

Cells are unary tests over the column's input value: `-` or empty (any), `< 18`,
`[18..65]`, `"A", "B"` (any of), `not("X")`, or any expression using `?` for the
input value. Output cells are expressions over the same data as the inputs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .sandbox import Sandbox, ScriptError, compile_checked, run_code

HIT_POLICIES = {"UNIQUE", "FIRST", "ANY", "COLLECT", "RULE ORDER"}
AGGREGATIONS = {None, "SUM", "MIN", "MAX", "COUNT"}
DMN_GLOBALS = {"true": True, "false": False, "null": None}


class DecisionError(Exception):
    """Raised at parse time (with file and element) or evaluation time (with table)."""

    def __init__(self, message: str, filename: str | None = None, element: str | None = None, line: int | None = None):
        where = ":".join(str(x) for x in (filename, line) if x) or None
        prefix = " ".join(x for x in (where, f"[{element}]" if element else None) if x)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.filename, self.element, self.line = filename, element, line


@dataclass
class Rule:
    id: str
    row: int
    tests: list[Any]  # compiled code per input, or None for "any"
    outputs: list[Any]  # compiled code per output
    description: str = ""


@dataclass
class Table:
    decision_id: str
    name: str
    hit_policy: str
    aggregation: str | None
    inputs: list[tuple[str, str, Any]]  # (label, expression source, compiled)
    outputs: list[str]
    rules: list[Rule]
    filename: str = ""
    sha256: str = ""
    reads: frozenset[str] = frozenset()  # the data names the table looks at


@dataclass
class Evaluation:
    decision_id: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    matched_rules: list[str]
    descriptions: list[str] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el, name: str):
    return [c for c in el if isinstance(c.tag, str) and _local(c.tag) == name]


def _text(el, name: str) -> str:
    found = _children(el, name)
    return (found[0].text or "").strip() if found else ""


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside quotes and brackets."""
    parts, depth, quote, buf = [], 0, None, []
    for ch in text:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(buf).strip())
            buf = []
            continue
        buf.append(ch)
    parts.append("".join(buf).strip())
    return parts


_RANGE = re.compile(r"^([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\]\)])$")
_COMPARE = re.compile(r"^(<=|>=|<|>|!=|==|=)\s*(.+)$")


def unary_test_source(cell: str) -> str | None:
    """Translate one input cell into a Python expression over `dmn_input`."""
    cell = cell.strip()
    if cell in ("", "-"):
        return None
    if cell.startswith("not(") and cell.endswith(")"):
        inner = unary_test_source(cell[4:-1])
        return "True" if inner is None else f"not ({inner})"
    items = split_top(cell)
    if len(items) > 1:
        return " or ".join(f"({unary_test_source(i)})" for i in items)
    if "?" in cell and not cell.startswith(("'", '"')):
        return re.sub(r"\?(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "dmn_input", cell)
    m = _RANGE.match(cell)
    if m:
        lo_br, lo, hi, hi_br = m.groups()
        lo_op = "<=" if lo_br == "[" else "<"
        hi_op = "<=" if hi_br == "]" else "<"
        return f"({lo}) {lo_op} dmn_input {hi_op} ({hi})"
    m = _COMPARE.match(cell)
    if m:
        op, rhs = m.groups()
        return f"dmn_input {'==' if op == '=' else op} ({rhs})"
    return f"dmn_input == ({cell})"


def parse_dmn(content: bytes, filename: str = "", sha256: str = "") -> list[Table]:
    try:
        root = etree.fromstring(content, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DecisionError(f"not well-formed XML: {exc.msg}", filename, line=exc.lineno) from None
    if _local(root.tag) != "definitions":
        raise DecisionError("root element must be <definitions>", filename, line=root.sourceline)
    tables = []
    for decision in _children(root, "decision"):
        did = decision.get("id")
        if not did:
            raise DecisionError("decision without id", filename, line=decision.sourceline)
        found = _children(decision, "decisionTable")
        if not found:
            raise DecisionError("decision has no decisionTable", filename, did, decision.sourceline)
        tables.append(_parse_table(found[0], did, decision.get("name") or did, filename, sha256))
    if not tables:
        raise DecisionError("no <decision> found", filename)
    return tables


def _names(source: str) -> set[str]:
    import ast

    try:
        return {n.id for n in ast.walk(ast.parse(source.strip(), mode="eval")) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set()


def _compile(source: str, filename: str, element: str, line: int | None) -> Any:
    try:
        return compile_checked(source, "eval")
    except ScriptError as exc:
        raise DecisionError(f"bad expression '{source}': {exc}", filename, element, line) from None


def _parse_table(el, did: str, name: str, filename: str, sha256: str) -> Table:
    policy = (el.get("hitPolicy") or "UNIQUE").upper().replace("_", " ")
    if policy not in HIT_POLICIES:
        raise DecisionError(f"hit policy {policy} is not supported (use {', '.join(sorted(HIT_POLICIES))})", filename, did, el.sourceline)
    aggregation = el.get("aggregation")
    if aggregation is not None:
        aggregation = aggregation.upper()
    if aggregation not in AGGREGATIONS or (aggregation and policy != "COLLECT"):
        raise DecisionError(f"aggregation {aggregation} needs hit policy COLLECT and one of SUM, MIN, MAX, COUNT", filename, did, el.sourceline)
    inputs = []
    for inp in _children(el, "input"):
        expr_el = _children(inp, "inputExpression")
        src = _text(expr_el[0], "text") if expr_el else ""
        if not src:
            raise DecisionError("input has no expression", filename, inp.get("id") or did, inp.sourceline)
        inputs.append((inp.get("label") or src, src, _compile(src, filename, inp.get("id") or did, inp.sourceline)))
    outputs = []
    for out in _children(el, "output"):
        oname = out.get("name")
        if not oname or not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", oname):
            raise DecisionError("every output needs a name usable as a variable", filename, out.get("id") or did, out.sourceline)
        outputs.append(oname)
    if not outputs:
        raise DecisionError("table has no output", filename, did, el.sourceline)
    if aggregation and len(outputs) != 1:
        raise DecisionError("an aggregating table must have exactly one output", filename, did, el.sourceline)
    rules = []
    for row, rel in enumerate(_children(el, "rule"), start=1):
        rid = rel.get("id") or f"{did}_row{row}"
        ins, outs = _children(rel, "inputEntry"), _children(rel, "outputEntry")
        if len(ins) != len(inputs) or len(outs) != len(outputs):
            raise DecisionError(f"rule has {len(ins)} input and {len(outs)} output cells; the table has {len(inputs)} and {len(outputs)}", filename, rid, rel.sourceline)
        tests = []
        for cell in ins:
            src = unary_test_source(_text(cell, "text"))
            tests.append(None if src is None else _compile(src, filename, rid, cell.sourceline))
        out_codes = []
        for cell in outs:
            src = _text(cell, "text")
            if not src:
                raise DecisionError("empty output cell", filename, rid, cell.sourceline)
            out_codes.append(_compile(src, filename, rid, cell.sourceline))
        rules.append(Rule(rid, row, tests, out_codes, _text(rel, "description")))
    sources = [src for _, src, _ in inputs]
    sources += [_text(c, "text") for r in _children(el, "rule") for c in _children(r, "inputEntry") + _children(r, "outputEntry")]
    reads = set().union(*(_names(unary_test_source(x) or "None") for x in sources)) - {"dmn_input"} - set(DMN_GLOBALS)
    return Table(did, name, policy, aggregation, inputs, outputs, rules, filename, sha256, frozenset(reads))


def evaluate(table: Table, data: dict[str, Any], sandbox: Sandbox) -> Evaluation:
    ns = sandbox._namespace(data, DMN_GLOBALS)
    values = []
    for label, src, (code, loops) in table.inputs:
        try:
            values.append(run_code(code, loops, ns, "eval", sandbox.timeout))
        except Exception as exc:
            raise DecisionError(f"input '{src}' failed: {type(exc).__name__}: {exc}", element=table.decision_id) from None
    matched: list[Rule] = []
    for rule in table.rules:
        if _matches(rule, values, ns, sandbox, table):
            matched.append(rule)
            if table.hit_policy == "FIRST":
                break
    outputs = _combine(table, matched, ns, sandbox)
    return Evaluation(
        table.decision_id, table.name,
        {label: value for (label, _, _), value in zip(table.inputs, values)},
        outputs, [r.id for r in matched], [r.description for r in matched if r.description],
    )


def _matches(rule: Rule, values: list[Any], ns: dict, sandbox: Sandbox, table: Table) -> bool:
    for test, value in zip(rule.tests, values):
        if test is None:
            continue
        ns["dmn_input"] = value
        try:
            if not run_code(test[0], test[1], ns, "eval", sandbox.timeout):
                return False
        except TypeError:
            return False  # e.g. None compared with a number: the rule does not apply
        except Exception as exc:
            raise DecisionError(f"cell failed: {type(exc).__name__}: {exc}", element=rule.id) from None
    return True


def _row_outputs(rule: Rule, outputs: list[str], ns: dict, sandbox: Sandbox) -> dict[str, Any]:
    result = {}
    for name, (code, loops) in zip(outputs, rule.outputs):
        try:
            result[name] = run_code(code, loops, ns, "eval", sandbox.timeout)
        except Exception as exc:
            raise DecisionError(f"output '{name}' failed: {type(exc).__name__}: {exc}", element=rule.id) from None
    return result


def _combine(table: Table, matched: list[Rule], ns: dict, sandbox: Sandbox) -> dict[str, Any]:
    policy = table.hit_policy
    if policy in ("UNIQUE", "FIRST", "ANY"):
        if not matched:
            raise DecisionError("no rule matched the inputs and this table must decide", element=table.decision_id)
        if policy == "UNIQUE" and len(matched) > 1:
            ids = ", ".join(r.id for r in matched)
            raise DecisionError(f"UNIQUE table has overlapping rules: {ids} all match", element=table.decision_id)
        rows = [_row_outputs(r, table.outputs, ns, sandbox) for r in matched]
        if policy == "ANY" and any(r != rows[0] for r in rows):
            raise DecisionError("ANY table: matching rules disagree on the output", element=table.decision_id)
        return rows[0]
    rows = [_row_outputs(r, table.outputs, ns, sandbox) for r in matched]
    if table.aggregation is None:
        return {name: [r[name] for r in rows] for name in table.outputs}
    name = table.outputs[0]
    values = [r[name] for r in rows]
    agg = table.aggregation
    if agg == "COUNT":
        return {name: len(values)}
    if agg == "SUM":
        return {name: sum(values)}
    if not values:
        return {name: None}
    return {name: min(values) if agg == "MIN" else max(values)}
