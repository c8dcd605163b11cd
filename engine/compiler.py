"""Turns a set of BPMN and DMN files into executable specs, or a list of located problems."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from .decision_tests import run_cases
from .dmn import Table
from .lint import NS, LintConfig, ModelError, Problem, lint_bpmn, lint_decisions, parse_xml
from .lint_modeler import prepare
from .specs import ModelParser


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass
class CompiledModels:
    parser: ModelParser
    processes: dict[str, tuple[str, str]]  # process id -> (name, filename)
    tables: dict[str, Table]
    hashes: dict[str, str]
    _specs: dict[str, tuple[Any, dict]] = field(default_factory=dict)

    def spec(self, process_id: str) -> tuple[Any, dict]:
        """The process spec and the specs of everything it calls; built once, shared by instances."""
        if process_id not in self._specs:
            self._specs[process_id] = (
                self.parser.get_spec(process_id),
                self.parser.get_subprocess_specs(process_id),
            )
        return self._specs[process_id]


def kind_of(filename: str) -> str | None:
    lower = filename.lower()
    if lower.endswith(".tests.json"):
        return "tests"
    return "bpmn" if lower.endswith(".bpmn") else "dmn" if lower.endswith(".dmn") else None


def compile_models(files: dict[str, bytes], config: LintConfig | None = None) -> CompiledModels:
    config = config or LintConfig(strict=False)
    problems: list[Problem] = []
    hashes = {name: sha256(content) for name, content in files.items()}
    bpmn_roots, dmn_files, test_files = {}, {}, {}
    prepared: dict[str, list[Problem]] = {}
    for name, content in sorted(files.items()):
        kind = kind_of(name)
        if kind is None:
            problems.append(Problem(name, None, None, "only .bpmn, .dmn and .tests.json files can be deployed"))
        elif kind == "tests":
            test_files[name] = content
        elif kind == "dmn":
            dmn_files[name] = content
        else:
            try:
                bpmn_roots[name] = parse_xml(content, name)
            except ModelError as exc:
                problems.extend(exc.problems)
            else:  # modeler dialects, pools drawn for documentation only
                prepared[name] = prepare(bpmn_roots[name], name)
                problems.extend(prepared[name])
    tables, dmn_problems = lint_decisions(dmn_files, hashes)
    problems.extend(dmn_problems)
    if not dmn_problems:
        for name, content in sorted(test_files.items()):
            problems.extend(run_cases(name, content, tables)[1])

    processes: dict[str, tuple[str, str]] = {}
    for name, root in bpmn_roots.items():
        found = root.xpath("//bpmn:process", namespaces=NS)
        if not found and not prepared[name]:
            problems.append(Problem(name, None, root.sourceline, "no <bpmn:process> in this file"))
        for proc in found:
            pid = proc.get("id")
            if pid in processes:
                problems.append(Problem(name, pid, proc.sourceline, f"process id also defined in {processes[pid][1]}"))
            processes[pid] = (proc.get("name") or pid, name)
    for name, root in bpmn_roots.items():
        problems.extend(lint_bpmn(root, name, config, set(tables), set(processes)))
    if problems:
        raise ModelError(problems)

    parser = ModelParser(validator=VALIDATOR)
    for name, root in bpmn_roots.items():
        try:
            parser.add_bpmn_xml(root, filename=name)
        except ValidationException as exc:
            problems.append(Problem(exc.file_name or name, exc.id or None, exc.line_number or None, _msg(exc)))
    compiled = CompiledModels(parser, processes, tables, hashes)
    if not problems:
        for pid, (_, name) in processes.items():
            try:
                compiled.spec(pid)
            except ValidationException as exc:
                problems.append(Problem(exc.file_name or name, exc.id or pid, exc.line_number or None, _msg(exc)))
            except SpiffWorkflowException as exc:
                problems.append(Problem(name, pid, None, str(exc)))
    if problems:
        raise ModelError(problems)
    return compiled


def _msg(exc: Exception) -> str:
    return str(getattr(exc, "msg", None) or exc).splitlines()[0]
