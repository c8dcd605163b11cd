"""Test cases that travel with decision tables (NAME.tests.json beside NAME.dmn), run at
every deployment: a table whose cases fail is not deployed.

    {"decision": "admission",
     "cases": [{"name": "...", "data": {...}, "expect": {"output": value}, "fires": ["rule_id", ...]}]}

Numbers are read as decimals and compared with FEEL's equality, so `0.7` in a case means
exactly the 0.7 a cell writes.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from . import feel
from .dmn import DecisionError, Table, evaluate
from .feel import ops
from .lint import Problem


def run_cases(filename: str, content: bytes, tables: dict[str, Table]) -> tuple[int, list[Problem]]:
    try:
        spec: Any = json.loads(content, parse_float=Decimal)
        decision, cases = spec["decision"], spec["cases"]
        assert isinstance(cases, list)
    except (ValueError, KeyError, TypeError, AssertionError) as exc:
        return 0, [Problem(filename, None, None, f"not a test file ({type(exc).__name__}: {exc})")]
    table = tables.get(decision)
    if table is None:
        return 0, [Problem(filename, decision, None, f"decision '{decision}' is not in any DMN file")]
    problems = []
    for i, case in enumerate(cases):
        if not isinstance(case, dict):
            problems.append(Problem(filename, f"case {i + 1}", None, "a case must be an object"))
            continue
        name = case.get("name") or f"case {i + 1}"
        try:
            ev = evaluate(table, case.get("data") or {})
        except (DecisionError, feel.FeelError) as exc:
            problems.append(Problem(filename, name, None, f"{decision}: {exc}"))
            continue
        for key, want in (case.get("expect") or {}).items():
            got = ev.outputs.get(key)
            if ops.equals(feel.deep(got), feel.deep(want)) is not True:
                problems.append(Problem(filename, name, None,
                                        f"{decision}: {key} should be {_show(want)}, got {_show(got)}"))
        if "fires" in case and ev.matched_rules != case["fires"]:
            problems.append(Problem(filename, name, None,
                                    f"{decision}: rules {case['fires']} should fire, got {ev.matched_rules}"))
    return len(cases), problems


def _show(value: Any) -> str:
    return json.dumps(feel.to_plain(value), ensure_ascii=False)
