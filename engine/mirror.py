"""Keeps the task table and the timer table in step with the workflow after each step."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from .models import DutyHolder, HumanTask, Timer
from .feel import FeelError, YearsMonths, temporal, type_name

if TYPE_CHECKING:
    from .runtime import RunContext, SodPolicy


def fire_time(task) -> datetime | None:
    event_def = task.task_spec.event_definition
    if not isinstance(event_def, TimerEventDefinition):
        return None
    value = event_def.details(task).value
    if isinstance(value, dict):  # cycle timer
        value = value.get("next")
    if value is None:
        return None
    return TimerEventDefinition.parse_time_or_duration(value) if isinstance(value, str) else value


def waiting_timers(workflow) -> dict[str, tuple[str, datetime]]:
    found = {}
    for task in workflow.event_manager.tasks.values():
        when = fire_time(task)
        if when is not None:
            found[str(task.id)] = (task.task_spec.name, when)
    return found


def sync_timers(run: "RunContext", workflow, instance_id: int) -> None:
    now_waiting = waiting_timers(workflow)
    if now_waiting == run.timers_before:
        return  # most steps touch no timer: spare the round trips
    session = run.session
    session.execute(delete(Timer).where(Timer.instance_id == instance_id))
    for tid, (name, when) in now_waiting.items():
        session.add(Timer(id=tid, instance_id=instance_id, spec_name=name, fire_at=when))


class DutyBook:
    """The duties held on one business key, read once per operation and kept in step as
    duties are taken, so every separation-of-duties check costs one query at most."""

    def __init__(self, session, policy: "SodPolicy", business_key: str | None):
        self.session, self.policy, self.key = session, policy, business_key
        self._rows: dict[tuple[str, str], DutyHolder] | None = None

    def _all(self) -> dict[tuple[str, str], DutyHolder]:
        if self._rows is None:
            self._rows = {} if not self.key else {
                (d.duty, d.username): d for d in self.session.scalars(
                    select(DutyHolder).where(DutyHolder.business_key == self.key))}
        return self._rows

    def held(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for duty, user in self._all():
            out.setdefault(duty, set()).add(user)
        return out

    def conflict(self, username: str, duty: str | None) -> str | None:
        """Why `username` may not take `duty` here, or None if they may."""
        if not self.key or not duty or duty not in self.policy.exclusive:
            return None
        for held, user in self._all():
            if user == username and held != duty and held in self.policy.exclusive:
                return (f"separation of duties: {username} already acts as '{held}' on {self.key} "
                        f"and may not also act as '{duty}'")
        return None

    def hold(self, duty: str | None, username: str, now: datetime) -> None:
        rows = self._all()
        if self.key and duty and (duty, username) not in rows:
            row = DutyHolder(business_key=self.key, duty=duty, username=username, since=now)
            self.session.add(row)
            rows[(duty, username)] = row

    def drop(self, duty: str | None, username: str) -> None:
        """Someone released a task before doing it: they no longer hold that duty, unless done elsewhere."""
        rows = self._all()
        if not self.key or not duty or (duty, username) not in rows:
            return
        done = self.session.scalars(select(HumanTask.id).where(
            HumanTask.business_key == self.key, HumanTask.duty == duty,
            HumanTask.completed_by == username, HumanTask.state == "completed",
        )).first()
        if done is None:
            self.session.delete(rows.pop((duty, username)))


def sync_tasks(run: "RunContext", workflow, instance_id: int, expressions) -> list[HumanTask]:
    session = run.session
    ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    # The mirror holds exactly the tasks that were ready when the workflow was loaded (an
    # invariant the round-trip tests check), so only the ones that vanished need reading.
    for tid in run.ready_before - set(ready) - run.completed_here:
        ht = session.get(HumanTask, tid)
        if ht is not None and ht.state == "ready":
            ht.state = "cancelled"
            ht.completed_at = run.now
            run.record_raw("task_cancelled", tid, {"name": ht.spec_name})
    existing = run.ready_before | run.completed_here
    created = []
    for tid, task in ready.items():
        if tid in existing:
            continue
        spec = task.task_spec
        props: dict[str, Any] = getattr(spec, "properties", {}) or {}
        try:
            assignee = _evaluate(expressions, props.get("assignee"), task.data)
            candidates = _evaluate(expressions, props.get("candidates"), task.data) or []
            due_at = _due(expressions, props.get("dueIn"), task.data, run.now)
            if assignee is not None and not isinstance(assignee, str):
                raise FeelError(f"the assignee of {spec.name} must be a user name, not {assignee!r}")
            if not isinstance(candidates, list) or not all(isinstance(c, str) for c in candidates):
                raise FeelError(f"candidates of {spec.name} must be a list of user names")
        except FeelError as exc:
            exc.element = spec.name
            raise
        duty = props.get("duty")
        refused = None
        if run.is_test:  # a test run's tasks go to whoever started it, never to an officer's inbox
            assignee, candidates = run.starter, [run.starter] if run.starter else []
        elif assignee:
            refused = run.duties.conflict(assignee, duty)
            if refused:
                assignee = None
        ht = HumanTask(
            # a test run works on no application: its tasks name none
            id=tid, instance_id=instance_id, business_key=None if run.is_test else run.business_key,
            process_id=task.workflow.spec.name,
            spec_name=spec.name, title=spec.bpmn_name or spec.name, form_key=props.get("formKey", ""),
            post=spec.lane or "", duty=duty, assignee=assignee or None, candidates=list(candidates), state="ready",
            due_at=due_at, created_at=run.now, data={},
        )
        session.add(ht)
        if assignee:
            run.duties.hold(duty, assignee, run.now)
        run.record_raw("task_created", tid, {"name": spec.name, "post": ht.post, "assignee": ht.assignee,
                                            "due_at": due_at.isoformat() if due_at else None,
                                            **({"assignment_refused": refused} if refused else {})})
        created.append(ht)
    return created


def _evaluate(expressions, expression: str | None, data: dict) -> Any:
    if not expression:
        return None
    return expressions.evaluate(expression, data)


def _due(expressions, expression: str | None, data: dict, now: datetime) -> datetime | None:
    """A due expression gives a duration (`duration("P2D")`, or its ISO text) or a date and time."""
    if not expression:
        return None
    value = expressions.value(expression, data)
    if isinstance(value, str):
        value = temporal.parse_duration(value) or temporal.parse_date_time(value)
    if value is None:
        return None
    if isinstance(value, timedelta):
        return now + value
    if isinstance(value, YearsMonths):
        moved = temporal.add_months(now, value.months)
        if moved is None:
            raise FeelError("due date out of range")
        return moved
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    raise FeelError(f"a due expression must give a duration or a date and time, not a {type_name(value)}")
