"""Test cases that travel with decision tables (NAME.tests.json beside NAME.dmn), run at
every deployment: a table whose cases fail is not deployed.

    {"decision": "admission",
     "cases": [{"name": "...", "data": {...}, "expect": {"output": value}, "fires": ["rule_id", ...]}]}
"""
from __future__ import annotations

import json
from typing import Any

from .dmn import DecisionError, Table, evaluate
from .lint import Problem
from .sandbox import Sandbox, ScriptError


def run_cases(filename: str, content: bytes, tables: dict[str, Table]) -> tuple[int, list[Problem]]:
    try:
        spec: Any = json.loads(content)
        decision, cases = spec["decision"], spec["cases"]
        assert isinstance(cases, list)
    except (ValueError, KeyError, TypeError, AssertionError) as exc:
        return 0, [Problem(filename, None, None, f"not a test file ({type(exc).__name__}: {exc})")]
    table = tables.get(decision)
    if table is None:
        return 0, [Problem(filename, decision, None, f"decision '{decision}' is not in any DMN file")]
    sandbox = Sandbox()
    problems = []
    for i, case in enumerate(cases):
        name = case.get("name") or f"case {i + 1}"
        try:
            ev = evaluate(table, case.get("data") or {}, sandbox)
        except (DecisionError, ScriptError) as exc:
            problems.append(Problem(filename, name, None, f"{decision}: {exc}"))
            continue
        for key, want in (case.get("expect") or {}).items():
            got = ev.outputs.get(key)
            if got != want:
                problems.append(Problem(filename, name, None, f"{decision}: {key} should be {want!r}, got {got!r}"))
        if "fires" in case and ev.matched_rules != case["fires"]:
            problems.append(Problem(filename, name, None,
                                    f"{decision}: rules {case['fires']} should fire, got {ev.matched_rules}"))
    return len(cases), problems
