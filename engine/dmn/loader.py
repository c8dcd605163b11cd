"""Reading DMN XML into a Model: item definitions, inputs, decisions, BKMs and boxed expressions."""
from __future__ import annotations

from lxml import etree

from .. import feel
from ..feel.values import Function
from .errors import DecisionError
from .model import NAMESPACES, FEEL_LANGUAGES, Decision, ItemDefinition, Model, Run, _kids, _local, _one, _text
from .tables import Input, Output, Rule, Table, hit_policy


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
        self._reads: set[str] = set()  # names the decision being loaded reads (for the replay context)
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
        named = el.getparent() if _local(el.tag) in ("inputEntry", "outputEntry") else el
        while named is not None and not (named.get("id") or named.get("name")):
            named = named.getparent()  # a cell is named by its rule, as the designer sees it
        element = (named.get("id") or named.get("name")) if named is not None else None
        return {"filename": self.filename, "element": element, "line": el.sourceline}

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
            self._reads |= e.names
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
                from ..feel.evaluation import invoke

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
        kind = el.get("kind") or "FEEL"
        if kind.upper() != "FEEL":
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
        where = {**self.where(el.getparent() if el.getparent() is not None else el), "line": el.sourceline}
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
        owner = el.getparent()
        table_id = (owner.get("id") if owner is not None and _local(owner.tag) == "decision" else None) or el.get("id") or name
        return Table(table_id, policy, aggregation, inputs, outputs, rules, name)


BOXED = {"literalExpression", "decisionTable", "context", "invocation", "list", "relation", "functionDefinition"}
