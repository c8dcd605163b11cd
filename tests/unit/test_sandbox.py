import pytest

from engine.sandbox import Sandbox, ScriptError, ScriptTimeout


@pytest.fixture
def box():
    return Sandbox({"double": lambda x: 2 * x}, timeout=0.2)


def test_expressions_and_scripts_see_data_and_helpers(box):
    assert box.evaluate("double(amount) > 10", {"amount": 6}) is True
    data = {"a": 1}
    box.execute("b = a + 1\nc = double(b)", data)
    assert data == {"a": 1, "b": 2, "c": 4}


@pytest.mark.parametrize("source,why", [
    ("import os", "Import"), ("from os import path", "ImportFrom"),
    ("().__class__.__bases__[0].__subclasses__()", "leading underscore"),
    ("__builtins__", "name '__builtins__'"), ("_secret", "name '_secret'"),
    ("def f(): pass", "FunctionDef"), ("lambda: 1", "Lambda"), ("9 ** 99999999", "small constant exponent"),
    ("open('/etc/passwd')", "NameError"), ("eval('1')", "NameError"), ("getattr(1, 'real')", "NameError"),
])
def test_escapes_are_refused(box, source, why):
    with pytest.raises(ScriptError, match=why):
        box.execute(source, {})


def test_loops_are_time_limited(box):
    with pytest.raises(ScriptTimeout):
        box.execute("while True:\n    x = 1", {})
    with pytest.raises(ScriptTimeout):
        box.evaluate("sum(1 for i in range(10**12))", {})


def test_errors_carry_the_line(box):
    with pytest.raises(ScriptError) as err:
        box.execute("a = 1\nb = missing + 1", {})
    assert err.value.line == 2
