"""Where designers' FEEL meets process data: evaluation for the runtime, checks for deployment.

Values go in as task data (JSON-like Python) and come out the same way: FEEL numbers leave as
int or float, temporal values as ISO text. Every evaluation runs on a fresh budget, so no
expression can hold a worker (or, on SQLite, the write lock) for longer than its limit.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from . import feel
from .feel import Budget, FeelError, Limits

# Script text that is plainly Python: an assignment, an import, a definition, a subscript with a
# quoted key, a method call. Said so at deploy, with the line, instead of a bare syntax error.
_STATEMENT = re.compile(r"^\s*(import|from\s+\S+\s+import|def|class|while|lambda|print)\b", re.M)
_PYTHON_HINTS = [
    (re.compile(r"^\s*[A-Za-z_][\w.]*\s*(\[[^\]]*\])?\s*=[^=]", re.M), "an assignment"),
    (_STATEMENT, "a Python statement"),
    (re.compile(r"\[\s*'[^']*'\s*\]"), "a subscript with a quoted key"),
    (re.compile(r"\.(get|append|items|keys|values|format|lower|upper)\("), "a Python method call"),
    (re.compile(r"==|\bnot\s+[A-Za-z_(]|\blen\("), "a Python operator"),
]


def python_hint(source: str) -> str | None:
    for pattern, what in _PYTHON_HINTS:
        m = pattern.search(source)
        if m:
            line = source[:m.start()].count("\n") + 1
            return f"line {line} looks like Python ({what}); expressions and scripts are FEEL"
    return None


class Expressions:
    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits()

    def budget(self) -> Budget:
        return Budget(self.limits)

    def value(self, source: str, data: Mapping[str, Any]) -> Any:
        """The FEEL value of an expression over task data."""
        return feel.parse_expression(source).evaluate(data, self.budget())

    def evaluate(self, source: str, data: Mapping[str, Any]) -> Any:
        """The expression's value as task data."""
        return feel.to_plain(self.value(source, data))

    def condition(self, source: str, data: Mapping[str, Any]) -> bool:
        """A gateway condition holds only when it is true: null or any other value is not taken."""
        return self.value(source, data) is True

    def run_script(self, source: str, data: dict[str, Any], result_variable: str | None) -> None:
        """A script task: the value goes to `result_variable`, or, without one, the script is a FEEL
        context whose entries are written to the process data."""
        value = self.value(source, data)
        if result_variable:
            data[result_variable] = feel.to_plain(value)
            return
        if not isinstance(value, dict):
            raise FeelError("a script without a result variable must be a FEEL context, e.g. {purpose: \"approval\"}; "
                            f"this one gives a {feel.type_name(value)}", source, 0)
        data.update(feel.to_plain(value))  # keys too must be storable text


def check(source: str, what: str = "expression") -> FeelError | None:
    """The located error in a designer's expression, or None if it reads as FEEL."""
    try:
        expression = feel.parse_expression(source)
    except FeelError as exc:
        hint = python_hint(source)
        if hint:
            return FeelError(f"{what}: {hint}", source, exc.position)
        return FeelError(f"{what}: {exc.reason}", source, exc.position)
    if _STATEMENT.search(source):  # `import os` also reads as FEEL: the name "import os"
        return FeelError(f"{what}: {python_hint(source)}", source, None)
    if expression.unknown_functions:
        names = ", ".join(sorted(expression.unknown_functions))
        hint = " (Python's len is FEEL's count)" if "len" in expression.unknown_functions else ""
        return FeelError(f"{what}: no FEEL function named {names}{hint}", source, None)
    return None
