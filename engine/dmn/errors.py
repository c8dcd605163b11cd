"""The one error a decision model raises: at load time with file, element and line; at run time with the element."""
from __future__ import annotations


class DecisionError(Exception):
    def __init__(self, message: str, filename: str | None = None, element: str | None = None, line: int | None = None):
        where = ":".join(str(x) for x in (filename, line) if x) or None
        prefix = " ".join(x for x in (where, f"[{element}]" if element else None) if x)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.message, self.filename, self.element, self.line = message, filename, element, line
