"""Keeps the task table and the timer table in step with the workflow after each step."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from . import audit
from .models import DutyHolder, HumanTask, Timer

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


def sync_timers(run: "RunContext", workflow, instance_id: int) -> None:
    session = run.session
    session.execute(delete(Timer).where(Timer.instance_id == instance_id))
    for task in workflow.event_manager.tasks.values():
        when = fire_time(task)
        if when is not None:
            session.add(Timer(id=str(task.id), instance_id=instance_id, spec_name=task.task_spec.name, fire_at=when))


def held_conflict(session, policy: "SodPolicy", business_key: str | None, username: str, duty: str | None) -> str | None:
    """Why `username` may not take `duty` on this business key, or None if they may."""
    if not business_key or not duty or duty not in policy.exclusive:
        return None
    others = session.scalars(
        select(DutyHolder.duty).where(
            DutyHolder.business_key == business_key, DutyHolder.username == username,
            DutyHolder.duty != duty, DutyHolder.duty.in_(policy.exclusive),
        )
    ).first()
    if others is None:
        return None
    return (f"separation of duties: {username} already acts as '{others}' on {business_key} "
            f"and may not also act as '{duty}'")


def hold_duty(session, business_key: str | None, duty: str | None, username: str, now: datetime) -> None:
    if business_key and duty and session.get(DutyHolder, (business_key, duty, username)) is None:
        session.add(DutyHolder(business_key=business_key, duty=duty, username=username, since=now))


def drop_duty(session, business_key: str | None, duty: str | None, username: str) -> None:
    """Someone released a task before doing it: they no longer hold that duty, unless done elsewhere."""
    if not business_key or not duty:
        return
    done = session.scalars(select(HumanTask.id).where(
        HumanTask.business_key == business_key, HumanTask.duty == duty,
        HumanTask.completed_by == username, HumanTask.state == "completed",
    )).first()
    if done is None:
        session.execute(delete(DutyHolder).where(
            DutyHolder.business_key == business_key, DutyHolder.duty == duty, DutyHolder.username == username))


def sync_tasks(run: "RunContext", workflow, instance_id: int, sandbox, policy: "SodPolicy") -> list[HumanTask]:
    session = run.session
    ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    existing = {
        ht.id: ht for ht in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "ready"))
    }
    created = []
    for tid, ht in existing.items():
        if tid not in ready:
            ht.state = "cancelled"
            ht.completed_at = run.now
            run.record_raw("task_cancelled", tid, {"name": ht.spec_name})
    for tid, task in ready.items():
        if tid in existing:
            continue
        spec = task.task_spec
        props: dict[str, Any] = getattr(spec, "properties", {}) or {}
        assignee = _evaluate(sandbox, props.get("assignee"), task.data)
        duty = props.get("duty")
        refused = None
        if assignee:
            refused = held_conflict(session, policy, run.business_key, assignee, duty)
            if refused:
                assignee = None
        due_expr = _evaluate(sandbox, props.get("dueIn"), task.data)
        due_at = None
        if due_expr:
            due_at = run.now + TimerEventDefinition.get_timedelta_from_start(
                TimerEventDefinition.parse_iso_duration(due_expr), run.now)
        ht = HumanTask(
            id=tid, instance_id=instance_id, business_key=run.business_key, process_id=task.workflow.spec.name,
            spec_name=spec.name, title=spec.bpmn_name or spec.name, form_key=props.get("formKey", ""),
            post=spec.lane or "", duty=duty, assignee=assignee or None, candidates=[], state="ready",
            due_at=due_at, created_at=run.now, data={},
        )
        session.add(ht)
        if assignee:
            hold_duty(session, run.business_key, duty, assignee, run.now)
        run.record_raw("task_created", tid, {"name": spec.name, "post": ht.post, "assignee": ht.assignee,
                                            "due_at": due_at.isoformat() if due_at else None,
                                            **({"assignment_refused": refused} if refused else {})})
        created.append(ht)
    return created


def _evaluate(sandbox, expression: str | None, data: dict) -> Any:
    if not expression:
        return None
    return sandbox.evaluate(expression, data)
