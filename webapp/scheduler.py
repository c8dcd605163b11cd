"""The scheduler process: wakes instances whose BPMN timers are due.

The only module that imports APScheduler. Each instance is woken in its own unit of
work, so one failing model never holds up the others.
"""
from __future__ import annotations

import logging

from engine.errors import Conflict, ProcessFailure

from .bootstrap import Container

log = logging.getLogger("creditfactory.scheduler")


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
        except (Conflict, ProcessFailure) as exc:
            log.warning("instance %s not woken: %s", instance_id, exc)
    return woken


def run_forever(c: Container, interval: float = 10.0) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler

    logging.basicConfig(level=logging.INFO)
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(fire_due_timers, "interval", seconds=interval, args=[c], max_instances=1, coalesce=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
