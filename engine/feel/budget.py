"""Every evaluation runs on a budget of steps, items, characters, call depth and wall time.

Steps are counted where work can grow with the data: each iteration of `for`, `some`,
`every` and filters, each element a built-in walks, each function call. Straight-line
expressions therefore cost a handful of steps and pay nothing for the check.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from .values import FeelError


@dataclass(frozen=True)
class Limits:
    steps: int = 200_000
    items: int = 100_000  # longest list an expression may build
    chars: int = 1_000_000  # longest string
    depth: int = 64  # nested function calls
    seconds: float = 0.5
    source: int = 20_000  # longest expression text


DEFAULT_LIMITS = Limits()


class Budget:
    __slots__ = ("limits", "steps", "depth", "deadline", "position")

    def __init__(self, limits: Limits = DEFAULT_LIMITS):
        self.limits = limits
        self.steps = 0
        self.depth = 0
        self.deadline = time.monotonic() + limits.seconds
        self.position: int | None = None

    def tick(self, n: int = 1, position: int | None = None) -> None:
        before = self.steps
        self.steps = before + n
        if self.steps > self.limits.steps:
            raise BudgetExceeded(f"evaluation exceeded its budget of {self.limits.steps} steps", position)
        if (before >> 10) != (self.steps >> 10) and time.monotonic() > self.deadline:
            raise BudgetExceeded(f"evaluation ran past its time limit of {self.limits.seconds} s", position)

    def items(self, n: int, position: int | None = None) -> None:
        if n > self.limits.items:
            raise BudgetExceeded(f"a list of {n} items exceeds the limit of {self.limits.items}", position)
        self.tick(n, position)

    def chars(self, n: int, position: int | None = None) -> None:
        if n > self.limits.chars:
            raise BudgetExceeded(f"a string of {n} characters exceeds the limit of {self.limits.chars}", position)


class BudgetExceeded(FeelError):
    def __init__(self, message: str, position: int | None = None, source: str | None = None):
        super().__init__(message, source, position)
