"""The nightly run on the job queue (issue 12): on PostgreSQL, worker processes take the partitions
(procrastinate), the run waits for them date by date, a killed worker's partition runs again, and no
run hangs when no worker is there. Thousands of loans are cloned from one real loan in a few statements."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import func, select, text

from credit.models import Application, Loan, ScheduleLine
from credit.postloan.models import ClassificationChange, NightlyRun, UpgradeProposal
from tests.conftest import FAST_HASH, is_postgres
from tests.integration.driver import Driver
from webapp import postloan, postloan_queue

pg = pytest.mark.skipif(not is_postgres(), reason="the job queue (procrastinate) needs PostgreSQL: on SQLite the "
                       "partitions run in-process, as tests/integration/test_postloan_nightly.py shows")

SIZE = 200  # 16 partitions from 3,000 loans: enough for two workers to share, few since each costs ~0.3 s whatever its size


@pytest.fixture
def queue(container):
    """An empty queue, no worker registered; afterwards every worker started here is stopped."""
    postloan_queue.ensure_schema(container)
    started: list[subprocess.Popen] = []
    _clear(container)
    yield started
    for p in started:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in started:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    _clear(container)  # no stale worker left for the next test to count as alive


def _clear(c) -> None:
    with c.engine.begin() as conn:
        conn.execute(text("DELETE FROM procrastinate_jobs WHERE queue_name = :q"), {"q": postloan_queue.QUEUE})
        conn.execute(text("DELETE FROM procrastinate_workers"))


def start_worker(c, started: list, concurrency: int = 1) -> subprocess.Popen:
    env = {**os.environ, "CREDITFACTORY_DATABASE_URL": c.database_url}
    p = subprocess.Popen([sys.executable, "-m", "webapp.cli", "postloan", "worker", "--concurrency", str(concurrency)],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started.append(p)
    return p


def wait_for(predicate, seconds: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def population(c, n: int, paid_days: int = 95):
    """One real SHANDAI loan (never repaid), then n clones of it in three statements: one in 50 clones has
    paid everything (the run closes it), one in 50 nothing (overdue, so signals and inspections), the others
    every instalment due before `paid_days` after the first due date. Each overdue loan costs the run far more than a current one
    (closure, a signal, an inspection process): they are kept few so that the tests stay fast."""
    d = Driver(c)
    template = d.loan(d.submit("SHANDAI", "30000", 12, income="150000"))
    app_cols = [col.name for col in Application.__table__.columns if col.name != "id"]
    loan_cols = [col.name for col in Loan.__table__.columns if col.name not in ("id", "application_id")]
    line_cols = [col.name for col in ScheduleLine.__table__.columns
                 if col.name not in ("loan_id", "paid_principal", "paid_interest", "paid_at")]
    override = {"idempotency_key": "'clone-' || g", "contract_no": "NULL", "instance_id": "NULL"}
    with c.engine.begin() as conn:
        conn.execute(text(
            f"INSERT INTO application ({', '.join(app_cols)}) SELECT "
            f"{', '.join(override.get(k, 'a.' + k) for k in app_cols)} "
            "FROM application a, generate_series(1, :n) g WHERE a.id = :app ORDER BY g"),
            {"n": n, "app": template.application_id})
        conn.execute(text(
            f"INSERT INTO loan (application_id, {', '.join(loan_cols)}) SELECT a.id, "
            f"{', '.join('CASE WHEN a.id % 50 = 0 THEN 0 ELSE l.outstanding_principal END' if k == 'outstanding_principal' else 'l.' + k for k in loan_cols)} "
            "FROM loan l, application a WHERE l.id = :loan AND a.idempotency_key LIKE 'clone-%' ORDER BY a.id"),
            {"loan": template.id})
        paid = "(nl.application_id % 50 = 0 OR (nl.application_id % 50 <> 25 AND s.due_date < :paid_until))"
        conn.execute(text(
            f"INSERT INTO schedule_line (loan_id, {', '.join(line_cols)}, paid_principal, paid_interest, paid_at) "
            f"SELECT nl.id, {', '.join('s.' + k for k in line_cols)}, "
            f"CASE WHEN {paid} THEN s.principal ELSE 0 END, CASE WHEN {paid} THEN s.interest ELSE 0 END, "
            f"CASE WHEN {paid} THEN s.due_date END "
            "FROM loan nl JOIN schedule_line s ON s.loan_id = :loan WHERE nl.id > :loan"),
            {"loan": template.id, "paid_until": template.first_due_date + timedelta(days=paid_days)})
    return template


def snapshot(c):
    """What a run writes, without the wall-clock times the worker processes stamp."""
    with c.uow() as uow:
        s = uow.session
        return {
            "loans": [tuple(r) for r in s.execute(select(
                Loan.id, Loan.status, Loan.classification, Loan.days_past_due, Loan.overdue_principal,
                Loan.overdue_interest, Loan.closed_at).order_by(Loan.id))],
            "changes": [tuple(r) for r in s.execute(select(
                ClassificationChange.loan_id, ClassificationChange.as_of, ClassificationChange.from_code,
                ClassificationChange.to_code).order_by(ClassificationChange.loan_id, ClassificationChange.id))],
            "proposals": s.scalar(select(func.count()).select_from(UpgradeProposal)),
            "runs": [(r.as_of, r.finished_at is not None, r.summary) for r in
                     s.scalars(select(NightlyRun).order_by(NightlyRun.as_of))],
        }


def waiting(c) -> int:
    """Backends waiting on a lock (a new connection each time: a transaction sees one snapshot of the view)."""
    with c.engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND wait_event_type = 'Lock'"))


def listen(c, collected: list, stop: threading.Event) -> threading.Thread:
    """Every report any worker sends, duplicates included (the run itself keeps only the first)."""
    ready = threading.Event()

    def loop():
        with psycopg.connect(postloan_queue.conninfo(c), autocommit=True) as conn:
            conn.execute(f"LISTEN {postloan_queue.CHANNEL}")
            ready.set()
            while not stop.is_set():
                collected.extend(json.loads(n.payload) for n in conn.notifies(timeout=0.2))

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    ready.wait(10)
    return t


def reset(c):
    """A fresh database with the same demo bank: the same ids again, for a second run over the same loans."""
    from webapp.bootstrap import create_schema, deploy_processes, deploy_templates, drop_schema, load_demo

    drop_schema(c)
    create_schema(c)
    deploy_processes(c)
    deploy_templates(c)
    load_demo(c, password_hash=FAST_HASH)


@pytest.mark.postgres
@pg
def test_two_workers_take_the_partitions_once_each_and_match_an_in_process_run(container, queue):
    c = container
    marks = [time.perf_counter()]
    template = population(c, 3000)
    marks.append(time.perf_counter())
    on = template.first_due_date + timedelta(days=95)
    expected_summary = postloan.run(c, as_of=on, partition_size=SIZE)
    expected = snapshot(c)
    assert (expected_summary.scanned, expected_summary.downgraded, expected_summary.closed) == (3001, 61, 60)

    marks.append(time.perf_counter())
    start_worker(c, queue)  # they start while the database is built again
    start_worker(c, queue)
    reset(c)
    population(c, 3000)
    wait_for(lambda: postloan_queue.live_workers(c) == 2, what="two workers")
    marks.append(time.perf_counter())
    reports, stop = [], threading.Event()
    listener = listen(c, reports, stop)
    seen = []
    t0 = time.perf_counter()
    summary = postloan.run(c, as_of=on, partition_size=SIZE, progress=lambda *a: seen.append(a),
                           dispatch=postloan_queue.QueueDispatch(c, timeout=30))
    elapsed = time.perf_counter() - t0
    time.sleep(0.3)
    stop.set()
    listener.join(5)

    parts = {(r.lo, r.hi) for _, r, _, _ in seen}
    assert len(seen) == len(parts) == expected["runs"][0][2]["partitions"] == 16
    assert [n for _, _, n, _ in seen] == list(range(1, len(seen) + 1))  # "partition n/total" as each one finishes
    assert sorted((r["lo"], r["hi"]) for r in reports) == sorted(parts)  # each committed exactly once
    by_worker = {r.worker for _, r, _, _ in seen}
    assert len(by_worker) == 2, by_worker  # both workers did some
    assert snapshot(c) == expected
    for name in ("scanned", "classified", "downgraded", "closed", "signals", "tasks"):
        assert getattr(summary, name) == getattr(expected_summary, name), name
    print(f"\n{len(parts)} partitions, {summary.scanned} loans: 2 workers {elapsed:.2f} s, in-process "
          f"{expected_summary.seconds:.2f} s; building {marks[1] - marks[0]:.2f} s, again {marks[3] - marks[2]:.2f} s")


@pytest.mark.postgres
@pg
def test_a_worker_killed_mid_partition_leaves_it_to_another(container, queue):
    c = container
    template = population(c, 500)
    on = template.first_due_date + timedelta(days=95)
    first = start_worker(c, queue)
    wait_for(lambda: postloan_queue.live_workers(c) == 1, what="the first worker")
    notices, result = [], {}
    # Hold the first partition's first loan: the worker taking that partition waits on it, mid-transaction.
    blocker = c.engine.connect()
    blocker.begin()
    blocker.execute(text("SELECT id FROM loan WHERE id = :id FOR UPDATE"), {"id": template.id})

    def run():
        try:
            result["summary"] = postloan.run(c, as_of=on, partition_size=SIZE,
                                             dispatch=postloan_queue.QueueDispatch(c, timeout=40, notice=notices.append))
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            result["error"] = exc

    runner = threading.Thread(target=run)
    runner.start()
    try:
        wait_for(lambda: waiting(c) > 0, what="the worker to wait on the held loan")
        first.kill()  # SIGKILL: no clean shutdown, its transaction dies with its connection
        first.wait()
    finally:
        blocker.rollback()
        blocker.close()
    start_worker(c, queue)
    runner.join(60)
    assert not runner.is_alive() and "error" not in result, result
    assert any("its worker stopped; queued again" in n for n in notices), notices
    assert result["summary"].dates == [on]

    with c.uow() as uow:
        s = uow.session
        run_record = s.get(NightlyRun, on)
        assert run_record.finished_at is not None and run_record.summary["scanned"] == 501
        active = s.scalar(select(func.count()).select_from(Loan).where(Loan.status == "active"))
        assert active == 501 - 10
        # every overdue loan downgraded exactly once, the held one included
        assert s.scalar(select(func.count()).select_from(ClassificationChange)) == 11
        assert s.scalar(select(Loan.classification).where(Loan.id == template.id)) == "substandard"


@pytest.mark.postgres
@pg
def test_catch_up_runs_each_missed_date_once_in_order_and_a_rerun_changes_nothing(container, queue):
    c = container
    template = population(c, 1000, paid_days=120)
    d0 = template.first_due_date + timedelta(days=89)
    postloan.run(c, as_of=d0, partition_size=SIZE)  # the last run before the scheduler went down
    start_worker(c, queue)
    start_worker(c, queue)
    wait_for(lambda: postloan_queue.live_workers(c) == 2, what="two workers")
    seen = []
    summary = postloan.run(c, as_of=d0 + timedelta(days=3), partition_size=SIZE,
                           progress=lambda day, r, n, total: seen.append((day, n, total)),
                           dispatch=postloan_queue.QueueDispatch(c, timeout=30))
    days = [d0 + timedelta(days=k) for k in (1, 2, 3)]
    assert summary.dates == days
    # all partitions of a date reported before the next date's first one: the dates ran in order
    assert [day for day, _, _ in seen] == sorted(day for day, _, _ in seen)
    for day in days:
        assert [n for d, n, _ in seen if d == day] == list(range(1, [t for d, _, t in seen if d == day][0] + 1))
    assert summary.downgraded > 0  # 91 days past due on d0 + 2: special mention becomes substandard
    with c.uow() as uow:
        dpd = uow.session.scalar(select(Loan.days_past_due).where(Loan.id == template.id))
    assert dpd == 92
    before = snapshot(c)
    assert [r[0] for r in before["runs"]] == [d0, *days] and all(r[1] for r in before["runs"])

    again = postloan.run(c, as_of=days[-1], partition_size=SIZE, dispatch=postloan_queue.QueueDispatch(c, timeout=30))
    assert again.dates == [days[-1]] and (again.classified, again.downgraded, again.closed) == (0, 0, 0)
    assert snapshot(c) == before


@pytest.mark.postgres
@pg
def test_a_run_with_no_worker_gives_up_with_a_clear_message_and_leaves_nothing_queued(container, queue):
    c = container
    template = population(c, 50)
    on = template.first_due_date + timedelta(days=10)
    t0 = time.monotonic()
    with pytest.raises(postloan_queue.QueueError, match="no partition finished in 2 s.*postloan worker"):
        postloan.run(c, as_of=on, partition_size=10, dispatch=postloan_queue.QueueDispatch(c, timeout=2))
    assert time.monotonic() - t0 < 10
    with c.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'")) == 0
    with c.uow() as uow:
        assert uow.session.get(NightlyRun, on).finished_at is None  # unfinished: the next run takes it again
    # the run's own workers all gone: no point waiting out the timeout
    with pytest.raises(postloan_queue.QueueError, match="all exited"):
        postloan.run(c, as_of=on, partition_size=10, dispatch=postloan_queue.QueueDispatch(
            c, timeout=30, watch=lambda: "the run's worker processes all exited (codes 1)"))
    assert time.monotonic() - t0 < 15
    # with no worker alive, the CLI's default runs the partitions in-process, and says so
    notices = []
    with postloan_queue.dispatcher(c, notice=notices.append) as dispatch:
        assert dispatch is postloan.in_process
    assert notices and "no postloan worker is running" in notices[0]


@pytest.mark.postgres
@pg
def test_the_cli_starts_its_own_workers(container, queue, monkeypatch, capsys):
    from webapp import cli

    c = container
    template = population(c, 300)
    monkeypatch.setenv("CREDITFACTORY_DATABASE_URL", c.database_url)
    on = template.first_due_date + timedelta(days=95)
    assert cli.main(["postloan", "run", "--as-of", on.isoformat(), "--partition-size", "100", "--workers", "2",
                     "--timeout", "30"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len([line for line in out if " partition " in line]) == 4
    assert out[-1].startswith(f"business dates {on.isoformat()}: 301 loans scanned") and "6 closed" in out[-1]
    assert postloan_queue.live_workers(c) == 0  # stopped with the run


@pytest.mark.skipif(is_postgres(), reason="what SQLite does instead of the queue")
def test_on_sqlite_partitions_run_in_process_and_the_worker_refuses(container, monkeypatch, capsys):
    from webapp import cli

    with postloan_queue.dispatcher(container, workers=2) as dispatch:
        assert dispatch is postloan.in_process  # no worker process is started
    monkeypatch.setenv("CREDITFACTORY_DATABASE_URL", container.database_url)
    assert cli.main(["postloan", "worker"]) == 2
    assert "needs PostgreSQL" in capsys.readouterr().err
    assert cli.main(["postloan", "run", "--workers", "-1"]) == 2
    assert cli.main(["postloan", "run", "--workers", "2", "--in-process"]) == 2


@pytest.mark.postgres
@pg
def test_the_schedulers_nightly_job_takes_the_same_path(container, queue):
    from datetime import time as clock_time

    from webapp.scheduler import nightly_if_due

    c = container
    population(c, 200)
    start_worker(c, queue)
    wait_for(lambda: postloan_queue.live_workers(c) == 1, what="a worker")
    reports, stop = [], threading.Event()
    listener = listen(c, reports, stop)
    summary = nightly_if_due(c, clock_time(1, 30))
    time.sleep(0.3)
    stop.set()
    listener.join(5)
    assert summary.dates == [c.clock.now().date()] and summary.scanned == 201
    assert len(reports) == 1 and reports[0]["worker"] != "in-process"  # one partition of 10,000, on the worker
    assert nightly_if_due(c, clock_time(1, 30)) is None  # that date is done


@pytest.mark.postgres
@pg
def test_a_partition_that_fails_fails_the_date_and_the_dates_after_it_wait(container, queue):
    c = container
    template = population(c, 300)
    on = template.first_due_date + timedelta(days=95)
    postloan.run(c, as_of=on - timedelta(days=1), partition_size=100)  # then two dates to catch up: on, on + 1
    with c.engine.begin() as conn:  # the held-back loan's update fails: a bug, not a lost connection, so no retry
        conn.execute(text("CREATE FUNCTION refuse_loan() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                          "RAISE EXCEPTION 'refused for the test'; END $$"))
        conn.execute(text(f"CREATE TRIGGER refuse_loan BEFORE UPDATE ON loan FOR EACH ROW "
                          f"WHEN (OLD.id = {template.id}) EXECUTE FUNCTION refuse_loan()"))
    try:
        start_worker(c, queue)
        wait_for(lambda: postloan_queue.live_workers(c) == 1, what="a worker")
        with pytest.raises(postloan_queue.QueueError, match=f"partition loans {template.id}..{template.id + 99} failed"):
            postloan.run(c, as_of=on + timedelta(days=1), partition_size=100,
                         dispatch=postloan_queue.QueueDispatch(c, timeout=30))
    finally:
        with c.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse_loan ON loan"))
            conn.execute(text("DROP FUNCTION refuse_loan()"))
    with c.uow() as uow:
        runs = [(r.as_of, r.finished_at is not None)
                for r in uow.session.scalars(select(NightlyRun).order_by(NightlyRun.as_of))]
    assert runs == [(on - timedelta(days=1), True), (on, False)]  # `on` unfinished; on + 1 not started
    with c.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'")) == 0
