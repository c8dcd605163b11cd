"""What a designer types is data, never code: every way out of the old Python sandbox, tried in FEEL.

Each attempt must fail to reach its target: a Python object put into the data (a generator, a
frame, a function, an exception with its traceback) and the module globals behind it. FEEL has no
attribute access on Python objects at all: a path only reads a context's entries, and anything
that is not a FEEL value is null on the way in.
"""
import ast
import pathlib
import sys
import time

import pytest

from engine.expressions import check
from engine.feel import Budget, BudgetExceeded, FeelError, Limits, evaluate

SECRET = "s3cr3t-signing-key"  # what the escapes in the issue went for: module globals


def _generator():
    yield SECRET


def _function():
    return SECRET


def _traceback():
    try:
        raise ValueError(SECRET)
    except ValueError as exc:
        return exc


DATA = {"g": _generator(), "f": _function, "exc": _traceback(), "frame": sys._getframe(), "mod": sys,
        "s": "text", "n": 1, "ctx": {"a": 1}}

ESCAPES = [
    # frame, generator and traceback walks
    'g.gi_frame.f_back.f_globals["sys"]', "g.gi_frame.f_back.f_globals", "g.gi_frame", "frame.f_globals",
    "exc.__traceback__.tb_frame.f_globals", "exc.__traceback__", "f.__code__", "mod.modules",
    # dunder access and __globals__
    "s.__class__", "s.__class__.__mro__", "ctx.__class__.__base__.__subclasses__", "f.__globals__",
    "string.__globals__", "date.__globals__", "count.impl", "count.impl.__globals__", "ctx.__dict__",
    "get value(f, \"__globals__\")", "get value(ctx, \"__class__\")", "get entries(f)", "[g][1].gi_frame",
    "for x in [f] return x.__globals__", "{a: f}.a.__globals__",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_no_python_object_is_reachable(source):
    result = evaluate(source, DATA)
    assert result is None or result == [None] or result == [], result
    assert SECRET not in repr(result)


def test_python_objects_in_the_data_are_null():
    assert evaluate("g", DATA) is None and evaluate("f", DATA) is None and evaluate("mod", DATA) is None
    assert evaluate("string(g)", DATA) is None and evaluate("g = null", DATA) is True


@pytest.mark.parametrize("source", [
    '"{0.__class__}".format(s)', 'getattr(s, "__class__")', '__import__("os")', "eval(\"1\")", "exec(\"x\")",
    "compile(\"1\", \"f\", \"eval\")", "f()", "g.send(1)", "globals()", "open(\"/etc/passwd\")",
])
def test_calls_reach_only_feel_functions(source):
    with pytest.raises(FeelError, match="is not a function"):
        evaluate(source, DATA)


@pytest.mark.parametrize("source,reason", [
    ("import os", "looks like Python"), ("import os\nos.system('id')", "looks like Python"),
    ("lambda: 1", "looks like Python"), ("getattr(x, \"y\")", "no FEEL function named getattr"),
    ("__import__('os').system('id')", "unexpected character"), ("len(x) > 0", "Python's len is FEEL's count"),
    ("[c for c in ().__class__.__bases__]", "unexpected"),
])
def test_deploy_check_refuses_python(source, reason):
    problem = check(source, "script")
    assert problem is not None and reason in problem.reason, problem


@pytest.mark.parametrize("source", ['"{0.__class__}".format(x)', "x = y.__class__", "x.__class__ = null"])
def test_python_looking_text_that_is_valid_feel_stays_harmless(source):
    """FEEL reads these as a path to a missing entry, or a comparison with one: null or false, nothing run."""
    try:
        assert evaluate(source, {"x": 1, "y": {"a": 1}}) in (None, False, True)
    except FeelError as exc:
        assert "is not a function" in str(exc)


BOMBS = [
    "for i in 1..1000000000 return i", "sum(for i in 1..100000000000 return i)",
    "count(for a in 1..10000, b in 1..10000 return a)", "every x in for i in 1..100000000 return i satisfies x > 0",
    "for i in 1..40 return if i = 1 then \"xx\" else partial[-1] + partial[-1]",
    'string join(for i in 1..100000 return "xxxxxxxxxxxxxxxxxxxx")',
    "{f: function(n) f(n + 1), r: f(0)}.r", "{f: function(n) f(n) + f(n), r: f(1)}.r",
    "distinct values(for i in 1..200000 return [i])", "(" * 3000 + "1" + ")" * 3000,
]


@pytest.mark.parametrize("source", BOMBS, ids=range(len(BOMBS)))
def test_time_and_size_bombs_end_with_a_clear_error_within_the_budget(source):
    started = time.process_time()
    with pytest.raises(FeelError) as err:
        evaluate(source, {}, Budget(Limits(seconds=0.5)))
    assert time.process_time() - started < 2.0
    assert any(w in str(err.value) for w in ("budget", "limit", "nest", "longer than")), err.value
    assert err.value.line is not None  # located


def test_a_budget_error_is_located_at_the_loop():
    with pytest.raises(BudgetExceeded) as err:
        evaluate("1 +\n  count(for i in 1..1000000000 return i)")
    assert (err.value.line, err.value.column) == (2, 9)


@pytest.mark.parametrize("source", [
    'matches("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "(a+)+$")',
    'replace("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "(a|aa)+$", "x")', "10 ** 99999999999", "2 ** 0.5 ** 99999",
])
def test_pathological_arithmetic_and_patterns_answer_null_quickly(source):
    started = time.perf_counter()
    assert evaluate(source) in (None, False) or source.startswith("2 **")
    assert time.perf_counter() - started < 1.0


ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_no_designer_text_can_reach_eval_exec_or_compile():
    """Nothing in our packages calls Python's eval, exec or compile (re/regex compile is not Python's)."""
    found = []
    for path in ROOT.glob("*/**/*.py"):
        if {".venv", "tests", "migrations", "node_modules"} & set(path.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec", "compile"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.id}")
    assert found == []
