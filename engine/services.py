"""Service-task functions: the one door through which domain code joins a process.

A function is registered under an operator name and called as `fn(ctx, **params)`
with a `ServiceContext`; it returns a JSON-able dict that becomes task data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit
from .models import HumanTask

if TYPE_CHECKING:
    from .runtime import RunContext

ServiceFn = Callable[..., Mapping[str, Any]]


class ServiceRegistry:
    def __init__(self):
        self._fns: dict[str, ServiceFn] = {}

    def register(self, name: str, fn: ServiceFn | None = None):
        def deco(f: ServiceFn) -> ServiceFn:
            if name in self._fns and self._fns[name] is not f:
                raise ValueError(f"service {name} registered twice")
            self._fns[name] = f
            return f

        return deco(fn) if fn is not None else deco

    def override(self, name: str, fn: ServiceFn) -> None:
        """Replace a registered function (configuration, or a test's stand-in)."""
        self.get(name)
        self._fns[name] = fn

    def get(self, name: str) -> ServiceFn:
        try:
            return self._fns[name]
        except KeyError:
            raise LookupError(f"service '{name}' is not registered") from None

    def names(self) -> set[str]:
        return set(self._fns)

    def for_run(self, name: str, is_test: bool) -> ServiceFn:
        """What a run calls: in a designer's test run, a dry-run double instead of the domain function,
        so that no test run books a loan, renders a contract or moves money."""
        fn = self.get(name)
        return partial(dry_run, name) if is_test else fn


def dry_run(name: str, ctx: "ServiceContext", **params: Any) -> Mapping[str, Any]:
    """The double of every service in a test run: writes nothing and answers what the designer gave under
    `test_results.<operator>` in the start data (to steer the gateways after it), else {"dry_run": true}."""
    canned = (ctx.data.get("test_results") or {}).get(name)
    return dict(canned) if isinstance(canned, Mapping) else {"dry_run": True}


@dataclass
class ServiceContext:
    """What a service function may see and do, all inside the current transaction."""

    session: Session
    run: "RunContext"
    data: Mapping[str, Any]
    task_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def business_key(self) -> str | None:
        return self.run.business_key

    @property
    def actor(self) -> str:
        return self.run.actor

    @property
    def is_test(self) -> bool:
        """A designer's test run: synthetic data, no real application."""
        return self.run.is_test

    @property
    def now(self) -> datetime:
        return self.run.now

    def duties(self) -> dict[str, set[str]]:
        """Duty -> users holding it on this business key."""
        return self.run.duties.held()

    def workload(self, usernames: list[str]) -> dict[str, int]:
        """Open tasks per user: the allocation's measure of how busy someone is."""
        counts = dict.fromkeys(usernames, 0)
        if usernames:
            rows = self.session.execute(
                select(HumanTask.assignee, func.count()).where(
                    HumanTask.state == "ready", HumanTask.assignee.in_(usernames)
                ).group_by(HumanTask.assignee)
            )
            counts.update({user: n for user, n in rows})
        return counts

    def start_process(self, process_id: str, data: dict[str, Any], business_key: str | None = None) -> None:
        """Start another process once this step is done, in the same transaction."""
        self.run.starts.append((process_id, data, business_key or self.business_key))

    def audit(self, type_: str, data: dict[str, Any], rule_ids: list[str] | None = None) -> None:
        audit.record(self.session, audit.PendingEvent(
            at=self.now, actor=self.actor, type=type_, instance_id=self.run.instance_id,
            business_key=self.business_key, data=data, model_version=self.run.model_version,
            rule_ids=list(rule_ids or []),
        ))
