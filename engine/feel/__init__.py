"""FEEL (DMN 1.5 Friendly Enough Expression Language): the one language for every expression a
designer writes — gateway conditions, scripts, DMN cells, assignee and due expressions, timers.

    >>> parse_expression("amount > 10").evaluate({"amount": 50})
    True

Expressions are parsed once (cached) by lark's LALR parser and turned into closures; they run
over plain data only, within a `Budget`. See docs/feel.md for the language as designers use it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Mapping

from lark.exceptions import LarkError, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from .budget import DEFAULT_LIMITS, Budget, BudgetExceeded, Limits
from .builtins import BUILTINS
from .compiler import Env, Node, Test, ToClosures
from .grammar import parser
from .lexer import tokenize
from .values import FeelError, Function, Range, YearsMonths, deep, norm, to_plain, type_name

__all__ = [
    "Budget", "BudgetExceeded", "Expression", "FeelError", "Function", "Limits", "Range", "UnaryTests",
    "YearsMonths", "deep", "evaluate", "norm", "parse_expression", "parse_unary_tests", "to_plain", "type_name",
]


@dataclass(frozen=True)
class Expression:
    source: str
    node: Node
    unknown_functions: frozenset[str] = frozenset()  # called names that are neither built-in nor defined here

    @property
    def names(self) -> frozenset[str]:
        """The names the expression reads from its context."""
        return self.node.names

    def evaluate(self, data: Mapping[str, Any], budget: Budget | None = None, extra: Mapping[str, Any] | None = None) -> Any:
        budget = budget or Budget()
        root = Env(dict(extra or {}), None, budget)
        env = Env(data if isinstance(data, dict) else dict(data), root, budget)
        return _run(self.source, lambda: self.node.fn(env))


@dataclass(frozen=True)
class UnaryTests:
    """A decision table's input entry: `-`, `not(...)` or positive unary tests."""

    source: str
    tests: tuple[Test, ...] | None  # None: `-`, anything passes
    negated: bool = False

    @property
    def names(self) -> frozenset[str]:
        out: set[str] = set()
        for t in self.tests or ():
            out |= t.node.names
        return frozenset(out - {"?"})

    def matches(self, value: Any, data: Mapping[str, Any], budget: Budget | None = None) -> bool:
        if self.tests is None:
            return True
        budget = budget or Budget()
        value = norm(value)
        env = Env({"?": value}, Env(data if isinstance(data, dict) else dict(data), None, budget), budget)
        hit = _run(self.source, lambda: any(t.check(value, env) for t in self.tests))
        return not hit if self.negated else hit


    def matches_in(self, value: Any, env: Env) -> bool:
        """`matches` for a table: `value` normalised and `env` binding `?` to it, made once per column."""
        tests = self.tests
        if tests is None:
            return True
        hit = any(t.check(value, env) for t in tests)
        return not hit if self.negated else hit

    def first_match(self, value: Any, data: Mapping[str, Any], budget: Budget | None = None) -> int | None:
        """The position of the first test `value` passes: an output's priority under P and O."""
        budget = budget or Budget()
        value = norm(value)
        env = Env({"?": value}, Env(data if isinstance(data, dict) else dict(data), None, budget), budget)
        for i, t in enumerate(self.tests or ()):
            if _run(self.source, lambda: t.check(value, env)):
                return i
        return None


def _run(source: str, thunk) -> Any:
    try:
        return thunk()
    except BudgetExceeded as exc:
        if exc.source is None:
            raise BudgetExceeded(exc.reason, exc.position, source) from None
        raise
    except FeelError as exc:
        if exc.source is None:
            raise FeelError(exc.reason, source, exc.position) from None
        raise
    except RecursionError:
        raise FeelError("expression nests too deeply", source, 0) from None


def _parse(source: str, start: str, names: Iterable[str]):
    if len(source) > DEFAULT_LIMITS.source:
        raise FeelError(f"expression is longer than {DEFAULT_LIMITS.source} characters", source, 0)
    tokens = tokenize(source, names)
    if not tokens:
        raise FeelError("empty expression", source, 0)
    try:
        tree = parser().parse(tokens, start=start)
        closures = ToClosures(source)
        result = closures.transform(tree)
        unknown = frozenset(closures.calls - closures.defines - set(BUILTINS))
        return result, unknown
    except UnexpectedToken as exc:
        tok = exc.token
        pos = len(source.rstrip()) if tok.type == "$END" else getattr(tok, "start_pos", None)
        what = "end of expression" if tok.type == "$END" else repr(str(tok))
        raise FeelError(f"unexpected {what}", source, pos if pos is not None else len(source)) from None
    except UnexpectedEOF:
        raise FeelError("unexpected end of expression", source, len(source)) from None
    except VisitError as exc:
        inner = exc.orig_exc
        if isinstance(inner, FeelError):
            raise inner from None
        raise FeelError(f"cannot read expression: {inner}", source, 0) from None
    except (UnexpectedInput, LarkError) as exc:
        raise FeelError(f"cannot read expression: {exc}", source, 0) from None
    except RecursionError:
        raise FeelError("expression nests too deeply", source, 0) from None


@lru_cache(maxsize=8192)
def _expression(source: str, names: frozenset[str]) -> Expression:
    node, unknown = _parse(source, "start_expr", names)
    return Expression(source, node, unknown)


@lru_cache(maxsize=8192)
def _unary(source: str, names: frozenset[str]) -> UnaryTests:
    text = source.strip()
    if text in ("", "-"):
        return UnaryTests(source, None)
    tokens = tokenize(text, names)
    if len(tokens) >= 3 and tokens[0].type == "NOT" and tokens[1].type == "LPAR" and tokens[-1].type == "RPAR":
        depth = 0
        for i, tok in enumerate(tokens[1:], start=1):
            depth += tok.type in ("LPAR", "LSQB", "LBRACE", "RANGE_START")
            depth -= tok.type in ("RPAR", "RSQB", "RBRACE", "RANGE_END")
            if depth == 0 and i < len(tokens) - 1:
                break
        else:
            inner_start = tokens[1].end_pos
            inner_end = tokens[-1].start_pos
            inner = " " * inner_start + text[inner_start:inner_end]  # keep positions for errors
            tests, _ = _parse(inner, "start_tests", names)
            return UnaryTests(source, tuple(tests), negated=True)
    return UnaryTests(source, tuple(_parse(text, "start_tests", names)[0]))


_PLAIN: dict[str, Expression] = {}  # expressions parsed with no extra names: the runtime's hot path


def parse_expression(source: str, names: Iterable[str] = ()) -> Expression:
    """Parse once; raises FeelError with line and column. `names` are names in scope that contain
    spaces or keywords (a DMN model's inputs, say), so the tokenizer can tell them apart."""
    if not names:
        found = _PLAIN.get(source)
        if found is None:
            found = _expression(source, frozenset())
            if len(_PLAIN) < 8192:
                _PLAIN[source] = found
        return found
    return _expression(source, frozenset(names))


def parse_unary_tests(source: str, names: Iterable[str] = ()) -> UnaryTests:
    return _unary(source, frozenset(names))


def evaluate(source: str, data: Mapping[str, Any] | None = None, budget: Budget | None = None) -> Any:
    return parse_expression(source).evaluate(data or {}, budget)
