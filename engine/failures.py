"""What an error raised while a workflow runs becomes: failures stay contained (issue 10).

Our own errors keep their meaning, also when a service task wrapped them; a stale row is a
Conflict; an unreachable database stays an infrastructure error; anything else, down to a bare
TypeError from inside SpiffWorkflow, is a ProcessFailure naming the element that failed.
"""
from __future__ import annotations

from typing import Iterator

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.task import Task

from .errors import Conflict, Forbidden, InvalidData, NotFound, ProcessFailure

OWN = (Conflict, Forbidden, NotFound, InvalidData, ProcessFailure)
INFRASTRUCTURE = (OperationalError, InterfaceError)


def contained(exc: Exception, element: str | None = None) -> Exception:
    """The exception to raise for `exc`; `element` is the fallback when none can be found."""
    for cause in causes(exc):
        if isinstance(cause, OWN):
            return cause
        if isinstance(cause, StaleDataError):
            return _caused(Conflict("the process moved on meanwhile; reload and try again"), exc)
    if isinstance(exc, INFRASTRUCTURE):
        return exc
    return _caused(ProcessFailure(explain(exc), locate(exc) or element), exc)


def causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps (SpiffWorkflow keeps the original in `.exception`), cycle-safe."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        cur = todo.pop(0)
        if not isinstance(cur, BaseException) or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        todo += [getattr(cur, "exception", None), cur.__cause__]


def explain(exc: BaseException) -> str:
    """Our and SpiffWorkflow's errors explain themselves; a bare TypeError or KeyError needs its name."""
    text = " ".join([str(exc)] + [n for n in getattr(exc, "__notes__", None) or [] if n not in str(exc)]).strip()
    if type(exc).__module__ != "builtins":
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def locate(exc: BaseException) -> str | None:
    """The element that failed: what the error says, else the innermost workflow task on its stack."""
    for cause in causes(exc):
        task = getattr(cause, "task", None)
        spec = task.task_spec if task is not None else getattr(cause, "task_spec", None)
        name = getattr(spec, "name", None) or getattr(cause, "element", None)
        if name:
            return name
    found = None
    tb = exc.__traceback__
    while tb is not None:
        local = tb.tb_frame.f_locals
        task = next((v for v in (local.get(k) for k in ("self", "task", "my_task")) if isinstance(v, Task)), None)
        if task is not None:
            found = task.task_spec.name
        tb = tb.tb_next
    return found


def _caused(failure: Exception, cause: BaseException) -> Exception:
    failure.__cause__ = cause
    return failure
