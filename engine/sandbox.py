"""A script environment for diagram scripts, gateway conditions and DMN cells.

Only registered helpers and a few pure builtins are reachable: no imports, no
names or attributes starting with an underscore (which closes every dunder
escape), no function or class definitions. Code containing loops runs under a
tracer with a deadline; straight-line code cannot run long, so it pays nothing.
"""
from __future__ import annotations

import ast
import sys
import time
from functools import lru_cache
from typing import Any, Callable, Mapping

SAFE_BUILTINS: dict[str, Any] = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in (
        "abs", "all", "any", "bool", "dict", "enumerate", "float", "int", "isinstance", "len",
        "list", "max", "min", "range", "round", "set", "sorted", "str", "sum", "tuple", "zip",
    )
}
SAFE_BUILTINS.update({"True": True, "False": False, "None": None})

_FORBIDDEN_NODES = (
    ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.FunctionDef, ast.AsyncFunctionDef,
    ast.ClassDef, ast.Lambda, ast.Await, ast.Yield, ast.YieldFrom, ast.With, ast.AsyncWith,
    ast.Try, ast.Raise, ast.Delete,
)
_LOOP_NODES = (ast.For, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class ScriptError(Exception):
    """A script broke a sandbox rule or failed; carries the line where it happened."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


class ScriptTimeout(ScriptError):
    pass


def check(tree: ast.AST) -> bool:
    """Raise ScriptError on a forbidden construct; return whether the code loops."""
    loops = False
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if isinstance(node, _FORBIDDEN_NODES):
            raise ScriptError(f"{type(node).__name__} is not allowed in scripts", line)
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ScriptError(f"name '{node.id}' is not allowed (leading underscore)", line)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ScriptError(f"attribute '{node.attr}' is not allowed (leading underscore)", line)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exp = node.right
            if not (isinstance(exp, ast.Constant) and isinstance(exp.value, (int, float)) and abs(exp.value) <= 64):
                raise ScriptError("'**' needs a small constant exponent", line)
        if isinstance(node, _LOOP_NODES):
            loops = True
    return loops


@lru_cache(maxsize=4096)
def compile_checked(source: str, mode: str) -> tuple[Any, bool]:
    """Compile once per distinct source: gateway conditions and DMN cells repeat constantly."""
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError as exc:
        raise ScriptError(f"syntax error: {exc.msg}", exc.lineno) from None
    loops = check(tree)
    return compile(tree, "<script>", mode), loops


class Deadline:
    def __init__(self, seconds: float):
        self.until = time.perf_counter() + seconds

    def __call__(self, frame, event, arg):
        if time.perf_counter() > self.until:
            raise ScriptTimeout("script ran past its time limit", frame.f_lineno)
        return self


def run_code(code: Any, loops: bool, namespace: dict[str, Any], mode: str, timeout: float) -> Any:
    if not loops:
        return eval(code, namespace) if mode == "eval" else exec(code, namespace)
    previous = sys.gettrace()
    sys.settrace(Deadline(timeout))
    try:
        return eval(code, namespace) if mode == "eval" else exec(code, namespace)
    finally:
        sys.settrace(previous)


class Sandbox:
    """Evaluates expressions and runs scripts against a data mapping."""

    def __init__(self, helpers: Mapping[str, Callable[..., Any]] | None = None, timeout: float = 0.5):
        self.helpers = dict(helpers or {})
        self.timeout = timeout

    def _namespace(self, data: Mapping[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
        ns: dict[str, Any] = {"__builtins__": SAFE_BUILTINS}
        ns.update(self.helpers)
        if extra:
            ns.update(extra)
        ns.update(data)
        return ns

    def evaluate(self, expression: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> Any:
        code, loops = compile_checked(expression, "eval")
        try:
            return run_code(code, loops, self._namespace(data, extra), "eval", self.timeout)
        except ScriptError:
            raise
        except Exception as exc:
            raise ScriptError(f"{type(exc).__name__}: {exc} in '{expression}'") from exc

    def execute(self, script: str, data: dict[str, Any], extra: Mapping[str, Any] | None = None) -> None:
        """Run a script; names it assigns become data, helpers and builtins never do."""
        code, loops = compile_checked(script, "exec")
        ns = self._namespace(data, extra)
        try:
            run_code(code, loops, ns, "exec", self.timeout)
        except ScriptError:
            raise
        except Exception as exc:
            line = _script_line(exc)
            raise ScriptError(f"{type(exc).__name__}: {exc}", line) from exc
        hidden = set(self.helpers) | set(extra or ()) | {"__builtins__"}
        for key, value in ns.items():
            if key in hidden or callable(value):
                continue
            data[key] = value


def _script_line(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<script>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
