"""Jinja2's immutable sandbox with a budget, so a contract template cannot hold a worker.

The sandbox already stops attribute walks; what it leaves open is work and size: nested
`range` loops, `10 ** 10 ** 9`, `"x" * 10 ** 9`, a `namespace` string doubled in a loop, a
`format` or `center` width of a billion. Each is bounded here and ends as a SecurityError,
which validation and preview report with the template's line like any other refusal.
"""
from __future__ import annotations

import re
import weakref
from typing import Any

from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Namespace

MAX_STEPS = 200_000  # loop iterations (charged when a range is made) and calls, per render
MAX_SIZE = 1_000_000  # characters of one string, items of one list
MAX_EXPONENT = 100
MAX_WIDTH = 1_000  # widths and counts given to filters


class _BoundedNamespace(Namespace):
    def __setitem__(self, name: str, value: Any) -> None:
        _check_size(value)
        super().__setitem__(name, value)


def _check_size(value: Any) -> None:
    if isinstance(value, (str, list, tuple, dict)) and len(value) > MAX_SIZE:
        raise SecurityError(f"a value of {len(value)} characters or items exceeds the limit of {MAX_SIZE}")


_WIDE = re.compile(r"[%:][^a-zA-Z}%]*?\d{4,}|\{[^}]*:[^}]*\{|%[-+ #0]*\*")  # wide, nested `{0:{1}}`, or `%*d`


def _check_format(spec: Any) -> None:
    """`"%0999999999d"`, `"{:>999999999}"`: refuse widths that would allocate before any check could run."""
    if isinstance(spec, str) and _WIDE.search(spec):
        raise SecurityError(f"a format width beyond {MAX_WIDTH} is not allowed in a template")


def _bounded_filter(fn, *positions: int):
    def wrapped(*args, **kwargs):
        if fn.__name__ == "do_format" and args:
            _check_format(args[0] if isinstance(args[0], str) else (args[1] if len(args) > 1 else None))
        for i in positions:
            if i < len(args) and isinstance(args[i], int) and abs(args[i]) > MAX_WIDTH:
                raise SecurityError(f"{fn.__name__}: {args[i]} is beyond the limit of {MAX_WIDTH}")
        for value in kwargs.values():
            if isinstance(value, int) and abs(value) > MAX_WIDTH:
                raise SecurityError(f"{fn.__name__}: {value} is beyond the limit of {MAX_WIDTH}")
        result = fn(*args, **kwargs)
        _check_size(result)
        return result
    for attr in ("jinja_pass_arg",):  # keep @pass_eval_context and friends working
        if hasattr(fn, attr):
            setattr(wrapped, attr, getattr(fn, attr))
    wrapped.__name__ = fn.__name__
    return wrapped


class BoundedSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "//", "%"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._steps: "weakref.WeakKeyDictionary[Context, int]" = weakref.WeakKeyDictionary()
        self.globals["namespace"] = _BoundedNamespace
        for name, positions in (("center", (1,)), ("indent", (1,)), ("wordwrap", (1,)), ("truncate", (1,)),
                                ("format", ()), ("join", ()), ("replace", (3,)), ("batch", (1,)), ("slice", (1,))):
            if name in self.filters:
                self.filters[name] = _bounded_filter(self.filters[name], *positions)

    def _tick(self, context: Context, n: int) -> None:
        root = context.parent if isinstance(context.parent, Context) else context
        steps = self._steps.get(root, 0) + n
        if steps > MAX_STEPS:
            raise SecurityError(f"the template did more than {MAX_STEPS} steps of work")
        try:
            self._steps[root] = steps
        except TypeError:  # not weak-referenceable: count on the context itself
            pass

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        __self._tick(__context, 1)
        if __obj is __self.globals.get("range"):
            __self._tick(__context, len(range(*args)))
        result = super().call(__context, __obj, *args, **kwargs)
        _check_size(result)
        return result

    def wrap_str_format(self, value: Any):  # `"...".format(...)` in a template
        if getattr(value, "__name__", None) in ("format", "format_map") and isinstance(getattr(value, "__self__", None), str):
            _check_format(value.__self__)
        return super().wrap_str_format(value)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"an exponent above {MAX_EXPONENT} is not allowed in a template")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_SIZE:
                    raise SecurityError(f"repeating gives more than {MAX_SIZE} characters or items")
        if operator == "%" and isinstance(left, str):
            _check_format(left)
            result = super().call_binop(context, operator, left, right)
            _check_size(result)
            return result
        return super().call_binop(context, operator, left, right)
