"""Ending a running instance from outside it (e.g. its loan was repaid): its open tasks are cancelled,
its timers dropped and it is marked complete, in the caller's unit of work, with an audit event."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .mirror import sync_tasks
from .models import ProcessInstance, Timer


def end_instance(runtime, session: Session, instance_id: int, actor: str, reason: str) -> bool:
    """End the instance now; False when it was no longer running."""
    instance = runtime._lock_instance(session, instance_id)
    if instance.status != "running":
        return False
    workflow, run = runtime._load(session, instance, actor)
    workflow.cancel()
    sync_tasks(run, workflow, instance.id, runtime.expressions)
    session.execute(delete(Timer).where(Timer.instance_id == instance.id))
    instance.serialization = runtime.serializer.dumps(workflow)
    instance.status, instance.ended_at, instance.updated_at = "complete", run.now, run.now
    run.record_raw("instance_ended", None, {"process": instance.process_id, "reason": reason})
    session.flush()
    return True


def running(session: Session, process_id: str, business_key: str) -> list[int]:
    return list(session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.business_key == business_key, ProcessInstance.process_id == process_id,
        ProcessInstance.status == "running").order_by(ProcessInstance.id)))
