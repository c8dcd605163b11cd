"""DMN models (DMN 1.1 to 1.5): item definitions, input data, decisions, business knowledge models,
and the boxed expressions they hold, evaluated in requirement order."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .. import feel
from ..feel import types as feel_types
from .errors import DecisionError
from .tables import Rule, Table, TableResult

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
    def decision_id(self) -> str:
        return self.id

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
