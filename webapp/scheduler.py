"""The scheduler process: three jobs, acted on by one scheduler at a time.

- timers: wakes instances whose BPMN timers are due (every `interval` seconds);
- nightly: the post-loan nightly run, daily at CREDITFACTORY_NIGHTLY_AT (Beijing time, default 01:30),
  and whenever this scheduler takes the lease, so a run missed while no scheduler acted is caught up
  once (the run itself processes each missed business date once);
- sla: ready human tasks past their due_at that no BPMN timer watches are escalated once: an
  `sla_breached` audit event naming the task and the branch heads notified (as the boundary timers'
  `credit.sla_escalation` does).

Several schedulers may run; only the holder of the database lease "scheduler" (engine.lease) acts.
Each job takes or renews the lease before it acts, and a renew job keeps it while a long job runs.

The only module that imports APScheduler. Each instance is woken in its own unit of
work, so one failing model never holds up the others: its unit of work rolls back,
and a fresh one marks it failed (with its element and error) so it is not retried.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, exists, select
from sqlalchemy.exc import InterfaceError, OperationalError

from engine import audit, lease
from engine.models import AuditEvent, HumanTask, Timer

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


LEASE = "scheduler"
NIGHTLY_AT = "01:30"


def nightly_at() -> time:
    """CREDITFACTORY_NIGHTLY_AT, HH:MM Beijing time."""
    text = os.environ.get("CREDITFACTORY_NIGHTLY_AT") or NIGHTLY_AT
    try:
        hour, minute = (int(p) for p in text.strip().split(":"))
        return time(hour, minute)
    except ValueError:
        raise SystemExit(f"CREDITFACTORY_NIGHTLY_AT must be HH:MM, not {text!r}") from None


def nightly_due_date(c: Container, at: time) -> date:
    """The latest business date whose nightly run is due: today in Beijing once `at` has passed, else yesterday."""
    from .postloan import BEIJING

    now = c.clock.now().astimezone(BEIJING)
    return now.date() if now.time() >= at else now.date() - timedelta(days=1)


def nightly_if_due(c: Container, at: time | None = None):
    """Run the nightly run up to the due business date, unless that date is processed already. Its partitions
    go where `postloan run`'s go: to the queue's workers on PostgreSQL when one is alive, else in-process."""
    from . import postloan, postloan_queue

    target = nightly_due_date(c, at or nightly_at())
    with c.uow() as uow:
        last = postloan.last_processed(uow.session)
    if last is not None and last >= target:
        return None
    with postloan_queue.dispatcher(c) as dispatch:
        summary = postloan.run(c, as_of=target, actor="scheduler", dispatch=dispatch)
    log.info("nightly run: %s", ", ".join(d.isoformat() for d in summary.dates))
    return summary


def escalate_overdue_tasks(c: Container) -> int:
    """Ready human tasks past their due_at whose instance has no timer pending (no BPMN boundary timer
    will escalate them) and no `sla_breached` event since the task was created: one `sla_breached`
    event each, naming the task and the branch heads notified (the administrator when there is none)."""
    from credit.steps.postloan import branch_heads

    now = c.clock.now()
    with c.uow() as uow:
        s = uow.session
        tasks = list(s.scalars(select(HumanTask).where(
            HumanTask.state == "ready", HumanTask.due_at.is_not(None), HumanTask.due_at <= now,
            ~exists().where(Timer.instance_id == HumanTask.instance_id),
            ~exists().where(and_(AuditEvent.instance_id == HumanTask.instance_id, AuditEvent.type == "sla_breached",
                                 AuditEvent.at >= HumanTask.created_at))).order_by(HumanTask.due_at).limit(500)))
        for t in tasks:
            notified = ",".join(branch_heads(s, t.business_key)) or "admin"
            audit.record(s, audit.PendingEvent(
                at=now, actor="scheduler", type="sla_breached", instance_id=t.instance_id,
                business_key=t.business_key, task_id=t.id,
                data={"task": t.spec_name, "notified": notified, "due_at": t.due_at.isoformat()}))
        uow.commit()
    return len(tasks)


class Leader:
    """This scheduler's hold on the lease: `holds()` takes or renews it (a short transaction)."""

    def __init__(self, c: Container, seconds: float, holder: str | None = None, on_gain=None):
        self.c, self.seconds, self.on_gain = c, seconds, on_gain
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.held = False
        self.announced: set[str] = set()  # jobs logged as acting since the lease was taken
        self._lock = threading.Lock()

    def holds(self) -> bool:
        with self._lock:
            try:
                now = self.c.clock.now()
                held = lease.take(self.c.engine, LEASE, self.holder, self.seconds, now)
            except (OperationalError, InterfaceError) as exc:
                log.warning("lease not renewed: %s", exc)
                held = False
            gained, self.held = held and not self.held, held
        if gained:
            self.announced = set()
            log.info("lease taken by %s", self.holder)
            if self.on_gain is not None:
                self.on_gain()
        return held

    def release(self) -> None:
        if self.held:
            lease.release(self.c.engine, LEASE, self.holder, self.c.clock.now())
            self.held = False


def guarded(leader: Leader, name: str, job, c: Container):
    def run() -> None:
        if not leader.holds():
            return
        # every nightly run and escalation is logged; the timer tick only first, after taking the lease
        level = logging.INFO if name != "timers" or name not in leader.announced else logging.DEBUG
        leader.announced.add(name)
        log.log(level, "acting: %s (%s)", name, leader.holder)
        job(c)
    run.__name__ = name
    return run


def run_forever(c: Container, interval: float = 10.0, lease_seconds: float | None = None) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    from .postloan import BEIJING

    import signal

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(0)))  # stop cleanly: give up the lease
    seconds = lease_seconds or float(os.environ.get("CREDITFACTORY_LEASE_SECONDS") or 30)
    at = nightly_at()
    scheduler = BlockingScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    nightly = None

    def catch_up() -> None:  # on taking the lease: a nightly run missed while no one acted, once
        scheduler.add_job(nightly, "date", id="nightly-catch-up", name="nightly catch-up", replace_existing=True)

    leader = Leader(c, seconds, on_gain=catch_up)
    nightly = guarded(leader, "nightly", lambda c: nightly_if_due(c, at), c)
    scheduler.add_job(leader.holds, "interval", seconds=max(seconds / 3, 0.2), id="lease", name="lease", next_run_time=datetime.now(timezone.utc))
    scheduler.add_job(guarded(leader, "timers", fire_due_timers, c), "interval", seconds=interval, id="timers", name="timers")
    scheduler.add_job(guarded(leader, "sla", escalate_overdue_tasks, c), "interval", seconds=max(interval, 60.0), id="sla", name="sla")
    scheduler.add_job(nightly, CronTrigger(hour=at.hour, minute=at.minute, timezone=BEIJING), id="nightly", name="nightly",
                      misfire_grace_time=6 * 3600)
    log.info("scheduler %s: timers every %ss, nightly at %s Beijing, lease %ss", leader.holder, interval,
             at.strftime("%H:%M"), seconds)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        try:
            leader.release()
        except Exception:
            log.exception("lease not released")
