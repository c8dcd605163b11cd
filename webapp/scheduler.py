"""The scheduler process: wakes instances whose BPMN timers are due.

The only module that imports APScheduler. Each instance is woken in its own unit of
work, so one failing model never holds up the others: its unit of work rolls back,
and a fresh one marks it failed (with its element and error) so it is not retried.
"""
from __future__ import annotations

import logging

from sqlalchemy.exc import InterfaceError, OperationalError

from engine.errors import Conflict, NotFound, ProcessFailure

from .bootstrap import Container

log = logging.getLogger("creditfactory.scheduler")

# Not the instance's fault: try it again next tick rather than mark it failed.
RETRY_NEXT_TICK = (Conflict, NotFound, OperationalError, InterfaceError)


def fire_due_timers(c: Container) -> int:
    woken = 0
    with c.uow() as uow:
        due = c.runtime.due_instances(uow.session)
    for instance_id in due:
        try:
            with c.uow() as uow:
                c.runtime.wake(uow.session, instance_id)
                uow.commit()
            woken += 1
        except RETRY_NEXT_TICK as exc:
            log.warning("instance %s not woken, will retry: %s", instance_id, exc)
        except Exception as exc:  # one bad instance must not stop the tick
            log.exception("instance %s failed while waking", instance_id)
            _mark_failed(c, instance_id, exc)
    return woken


def _mark_failed(c: Container, instance_id: int, exc: Exception) -> None:
    message = str(exc) if isinstance(exc, ProcessFailure) else f"{type(exc).__name__}: {exc}"
    element = getattr(exc, "element", None)
    try:
        with c.uow() as uow:
            c.runtime.mark_failed(uow.session, instance_id, message, element)
            uow.commit()
    except Exception:
        log.exception("instance %s could not be marked failed", instance_id)


def run_forever(c: Container, interval: float = 10.0) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler

    logging.basicConfig(level=logging.INFO)
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(fire_due_timers, "interval", seconds=interval, args=[c], max_instances=1, coalesce=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
