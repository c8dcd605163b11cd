"""Validation of a BPMN + DMN set before it may be deployed.

Every problem names the file, the element and the line, so a designer can find it
in the modeler. Nothing is stored while any problem remains.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from .dmn import DecisionError, Table, parse_dmn
from .expressions import check, python_hint

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}


@dataclass(frozen=True)
class Problem:
    file: str
    element: str | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where} [{self.element}] {self.message}" if self.element else f"{where} {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "element": self.element, "line": self.line, "message": self.message}


class ModelError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class LintConfig:
    """What the rest of the product provides; the engine checks models against it."""

    forms: set[str] = field(default_factory=set)
    posts: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)
    strict: bool = True  # False lets designers' scratch models skip the form/post/service checks


def parse_xml(content: bytes, filename: str) -> etree._Element:
    try:
        return etree.fromstring(content, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise ModelError([Problem(filename, None, exc.lineno, f"not well-formed XML: {exc.msg}")]) from None


def _prop(el, name: str) -> str | None:
    found = el.xpath(f"bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='{name}']/@value", namespaces=NS)
    return found[0] if found else None


def _ext(el, name: str):
    found = el.xpath(f"bpmn:extensionElements/spiffworkflow:{name}", namespaces=NS)
    return found[0] if found else None


FEEL_FORMATS = {None, "", "feel", "text/feel", "application/feel", "http://www.omg.org/spec/FEEL/20140401"}
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


def _code(problems, filename, el, source, what):
    """Every expression a designer writes is FEEL; a located problem if it is not."""
    error = check(source or "", what)
    if error is not None:
        line = el.sourceline + ((error.line or 1) - 1)
        problems.append(Problem(filename, el.get("id"), line, error.reason))


def _script_problems(problems, filename, el, body: str, result_variable: str | None, what: str) -> None:
    fmt = el.get("scriptFormat")
    if fmt is not None and fmt.strip().lower() not in FEEL_FORMATS:
        problems.append(Problem(filename, el.get("id"), el.sourceline,
                                f"{what} is written in {fmt}; scripts are FEEL (scriptFormat=\"feel\"), and code runs only "
                                "as registered service tasks"))
        return
    before = len(problems)
    _code(problems, filename, el, body, what)
    if len(problems) > before or result_variable:
        return
    text = body.strip()
    if not (text.startswith("{") and text.endswith("}")):
        hint = python_hint(text)
        problems.append(Problem(filename, el.get("id"), el.sourceline,
                                f"{what}: {hint + '. ' if hint else ''}A script without a result variable must be a FEEL "
                                "context whose entries are written to the process data, e.g. {purpose: \"approval\"}"))


def result_variable(el) -> str | None:
    return el.get(f"{{{CAMUNDA}}}resultVariable") or _prop(el, "resultVariable")


def lint_bpmn(root, filename: str, config: LintConfig, decisions: set[str], processes: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    from .lint_modeler import lint_modeler; problems += lint_modeler(root, filename, config)  # plain tasks, timers
    lanes: dict[str, str] = {}
    for lane in root.iter(f"{{{NS['bpmn']}}}lane"):
        for ref in lane.xpath("bpmn:flowNodeRef/text()", namespaces=NS):
            lanes[ref.strip()] = lane.get("name") or ""
    for proc in root.xpath("//bpmn:process", namespaces=NS):
        for task in proc.xpath(".//bpmn:userTask", namespaces=NS):
            tid = task.get("id")
            post = lanes.get(tid)
            if config.strict and not post:
                problems.append(Problem(filename, tid, task.sourceline, "user task is not in a lane; its lane names the post that works it"))
            elif config.strict and post not in config.posts:
                problems.append(Problem(filename, tid, task.sourceline, f"lane '{post}' is not a known post ({', '.join(sorted(config.posts))})"))
            form = _prop(task, "formKey")
            if not form:
                problems.append(Problem(filename, tid, task.sourceline, "user task has no formKey property"))
            elif config.strict and form not in config.forms:
                problems.append(Problem(filename, tid, task.sourceline, f"formKey '{form}' is not a known form"))
            for prop in ("assignee", "dueIn", "candidates"):
                value = _prop(task, prop)
                if value:
                    _code(problems, filename, task, value, f"{prop} expression")
        for task in proc.xpath(".//bpmn:serviceTask", namespaces=NS):
            op = _ext(task, "serviceTaskOperator")
            name = op.get("id") if op is not None else None
            if not name:
                problems.append(Problem(filename, task.get("id"), task.sourceline, "service task names no operator"))
            elif config.strict and name not in config.services:
                problems.append(Problem(filename, task.get("id"), task.sourceline, f"service '{name}' is not registered"))
            if op is not None:
                for param in op.xpath("spiffworkflow:parameters/spiffworkflow:parameter", namespaces=NS):
                    _code(problems, filename, task, param.get("value") or "null", f"parameter '{param.get('id')}'")
        for task in proc.xpath(".//bpmn:businessRuleTask", namespaces=NS):
            ref = _ext(task, "calledDecisionId")
            ref = (ref.text or "").strip() if ref is not None else ""
            if not ref:
                problems.append(Problem(filename, task.get("id"), task.sourceline, "business rule task names no decision"))
            elif ref not in decisions:
                problems.append(Problem(filename, task.get("id"), task.sourceline, f"decision '{ref}' is not in any DMN file"))
        for call in proc.xpath(".//bpmn:callActivity", namespaces=NS):
            ref = call.get("calledElement")
            if ref not in processes:
                problems.append(Problem(filename, call.get("id"), call.sourceline, f"called process '{ref}' is not deployed"))
        for script in proc.xpath(".//bpmn:scriptTask", namespaces=NS):
            body = script.xpath("bpmn:script/text()", namespaces=NS)
            _script_problems(problems, filename, script, body[0] if body else "", result_variable(script), "script")
        for kind in ("preScript", "postScript"):
            for holder in proc.xpath(f".//*[bpmn:extensionElements/spiffworkflow:{kind}]", namespaces=NS):
                body = holder.xpath(f"bpmn:extensionElements/spiffworkflow:{kind}/text()", namespaces=NS)
                _script_problems(problems, filename, holder, body[0] if body else "", None, kind)
        for tag, what in (("loopCardinality", "loop cardinality"), ("completionCondition", "completion condition"),
                          ("condition", "condition")):
            for el in proc.xpath(f".//bpmn:{tag}", namespaces=NS):
                if (el.text or "").strip():
                    _code(problems, filename, el.getparent(), el.text, what)
        flows = {f.get("id"): f for f in proc.xpath(".//bpmn:sequenceFlow", namespaces=NS)}
        for flow in flows.values():
            cond = flow.xpath("bpmn:conditionExpression/text()", namespaces=NS)
            if cond:
                _code(problems, filename, flow, cond[0], "condition")
        for gw in proc.xpath(".//bpmn:exclusiveGateway|.//bpmn:inclusiveGateway", namespaces=NS):
            outgoing = [flows[o.strip()] for o in gw.xpath("bpmn:outgoing/text()", namespaces=NS) if o.strip() in flows]
            outgoing += [f for f in flows.values() if f.get("sourceRef") == gw.get("id") and f not in outgoing]
            if len(outgoing) < 2:
                continue
            default = gw.get("default")
            unconditioned = [f.get("id") for f in outgoing if f.get("id") != default and not f.xpath("bpmn:conditionExpression", namespaces=NS)]
            if unconditioned:
                problems.append(Problem(filename, gw.get("id"), gw.sourceline, f"outgoing flows without a condition: {', '.join(unconditioned)}"))
            if not default:
                problems.append(Problem(filename, gw.get("id"), gw.sourceline, "gateway has no default flow; some case would find no way out"))
        for timer in proc.xpath(".//bpmn:timerEventDefinition/*", namespaces=NS):
            if (timer.text or "").strip():
                _code(problems, filename, timer.getparent().getparent(), timer.text, "timer expression")
    return problems


def lint_decisions(files: dict[str, bytes], hashes: dict[str, str]) -> tuple[dict[str, Table], list[Problem]]:
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    for filename, content in files.items():
        try:
            for table in parse_dmn(content, filename, hashes.get(filename, "")):
                if table.decision_id in tables:
                    problems.append(Problem(filename, table.decision_id, None, f"decision id also defined in {tables[table.decision_id].filename}"))
                tables[table.decision_id] = table
        except DecisionError as exc:
            problems.append(Problem(filename, exc.element, exc.line, exc.message))
    return tables, problems
