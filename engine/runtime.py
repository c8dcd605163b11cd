"""Starting instances and moving them on: complete, claim, release, wake on timers.

Every public method works inside the caller's session and never commits: the
caller's unit of work commits instance state, task table, timers, domain writes
and audit events together, or none of them.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from . import audit, clock as clock_mod
from .compiler import CompiledModels
from .definitions import DefinitionStore
from .errors import Conflict, Forbidden, NotFound, ProcessFailure
from .mirror import DutyBook, sync_tasks, sync_timers, waiting_timers
from .models import HumanTask, ProcessInstance, Timer
from .expressions import Expressions
from .feel import Limits
from .script_engine import RuntimeScriptEngine
from .serialization import StateSerializer
from .services import ServiceRegistry

clock_mod.install()


@dataclass(frozen=True)
class Actor:
    username: str
    posts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SodPolicy:
    """Duties of which one person may hold at most one on a business key."""

    exclusive: frozenset[str] = frozenset()


@dataclass
class RunContext:
    session: Session
    actor: str
    now: datetime
    models: CompiledModels
    deployment_version: int
    instance_id: int | None
    business_key: str | None
    model_version: str
    duties: DutyBook
    timers_before: dict = field(default_factory=dict)
    ready_before: set[str] = field(default_factory=set)
    completed_here: set[str] = field(default_factory=set)
    decisions: list[dict] = field(default_factory=list)
    starts: list[tuple[str, dict, str | None]] = field(default_factory=list)
    is_test: bool = False  # a designer's test run: dry-run services, tasks only for its starter
    starter: str | None = None

    def record_raw(self, type_: str, task_id: str | None, data: dict[str, Any]) -> None:
        audit.record(self.session, audit.PendingEvent(
            at=self.now, actor=self.actor, type=type_, instance_id=self.instance_id,
            business_key=self.business_key, task_id=task_id, data=data, model_version=self.model_version,
        ))

    def record(self, type_: str, task, data: dict[str, Any]) -> None:
        self.record_raw(type_, str(task.id), {"element": task.task_spec.name, **data})


FormValidator = Callable[[str, Mapping[str, Any]], dict[str, Any]]
DecisionSink = Callable[[Session, "str | None", list[dict]], None]


class WorkflowRuntime:
    def __init__(
        self,
        definitions: DefinitionStore,
        services: ServiceRegistry,
        *,
        limits: Limits | None = None,
        clock: clock_mod.Clock | None = None,
        sod: SodPolicy = SodPolicy(),
        validate_form: FormValidator | None = None,
        on_decisions: DecisionSink | None = None,
    ):
        self.definitions = definitions
        self.services = services
        self.expressions = Expressions(limits)
        self.clock = clock or clock_mod.Clock()
        self.sod = sod
        self.validate_form = validate_form
        self.on_decisions = on_decisions
        self.serializer = StateSerializer()

    # -- starting -------------------------------------------------------------------------
    def start(self, session: Session, process_id: str, data: Mapping[str, Any], actor: str,
              business_key: str | None = None, test: bool = False) -> ProcessInstance:
        """Start an instance; `test` marks a designer's test run (see RunContext.is_test)."""
        deployment = self.definitions.latest(session)
        definition = self.definitions.latest_definition(session, process_id)
        if deployment is None or definition is None or definition.kind != "bpmn":
            raise NotFound(f"no deployed process '{process_id}'")
        models = self.definitions.compiled(session, deployment.id)
        now = self.clock.now()
        instance = ProcessInstance(
            definition_id=definition.id, deployment_id=deployment.id, process_id=process_id,
            business_key=business_key, status="running", serialization="",
            serializer_version=self.serializer.version, started_by=actor, created_at=now, updated_at=now,
            is_test=test,
        )
        session.add(instance)
        session.flush()
        run = RunContext(session, actor, now, models, deployment.version, instance.id, business_key,
                         f"{process_id}@v{definition.version}/d{deployment.version}",
                         DutyBook(session, self.sod, None if test else business_key), is_test=test, starter=actor)
        spec, subprocess_specs = models.spec(process_id)
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self._engine(run))
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(copy.deepcopy(dict(data)))
        run.record_raw("instance_started", None, {"process": process_id, "data": dict(data)})
        self._advance(workflow, run, instance)
        return instance

    def record(self, session: Session, actor: str, type_: str, business_key: str | None, data: dict[str, Any]) -> None:
        """An audit event for something done outside a task (a comment, an upload)."""
        audit.record(session, audit.PendingEvent(at=self.clock.now(), actor=actor, type=type_,
                                                 business_key=business_key, data=data))

    def hold_duty(self, session: Session, business_key: str, duty: str, username: str) -> None:
        """Record a duty taken outside any task (e.g. the officer who took in an application)."""
        DutyBook(session, self.sod, business_key).hold(duty, username, self.clock.now())

    # -- human tasks ----------------------------------------------------------------------
    def get_task(self, session: Session, task_id: str) -> HumanTask:
        task = session.get(HumanTask, _task_key(task_id))
        if task is None:
            raise NotFound(f"no task {task_id}")
        return task

    def may_work(self, session: Session, task: HumanTask, actor: Actor, duties: DutyBook | None = None,
                 instance: ProcessInstance | None = None) -> str | None:
        """Why `actor` may not work `task` now, or None if they may."""
        if task.assignee and task.assignee != actor.username:
            return f"task is assigned to {task.assignee}"
        return self.may_hold(session, task, actor, duties, instance)

    def may_hold(self, session: Session, task: HumanTask, actor: Actor, duties: DutyBook | None = None,
                 instance: ProcessInstance | None = None) -> str | None:
        """Why `actor` may not hold `task`, or None: the one check behind claim, completion and reassignment.
        The task's post (whoever assigned it), its candidates, separation of duties (each committee seat is
        its own duty, so one person holds one seat); a test run's tasks only for the one who started it."""
        instance = instance or session.get(ProcessInstance, task.instance_id)
        if instance is not None and instance.is_test:
            return None if actor.username == instance.started_by else \
                f"a test run's tasks go only to {instance.started_by}, who started it"
        if task.post not in actor.posts:
            return f"task needs post '{task.post}'"
        duties = duties or DutyBook(session, self.sod, task.business_key)
        conflict = duties.conflict(actor.username, task.duty)
        if conflict:
            return conflict
        if task.candidates and actor.username not in task.candidates:
            return f"only {', '.join(task.candidates)} may take this task"
        return None

    def claim(self, session: Session, task_id: str, actor: Actor) -> HumanTask:
        task, instance = self._lock_task(session, task_id)
        if task.assignee == actor.username:
            return task
        if task.assignee:
            raise Conflict(f"task already claimed by {task.assignee}")
        duties = DutyBook(session, self.sod, task.business_key)
        reason = self.may_work(session, task, actor, duties, instance)
        if reason:
            raise Forbidden(reason)
        task.assignee = actor.username
        duties.hold(task.duty, actor.username, self.clock.now())
        self._touch(instance)
        self._record(session, instance, task, actor.username, "task_claimed", {"assignee": actor.username})
        return task

    def release(self, session: Session, task_id: str, actor: Actor) -> HumanTask:
        task, instance = self._lock_task(session, task_id)
        if task.assignee != actor.username:
            raise Forbidden("only the assignee can release a task")
        task.assignee = None
        DutyBook(session, self.sod, task.business_key).drop(task.duty, actor.username)
        self._touch(instance)
        self._record(session, instance, task, actor.username, "task_released", {})
        return task

    def reassign(self, session: Session, task_id: str, to: Actor, by: Actor, reason: str) -> HumanTask:
        """Give the task to `to` (their posts as the caller read them): refused unless `to` could claim it."""
        task, instance = self._lock_task(session, task_id)
        if instance.is_test:
            raise Forbidden(f"a test run's tasks stay with {instance.started_by}, who started it")
        duties = DutyBook(session, self.sod, task.business_key)
        refused = self.may_hold(session, task, to, duties, instance)
        if refused:
            raise Forbidden(f"{to.username} may not take this task: {refused}")
        to_user = to.username
        if task.assignee:
            duties.drop(task.duty, task.assignee)
        previous, task.assignee = task.assignee, to_user
        duties.hold(task.duty, to_user, self.clock.now())
        self._touch(instance)
        self._record(session, instance, task, by.username, "task_reassigned",
                     {"from": previous, "to": to_user, "reason": reason})
        return task

    def complete(self, session: Session, task_id: str, actor: Actor, data: Mapping[str, Any]) -> ProcessInstance:
        task, instance = self._lock_task(session, task_id)
        duties = DutyBook(session, self.sod, task.business_key)
        reason = self.may_work(session, task, actor, duties, instance)
        if reason:
            raise Forbidden(reason)
        cleaned = self.validate_form(task.form_key, data) if self.validate_form else dict(data)
        workflow, run = self._load(session, instance, actor.username, duties)
        spiff_task = workflow.get_task_from_id(UUID(task.id))
        if spiff_task is None or spiff_task.state != TaskState.READY:
            raise Conflict("task is no longer ready")
        spiff_task.data[task.spec_name] = cleaned
        run.completed_here.add(task.id)
        now = run.now
        task.state, task.completed_at, task.completed_by, task.data = "completed", now, actor.username, cleaned
        task.assignee = actor.username
        duties.hold(task.duty, actor.username, now)
        run.record_raw("task_completed", task.id, {"element": task.spec_name, "form": task.form_key, "data": cleaned})
        try:
            spiff_task.run()
        except Exception as exc:
            raise self._contained(exc, task.spec_name)
        self._advance(workflow, run, instance)
        return instance

    # -- timers ---------------------------------------------------------------------------
    def due_instances(self, session: Session, limit: int = 500) -> list[int]:
        now = self.clock.now()
        return list(session.scalars(
            select(Timer.instance_id).where(Timer.fire_at <= now).group_by(Timer.instance_id).limit(limit)))

    def wake(self, session: Session, instance_id: int, actor: str = "scheduler") -> ProcessInstance:
        instance = self._lock_instance(session, instance_id)
        workflow, run = self._load(session, instance, actor)
        run.record_raw("timers_checked", None, {})
        self._advance(workflow, run, instance)
        return instance

    def mark_failed(self, session: Session, instance_id: int, message: str, element: str | None = None,
                    actor: str = "scheduler") -> ProcessInstance:
        """Record that an instance failed and stop waking it: status `failed`, the error and its element
        kept on the row, its timers dropped (so due_instances() no longer returns it), an audit event.

        Call it in a fresh unit of work, after the one that failed has rolled back: the workflow state
        stays as it was before the failing step, so nothing half-done is kept.
        """
        from sqlalchemy import delete

        instance = self._lock_instance(session, instance_id)
        now = self.clock.now()
        element = str(element)[:128] if element else None
        instance.status, instance.error, instance.error_element = "failed", message, element
        instance.updated_at = now
        session.execute(delete(Timer).where(Timer.instance_id == instance.id))
        definition_version, deployment_version = self.definitions.versions(
            session, instance.definition_id, instance.deployment_id)
        model_version = f"{instance.process_id}@v{definition_version}/d{deployment_version}"
        audit.record(session, audit.PendingEvent(
            at=now, actor=actor, type="instance_failed", instance_id=instance.id,
            business_key=instance.business_key, data={"element": element, "error": message},
            model_version=model_version,
        ))
        session.flush()
        return instance

    # -- internals ------------------------------------------------------------------------
    def _engine(self, run: RunContext) -> RuntimeScriptEngine:
        return RuntimeScriptEngine(self.expressions, self.services, run)

    def _lock_instance(self, session: Session, instance_id: int) -> ProcessInstance:
        # FOR UPDATE serialises writers on one instance; the version column catches the rest.
        instance = session.scalars(
            select(ProcessInstance).where(ProcessInstance.id == instance_id)
            .with_for_update().execution_options(populate_existing=True)
        ).first()
        if instance is None:
            raise NotFound(f"no instance {instance_id}")
        return instance

    def _lock_task(self, session: Session, task_id: str) -> tuple[HumanTask, ProcessInstance]:
        # One round trip: the task and its instance, both locked, both read fresh after any wait.
        row = session.execute(
            select(HumanTask, ProcessInstance).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(HumanTask.id == _task_key(task_id)).with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if row is None:
            raise NotFound(f"no task {task_id}")
        task, instance = row
        if task.state != "ready":
            raise Conflict(f"task is already {task.state}")
        return task, instance

    def _touch(self, instance: ProcessInstance) -> None:
        instance.updated_at = self.clock.now()  # bumps the row version: a racing writer gets a 409

    def _record(self, session, instance, task, actor, type_, data):
        audit.record(session, audit.PendingEvent(
            at=self.clock.now(), actor=actor, type=type_, instance_id=instance.id,
            business_key=instance.business_key, task_id=task.id, data={"element": task.spec_name, **data},
        ))

    def _load(self, session: Session, instance: ProcessInstance, actor: str,
              duties: DutyBook | None = None) -> tuple[BpmnWorkflow, RunContext]:
        if instance.serializer_version != self.serializer.version:
            raise ProcessFailure(f"instance {instance.id} was saved by serializer {instance.serializer_version}")
        definition_version, deployment_version = self.definitions.versions(
            session, instance.definition_id, instance.deployment_id)
        models = self.definitions.compiled(session, instance.deployment_id)
        run = RunContext(session, actor, self.clock.now(), models, deployment_version, instance.id,
                         instance.business_key, f"{instance.process_id}@v{definition_version}/d{deployment_version}",
                         duties or DutyBook(session, self.sod, None if instance.is_test else instance.business_key),
                         is_test=instance.is_test, starter=instance.started_by)
        spec, subprocess_specs = models.spec(instance.process_id)
        workflow = self.serializer.loads(instance.serialization, spec, subprocess_specs, self._engine(run))
        run.timers_before = waiting_timers(workflow)
        run.ready_before = {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        return workflow, run

    def _advance(self, workflow: BpmnWorkflow, run: RunContext, instance: ProcessInstance) -> None:
        session = run.session
        try:
            with clock_mod.use(self.clock):
                workflow.refresh_timers()
                workflow.do_engine_steps()
            sync_tasks(run, workflow, instance.id, self.expressions)
            sync_timers(run, workflow, instance.id)
            instance.serialization = self.serializer.dumps(workflow)
        except Exception as exc:
            raise self._contained(exc)
        instance.updated_at = run.now
        if workflow.completed:
            instance.status, instance.ended_at = "complete", run.now
            run.record_raw("instance_completed", None, {"process": instance.process_id})
        if run.decisions and self.on_decisions and not run.is_test:
            self.on_decisions(session, run.business_key, run.decisions)
        try:
            session.flush()
        except StaleDataError as exc:
            raise Conflict("the process moved on meanwhile; reload and try again") from exc
        for process_id, data, key in run.starts:
            self.start(session, process_id, data, run.actor, key, test=run.is_test)

    def _contained(self, exc: Exception, element: str | None = None) -> Exception:
        """What to raise for an error caught while a workflow ran (see engine.failures)."""
        from .failures import contained

        return contained(exc, element)


def _task_key(task_id: str) -> str:
    try:
        return str(UUID(str(task_id)))
    except ValueError:
        raise NotFound(f"no task {task_id}") from None
