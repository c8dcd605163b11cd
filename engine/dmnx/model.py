"""DMN models (DMN 1.1 to 1.5): item definitions, input data, decisions, business knowledge models,
and the boxed expressions they hold, evaluated in requirement order."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from lxml import etree

from .. import feel
from ..feel import types as feel_types
from ..feel.values import Function
from .errors import DecisionError
from .tables import Input, Output, Rule, Table, TableResult, hit_policy

NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",  # 1.1
    "http://www.omg.org/spec/DMN/20180521/MODEL/",  # 1.2
    "https://www.omg.org/spec/DMN/20191111/MODEL/",  # 1.3
    "https://www.omg.org/spec/DMN/20211108/MODEL/",  # 1.4
    "https://www.omg.org/spec/DMN/20230324/MODEL/",  # 1.5
}
FEEL_LANGUAGES = {None, "", "feel", "http://www.omg.org/spec/FEEL/20140401"} | {
    ns.replace("MODEL/", "FEEL/") for ns in NAMESPACES}
Run = Callable[[dict, feel.Budget], Any]


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el, name: str | None = None) -> list:
    return [c for c in el if isinstance(c.tag, str) and (name is None or _local(c.tag) == name)]


def _one(el, name: str):
    found = _kids(el, name)
    return found[0] if found else None


def _text(el, name: str = "text") -> str:
    found = _one(el, name) if el is not None else None
    return (found.text or "").strip() if found is not None else ""


@dataclass
class ItemDefinition:
    name: str
    type_ref: str | None
    allowed: feel.UnaryTests | None
    components: dict[str, "ItemDefinition"]
    collection: bool


@dataclass
class Evaluation:
    """What one decision did: its inputs, outputs and, for a table, the rules that fired."""

    decision_id: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    matched_rules: list[str]
    descriptions: list[str] = field(default_factory=list)
    value: Any = None


@dataclass
class Decision:
    id: str
    name: str
    type_ref: str | None
    run: Run
    table: Table | None
    requires: list[str]  # decision ids
    model: "Model"
    reads: frozenset[str] = frozenset()

    @property
    def filename(self) -> str:
        return self.model.filename

    @property
    def sha256(self) -> str:
        return self.model.sha256

    @property
    def hit_policy(self) -> str | None:
        return self.table.hit_policy if self.table else None

    @property
    def rules(self) -> list[Rule]:
        return self.table.rules if self.table else []

    @property
    def outputs(self) -> list[str]:
        return self.table.output_names if self.table else [self.name]

    def evaluate(self, data: dict, budget: feel.Budget | None = None, strict: bool = True) -> Evaluation:
        return self.model.evaluate_decision(self.id, data, budget, strict)


class Model:
    def __init__(self, filename: str, sha256: str, name: str):
        self.filename, self.sha256, self.name = filename, sha256, name
        self.items: dict[str, ItemDefinition] = {}
        self.inputs: dict[str, str | None] = {}  # name -> typeRef
        self.decisions: dict[str, Decision] = {}
        self.bkms: dict[str, Run] = {}
        self.names: frozenset[str] = frozenset()

    def decision(self, key: str) -> Decision:
        found = self.decisions.get(key) or next((d for d in self.decisions.values() if d.name == key), None)
        if found is None:
            raise DecisionError(f"no decision named {key!r} in this model", self.filename)
        return found

    def evaluate(self, key: str, context: dict, budget: feel.Budget | None = None, strict: bool = False) -> Any:
        """The decision's value (a FEEL value) for a context of plain Python values."""
        return self.evaluate_decision(self.decision(key).id, context, budget, strict).value

    def evaluate_decision(self, key: str, context: dict, budget: feel.Budget | None = None,
                          strict: bool = True) -> Evaluation:
        budget = budget or feel.Budget()
        target = self.decision(key)
        scope = dict(context)
        for name, type_ref in self.inputs.items():
            if name in scope:
                scope[name] = self.conform(scope[name], type_ref)
        for name, fn in self.bkms.items():
            scope.setdefault(name, fn(scope, budget))
        done: dict[str, Any] = {}
        trace: dict[str, TableResult] = {}

        def run(did: str, path: tuple[str, ...]) -> Any:
            if did in done:
                return done[did]
            if did in path:
                raise DecisionError(f"decisions require each other in a cycle: {' -> '.join(path + (did,))}", self.filename, did)
            d = self.decisions[did]
            for req in d.requires:
                scope[self.decisions[req].name] = run(req, path + (did,))
            try:
                if d.table is not None:
                    result = d.table.evaluate(scope, budget, strict)
                    trace[did] = result
                    value = result.value
                else:
                    value = d.run(scope, budget)
            except feel.FeelError as exc:
                raise DecisionError(str(exc), self.filename, did) from None
            value = self.conform(value, d.type_ref)
            done[did] = value
            return value

        value = run(target.id, ())
        result = trace.get(target.id)
        if target.table is not None:
            names = target.table.output_names
            outputs = dict(value) if len(names) > 1 and isinstance(value, dict) else (
                {names[0]: value} if len(names) == 1 else {target.name: value})
            if len(names) > 1 and isinstance(value, list):
                outputs = {n: [row.get(n) if isinstance(row, dict) else None for row in value] for n in names}
        else:
            outputs = {target.name: value}
        matched = result.matched if result else []
        return Evaluation(target.id, target.name, result.inputs if result else {}, outputs,
                          [r.id for r in matched], [r.description for r in matched if r.description], value)

    # -- types ---------------------------------------------------------------------------
    def conform(self, value: Any, type_ref: str | None) -> Any:
        """The value if it conforms to the type, else null (DMN: a type error yields null)."""
        if value is None or not type_ref:
            return value
        value = feel.deep(value)
        item = self.items.get(type_ref) or self.items.get(type_ref.split(".")[-1])
        if item is None:
            base = type_ref.split(":")[-1]
            if base in feel_types.KNOWN and base != "Any":
                return value if feel_types.is_instance(value, ("name", base)) else None
            return value
        return self._conform_item(value, item)

    def _conform_item(self, value: Any, item: ItemDefinition) -> Any:
        if item.collection:
            if not isinstance(value, list):
                return None
            single = ItemDefinition(item.name, item.type_ref, item.allowed, item.components, False)
            out = [self._conform_item(v, single) if v is not None else None for v in value]
            return None if any(o is None and v is not None for o, v in zip(out, value)) else out
        if item.components:
            if not isinstance(value, dict):
                return None
            out = dict(value)
            for name, comp in item.components.items():
                if name in out and out[name] is not None:
                    conformed = self._conform_item(out[name], comp)
                    if conformed is None:
                        return None
                    out[name] = conformed
            return out
        if item.type_ref:
            value = self.conform(value, item.type_ref)
            if value is None:
                return None
        if item.allowed is not None and not item.allowed.matches(value, {}):
            return None
        return value


def load_model(content: bytes, filename: str = "", sha256: str = "") -> Model:
    """Load a DMN model from XML bytes; raises DecisionError naming the file, element and line."""
    try:
        root = etree.fromstring(content, parser=etree.XMLParser(resolve_entities=False, no_network=True,
                                                                 huge_tree=False))
    except etree.XMLSyntaxError as exc:
        raise DecisionError(f"not well-formed XML: {exc.msg}", filename, line=exc.lineno) from None
    if _local(root.tag) != "definitions":
        raise DecisionError("root element must be <definitions>", filename, line=root.sourceline)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if ns not in NAMESPACES:
        raise DecisionError(f"namespace {ns!r} is not DMN 1.1 to 1.5", filename, line=root.sourceline)
    return _Loader(root, filename, sha256).model


class _Loader:
    def __init__(self, root, filename: str, sha256: str):
        self.filename = filename
        self.model = Model(filename, sha256, root.get("name") or filename)
        self.model.names = frozenset(n for n in root.xpath("//@name") if " " in n or not n.isidentifier())
        for el in _kids(root, "itemDefinition"):
            item = self.item(el)
            self.model.items[item.name] = item
        for el in _kids(root, "inputData"):
            var = _one(el, "variable")
            self.model.inputs[el.get("name")] = (var.get("typeRef") if var is not None else None) or el.get("typeRef")
        for el in _kids(root, "businessKnowledgeModel"):
            logic = _one(el, "encapsulatedLogic")
            if logic is None:
                raise DecisionError("business knowledge model has no encapsulatedLogic", filename, el.get("id"), el.sourceline)
            self.model.bkms[el.get("name")] = self.function(logic, el.get("name"))
        ids = {el.get("id"): el for el in _kids(root, "decision")}
        for did, el in ids.items():
            self.model.decisions[did] = self.decision(el)
        for d in self.model.decisions.values():
            for req in d.requires:
                if req not in self.model.decisions:
                    raise DecisionError(f"requires decision #{req}, which is not in this file", filename, d.id)
        if not self.model.decisions:
            raise DecisionError("no <decision> found", filename)

    def where(self, el) -> dict:
        return {"filename": self.filename, "element": el.get("id") or el.get("name"), "line": el.sourceline}

    def expr(self, text: str, el) -> feel.Expression:
        try:
            return feel.parse_expression(text, self.model.names)
        except feel.FeelError as exc:
            raise DecisionError(f"bad FEEL expression {text!r}: {exc}", **self.where(el)) from None

    def tests(self, text: str, el) -> feel.UnaryTests:
        try:
            return feel.parse_unary_tests(text, self.model.names)
        except feel.FeelError as exc:
            raise DecisionError(f"bad unary test {text!r}: {exc}", **self.where(el)) from None

    def item(self, el) -> ItemDefinition:
        allowed = _one(el, "allowedValues")
        return ItemDefinition(
            el.get("name"), _text(el, "typeRef") or None,
            self.tests(_text(allowed), allowed) if allowed is not None and _text(allowed) else None,
            {c.get("name"): self.item(c) for c in _kids(el, "itemComponent")},
            (el.get("isCollection") or "false").lower() == "true",
        )

    def decision(self, el) -> Decision:
        self._reads = set()
        did, name = el.get("id"), el.get("name") or el.get("id")
        if not did:
            raise DecisionError("decision without id", self.filename, line=el.sourceline)
        var = _one(el, "variable")
        type_ref = var.get("typeRef") if var is not None else None
        requires = []
        for req in _kids(el, "informationRequirement"):
            ref = _one(req, "requiredDecision")
            if ref is not None:
                requires.append((ref.get("href") or "").lstrip("#"))
        body = next((c for c in _kids(el) if _local(c.tag) in BOXED), None)
        if body is None:
            raise DecisionError("decision has no expression (decisionTable, literalExpression, context, ...)",
                                **self.where(el))
        table = self.table(body, name) if _local(body.tag) == "decisionTable" else None
        run = self.boxed(body, name) if table is None else None
        decision = Decision(did, name, type_ref, run, table, requires, self.model)
        decision.reads = table.names() if table else frozenset(self._reads)
        return decision

    _reads: set = set()

    # -- boxed expressions ----------------------------------------------------------------
    def boxed(self, el, name: str) -> Run:
        kind = _local(el.tag)
        if kind == "literalExpression":
            lang = el.get("expressionLanguage")
            if lang not in FEEL_LANGUAGES and lang.lower() != "feel":
                raise DecisionError(f"expression language {lang} is not FEEL", **self.where(el))
            text = _text(el)
            if not text:
                return lambda scope, budget: None
            e = self.expr(text, el)
            self._reads = set(self._reads) | set(e.names)
            return lambda scope, budget: e.evaluate(scope, budget)
        if kind == "context":
            entries = []
            for entry in _kids(el, "contextEntry"):
                var = _one(entry, "variable")
                inner = next((c for c in _kids(entry) if _local(c.tag) in BOXED), None)
                if inner is None:
                    raise DecisionError("context entry has no expression", **self.where(entry))
                entries.append((var.get("name") if var is not None else None, self.boxed(inner, name)))

            def run_context(scope, budget):
                local = dict(scope)
                out = {}
                for key, fn in entries:
                    value = fn(local, budget)
                    if key is None:
                        return value
                    out[key] = local[key] = value
                return out
            return run_context
        if kind == "list":
            items = [self.boxed(c, name) for c in _kids(el) if _local(c.tag) in BOXED]
            return lambda scope, budget: [fn(scope, budget) for fn in items]
        if kind == "relation":
            columns = [c.get("name") for c in _kids(el, "column")]
            rows = [[self.boxed(c, name) for c in _kids(r) if _local(c.tag) in BOXED] for r in _kids(el, "row")]
            return lambda scope, budget: [dict(zip(columns, (fn(scope, budget) for fn in row))) for row in rows]
        if kind == "invocation":
            callee_el = next((c for c in _kids(el) if _local(c.tag) in BOXED), None)
            callee = self.boxed(callee_el, name) if callee_el is not None else None
            bindings = []
            for b in _kids(el, "binding"):
                param = _one(b, "parameter")
                inner = next((c for c in _kids(b) if _local(c.tag) in BOXED), None)
                bindings.append((param.get("name"), self.boxed(inner, name) if inner is not None else None))

            def run_invocation(scope, budget):
                from ..feel.compiler import invoke

                fn = callee(scope, budget) if callee else None
                if not isinstance(fn, Function):
                    raise feel.FeelError(f"invocation of something that is not a function in {name}")
                given = {k: (v(scope, budget) if v else None) for k, v in bindings}
                args = [given.get(p) for p in fn.params]
                return invoke(fn, args, budget, name, None, None)
            return run_invocation
        if kind == "functionDefinition":
            return self.function(el, name)
        if kind == "decisionTable":
            table = self.table(el, name)
            return lambda scope, budget: table.evaluate(scope, budget, False).value
        raise DecisionError(f"{kind} is not supported", **self.where(el))

    def function(self, el, name: str) -> Run:
        kind = (el.get("kind") or "FEEL").upper()
        if kind != "FEEL":
            raise DecisionError(f"{kind} functions are not supported; write the logic in FEEL", **self.where(el))
        params = tuple(p.get("name") for p in _kids(el, "formalParameter"))
        body_el = next((c for c in _kids(el) if _local(c.tag) in BOXED), None)
        body = self.boxed(body_el, name) if body_el is not None else (lambda scope, budget: None)

        def make(scope, budget):
            def impl(call_budget, *args):
                return body({**scope, **dict(zip(params, args))}, call_budget)
            return Function(name, params, impl, wants_budget=True)
        return make

    def table(self, el, name: str) -> Table:
        where = self.where(el)
        policy, aggregation = hit_policy(el.get("hitPolicy"), el.get("aggregation"), where)
        inputs = []
        for inp in _kids(el, "input"):
            ie = _one(inp, "inputExpression")
            src = _text(ie) if ie is not None else ""
            if not src:
                raise DecisionError("input has no expression", **self.where(inp))
            values = _one(inp, "inputValues")
            inputs.append(Input(inp.get("label") or src, self.expr(src, inp),
                                self.tests(_text(values), values) if values is not None and _text(values) else None))
        outputs = []
        for out in _kids(el, "output"):
            values = _one(out, "outputValues")
            default = _one(out, "defaultOutputEntry")
            outputs.append(Output(out.get("name"),
                                  self.tests(_text(values), values) if values is not None and _text(values) else None,
                                  self.expr(_text(default), default) if default is not None and _text(default) else None))
        if not outputs:
            raise DecisionError("table has no output", **where)
        if len(outputs) > 1 and any(not o.name for o in outputs):
            raise DecisionError("a table with several outputs must name each of them", **where)
        if aggregation and len(outputs) != 1:
            raise DecisionError("an aggregating table must have exactly one output", **where)
        rules = []
        for row, rel in enumerate(_kids(el, "rule"), start=1):
            rid = rel.get("id") or f"{el.get('id') or name}_row{row}"
            ins, outs = _kids(rel, "inputEntry"), _kids(rel, "outputEntry")
            if len(ins) != len(inputs) or len(outs) != len(outputs):
                raise DecisionError(f"rule has {len(ins)} input and {len(outs)} output cells; the table has "
                                    f"{len(inputs)} and {len(outputs)}", self.filename, rid, rel.sourceline)
            tests = [self.tests(_text(c), c) for c in ins]
            exprs = []
            for c in outs:
                src = _text(c)
                if not src:
                    raise DecisionError("empty output cell", self.filename, rid, c.sourceline)
                exprs.append(self.expr(src, c))
            note = _text(rel, "description") or " ".join(
                (a.findtext("{*}text") or "").strip() for a in _kids(rel, "annotationEntry")).strip()
            rules.append(Rule(rid, row, tests, exprs, note))
        return Table(el.get("id") or name, policy, aggregation, inputs, outputs, rules, name)


BOXED = {"literalExpression", "decisionTable", "context", "invocation", "list", "relation", "functionDefinition"}
