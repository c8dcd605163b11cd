"""The scheduler (issue 12, Scheduler): the database lease that lets one scheduler act at a time, the nightly
run caught up once after an outage, SLA escalation of overdue tasks no BPMN timer watches, and on PostgreSQL
two scheduler processes of which only one acts, the other taking over when the holder dies."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time as walltime
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select

from credit.postloan.models import NightlyRun
from engine import lease
from engine.models import AuditEvent, HumanTask, Timer
from tests.conftest import database_url, is_postgres
from tests.integration.driver import Driver
from webapp import postloan
from webapp.scheduler import LEASE, Leader, escalate_overdue_tasks, nightly_due_date, nightly_if_due

BEIJING = timezone(timedelta(hours=8))


def test_the_lease_has_one_holder_until_it_expires(container, clock):
    c = container
    assert lease.take(c.engine, LEASE, "a", 30, clock.now())
    assert not lease.take(c.engine, LEASE, "b", 30, clock.now())
    clock.advance(seconds=20)
    assert lease.take(c.engine, LEASE, "a", 30, clock.now())  # renewed: 30 s from now
    clock.advance(seconds=20)
    assert not lease.take(c.engine, LEASE, "b", 30, clock.now())
    assert lease.holder_of(c.engine, LEASE, clock.now()) == "a"
    clock.advance(seconds=11)  # a stopped renewing: expired
    assert lease.take(c.engine, LEASE, "b", 30, clock.now())
    assert not lease.take(c.engine, LEASE, "a", 30, clock.now())
    lease.release(c.engine, LEASE, "b", clock.now())
    assert lease.take(c.engine, LEASE, "a", 30, clock.now())


def test_only_the_lease_holder_acts(container, clock):
    gained = []
    one, two = Leader(container, 30, "one", on_gain=lambda: gained.append("one")), Leader(container, 30, "two")
    assert one.holds() and not two.holds() and one.holds()
    assert gained == ["one"]  # the catch-up runs when the lease is taken, not on each renewal
    clock.advance(seconds=31)
    assert two.holds() and not one.holds()


def test_the_nightly_run_is_due_at_the_configured_beijing_time(container, clock, monkeypatch):
    clock.set(datetime(2026, 6, 10, 1, 29, tzinfo=BEIJING))
    assert nightly_due_date(container, time(1, 30)).isoformat() == "2026-06-09"
    clock.set(datetime(2026, 6, 10, 1, 30, tzinfo=BEIJING))
    assert nightly_due_date(container, time(1, 30)).isoformat() == "2026-06-10"
    from webapp.scheduler import nightly_at

    monkeypatch.setenv("CREDITFACTORY_NIGHTLY_AT", "02:15")
    assert nightly_at() == time(2, 15)


def test_a_three_day_outage_is_caught_up_once(container, clock):
    c = container
    clock.set(datetime(2026, 6, 10, 2, 0, tzinfo=BEIJING))
    postloan.run(c, as_of=datetime(2026, 6, 10).date())
    clock.advance(days=3)  # no scheduler acted for three nights
    s = nightly_if_due(c, time(1, 30))
    assert [d.isoformat() for d in s.dates] == ["2026-06-11", "2026-06-12", "2026-06-13"]
    assert nightly_if_due(c, time(1, 30)) is None  # the cron job and the catch-up both firing: once
    with c.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(NightlyRun)) == 4


def _breaches(c, task_id=None):
    with c.uow() as uow:
        q = select(func.count()).select_from(AuditEvent).where(AuditEvent.type == "sla_breached")
        return uow.session.scalar(q.where(AuditEvent.task_id == task_id) if task_id else q)


def test_overdue_tasks_no_timer_watches_are_escalated_once(container, clock):
    c, d = container, Driver(container)
    app_id = d.submit("RUYI", "100000", 24, income="150000")
    task = d.task(app_id, "investigate")  # due in 2 days, watched by a boundary timer
    clock.advance(days=3)
    assert escalate_overdue_tasks(c) == 0  # the boundary timer will escalate it
    assert d.wake_due() >= 1 and _breaches(c) == 1  # it did (credit.sla_escalation)
    assert escalate_overdue_tasks(c) == 0  # and not a second time
    # a task whose model has no boundary timer: the scheduler escalates it, once
    app2 = d.submit("RUYI", "100000", 24, income="150000")
    t2 = d.task(app2, "investigate")
    with c.uow() as uow:
        uow.session.execute(delete(Timer).where(Timer.instance_id == t2.instance_id))
        uow.commit()
    clock.advance(days=3)
    assert escalate_overdue_tasks(c) == 1
    assert _breaches(c, t2.id) == 1 and _breaches(c, task.id) == 0
    with c.uow() as uow:
        event = uow.session.scalar(select(AuditEvent).where(AuditEvent.task_id == t2.id,
                                                            AuditEvent.type == "sla_breached"))
        assert event.data["task"] == "investigate" and event.data["notified"]
        assert uow.session.get(HumanTask, t2.id).state == "ready"
    assert escalate_overdue_tasks(c) == 0


def _start(url: str, log):
    env = {**os.environ, "CREDITFACTORY_DATABASE_URL": url, "CREDITFACTORY_LEASE_SECONDS": "5"}
    # a 5 s lease renewed every 1.7 s: a loaded machine does not let it lapse while its holder lives
    return subprocess.Popen([sys.executable, "-m", "webapp.cli", "scheduler", "--interval", "0.3"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait(predicate, seconds=20.0):
    end = walltime.monotonic() + seconds
    while walltime.monotonic() < end:
        value = predicate()
        if value:
            return value
        walltime.sleep(0.2)
    return predicate()


@pytest.mark.skipif(not is_postgres(), reason="two scheduler processes on PostgreSQL")
def test_two_schedulers_one_acts_and_the_other_takes_over(container, tmp_path):
    c, url = container, database_url(tmp_path)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    files = [open(p, "w") for p in logs]
    procs = [_start(url, f) for f in files]
    try:
        holder = _wait(lambda: lease.holder_of(c.engine, LEASE, datetime.now(timezone.utc)))
        assert holder, [p.read_text() for p in logs]
        first = next(i for i, p in enumerate(procs) if f":{p.pid}:" in holder)
        other = 1 - first
        assert _wait(lambda: all(f"acting: {job}" in logs[first].read_text() for job in ("timers", "nightly")), 10), \
            logs[first].read_text()
        walltime.sleep(2)  # more timer ticks and lease renewals, in which the other must not act
        texts = [p.read_text() for p in logs]
        assert "acting:" not in texts[other], texts[other]
        assert lease.holder_of(c.engine, LEASE, datetime.now(timezone.utc)) == holder
        procs[first].send_signal(signal.SIGKILL)  # dies without releasing the lease
        procs[first].wait(5)
        taken = _wait(lambda: (h := lease.holder_of(c.engine, LEASE, datetime.now(timezone.utc)))
                      and f":{procs[other].pid}:" in h and h)
        assert taken, logs[other].read_text()
        assert _wait(lambda: "acting: timers" in logs[other].read_text(), 5)
        # the takeover's catch-up (nothing left to do): its log line may follow the first timer tick's
        assert _wait(lambda: "acting: nightly" in logs[other].read_text(), 10), logs[other].read_text()
        with c.uow() as uow:
            assert uow.session.scalar(select(func.count()).select_from(NightlyRun)) == 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        for f in files:
            f.close()
