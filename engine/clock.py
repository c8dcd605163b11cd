"""An injectable clock. SpiffWorkflow's timers read `datetime.now` directly, so the
timer module is given a `datetime` whose `now()` asks the clock in force."""
from __future__ import annotations

import contextvars
from datetime import datetime, timedelta, timezone
from typing import Callable

_now: contextvars.ContextVar[Callable[[], datetime] | None] = contextvars.ContextVar("engine_now", default=None)


def utcnow() -> datetime:
    fn = _now.get()
    return fn() if fn is not None else datetime.now(timezone.utc)


class Clock:
    """Real time unless frozen or moved; tests move it to fire timers."""

    def __init__(self, fixed: datetime | None = None):
        self._fixed = fixed

    def now(self) -> datetime:
        return self._fixed if self._fixed is not None else datetime.now(timezone.utc)

    def set(self, when: datetime) -> None:
        self._fixed = when

    def advance(self, **delta: float) -> datetime:
        self._fixed = self.now() + timedelta(**delta)
        return self._fixed


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        current = utcnow()
        return current if tz is None or tz is timezone.utc else current.astimezone(tz)


def use(clock: Clock):
    """Context manager: SpiffWorkflow timers see `clock` for the duration."""
    return _Using(clock)


class _Using:
    def __init__(self, clock: Clock):
        self.clock = clock
        self.token = None

    def __enter__(self):
        self.token = _now.set(self.clock.now)
        return self.clock

    def __exit__(self, *exc):
        _now.reset(self.token)


def install() -> None:
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    timer.datetime = _ClockedDatetime  # type: ignore[attr-defined]
