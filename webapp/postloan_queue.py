"""The nightly run's partitions on PostgreSQL, as procrastinate jobs: any number of worker processes, on
one machine or several, take them from the database itself (no broker to run).

- `run_worker` is `creditfactory postloan worker`: it takes partition jobs from the queue "postloan",
  each run by `postloan.run_partition` in its own transaction. The last statement of that transaction is
  a NOTIFY with the partition's counts, so the run hears of a partition if and only if it committed.
- `QueueDispatch` is how `postloan run` and the scheduler run one business date on the queue: it LISTENs,
  enqueues the date's partitions, reports each as its NOTIFY arrives and returns once all have. Meanwhile
  it re-queues a partition whose worker stopped sending heartbeats (killed, machine lost: its transaction
  rolled back with its connection, and a partition is idempotent for its date), fails the date when a
  job fails for good, and gives up with a clear message, cancelling what no one took, when no partition
  finished for `timeout` seconds. `postloan.run` only starts date D+1 once D is finished.
- `dispatcher` picks: in-process on SQLite, or when asked, or when no worker is alive; else the queue.
  `LocalWorkers` starts worker processes for one run (`postloan run --workers N`).

The only module that imports procrastinate. Its tables are created here, on first use, under an
advisory lock (several workers may start at once); the version is pinned in pyproject.toml.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Callable, Iterator

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from . import postloan
from .bootstrap import Container
from .postloan import PartitionDone

log = logging.getLogger("creditfactory.postloan")

QUEUE = "postloan"
TASK = "postloan.partition"
CHANNEL = "creditfactory_postloan_done"
HEARTBEAT = 2.0  # seconds between a worker's heartbeats
STALLED_AFTER = 10.0  # a worker silent this long is gone: its running partition is queued again
TIMEOUT = 120.0  # seconds without a partition finishing before a run gives up
POLL = 0.5
COUNTS = ("scanned", "changed", "downgraded", "closed", "signals", "tasks")


class QueueError(RuntimeError):
    """The date could not be run on the queue; it stays unfinished and a later run takes it again."""


def is_postgres(c: Container) -> bool:
    return c.engine.dialect.name == "postgresql"


def conninfo(c: Container) -> str:
    return make_url(c.database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_schema(c: Container) -> None:
    """procrastinate's tables, functions and triggers, once per database."""
    from procrastinate.schema import SchemaManager

    with psycopg.connect(conninfo(c)) as conn:  # one transaction: the schema appears whole or not at all
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('creditfactory.procrastinate_schema'))")
        if conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0] is None:
            conn.execute(SchemaManager.get_schema())
            log.info("procrastinate schema created")


def make_app(c: Container, worker: str = ""):
    import procrastinate
    from sqlalchemy.exc import OperationalError

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(c)))

    # A lost connection or a deadlock is not the partition's fault: try again, twice, a second apart.
    @app.task(name=TASK, queue=QUEUE, retry=procrastinate.RetryStrategy(
        max_attempts=2, wait=1, retry_exceptions={OperationalError, psycopg.OperationalError}))
    def partition(day: str, lo: int, hi: int, actor: str, run: str) -> None:
        started = time.perf_counter()

        def report(s, result) -> None:
            done = PartitionDone.of(result, worker, time.perf_counter() - started)
            payload = {"run": run, "lo": lo, "hi": hi, "worker": worker, "seconds": round(done.seconds, 3),
                       **{k: getattr(done, k) for k in COUNTS}}
            s.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": json.dumps(payload)})

        postloan.run_partition(c, date.fromisoformat(day), lo, hi, actor, then=report)

    return app


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_worker(c: Container, concurrency: int = 1) -> None:
    """Take partition jobs until SIGTERM or SIGINT (a partition being run is finished first)."""
    ensure_schema(c)
    name = worker_name()
    app = make_app(c, name)
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    log.info("postloan worker %s: %d at a time, queue %r", name, concurrency, QUEUE)
    app.run_worker(queues=[QUEUE], name=name, concurrency=concurrency, update_heartbeat_interval=HEARTBEAT,
                   stalled_worker_timeout=STALLED_AFTER, delete_jobs="successful")


def live_workers(c: Container) -> int:
    with c.engine.connect() as conn:
        if conn.scalar(text("SELECT to_regclass('procrastinate_workers')")) is None:
            return 0
        return conn.scalar(text("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > "
                                "now() - make_interval(secs => :s)"), {"s": STALLED_AFTER})


class QueueDispatch:
    """Runs one business date's partitions on the queue (a `postloan.Dispatch`)."""

    def __init__(self, c: Container, timeout: float = TIMEOUT, notice: Callable[[str], None] | None = None,
                 watch: Callable[[], str | None] | None = None):
        self.timeout = timeout
        self.notice = notice or log.warning
        self.watch = watch  # says why waiting is pointless (the run's own workers are all gone), or None
        ensure_schema(c)
        self.app = make_app(c)

    def __call__(self, c: Container, day: date, parts: list[tuple[int, int]], actor: str,
                 done: Callable[[PartitionDone], None]) -> None:
        if not parts:
            return
        run = uuid.uuid4().hex  # tells this run's reports from those of an earlier run of the same date
        with psycopg.connect(conninfo(c), autocommit=True) as listener, self.app.open():
            listener.execute(f"LISTEN {CHANNEL}")  # before enqueueing: no report can be missed
            ids = self.app.tasks[TASK].batch_defer(*({"day": day.isoformat(), "lo": lo, "hi": hi, "actor": actor,
                                                       "run": run} for lo, hi in parts))
            jobs = dict(zip(parts, ids))
            try:
                self._wait(c, listener, day, run, jobs, done)
            except BaseException:
                self._cancel(list(jobs.values()))  # what no worker took yet will not run after this run gave up
                raise

    def _wait(self, c, listener, day: date, run: str, jobs: dict[tuple[int, int], int], done) -> None:
        last_progress = time.monotonic()
        while jobs:
            for n in listener.notifies(timeout=POLL):
                report = json.loads(n.payload)
                key = (report["lo"], report["hi"])
                if report.get("run") == run and key in jobs:  # a partition re-run after its commit reports twice
                    del jobs[key]
                    done(PartitionDone(*key, **{k: report[k] for k in COUNTS}, worker=report["worker"],
                                       seconds=report["seconds"]))
                    last_progress = time.monotonic()
                if not jobs:
                    return
            self._check(c, day, jobs)
            gone = self.watch() if self.watch is not None else None
            if gone:
                raise QueueError(f"{day.isoformat()}: {gone}. The date stays unfinished; the next run takes it again.")
            if time.monotonic() - last_progress > self.timeout:
                todo, doing = self._counts(c, list(jobs.values()))
                raise QueueError(
                    f"{day.isoformat()}: no partition finished in {self.timeout:.0f} s ({len(jobs)} left: {todo} not "
                    f"taken, {doing} running). Is a `creditfactory postloan worker` running against this database? "
                    "Or run with --workers N, or --in-process. The date stays unfinished; the next run takes it again.")

    def _check(self, c, day: date, jobs: dict[tuple[int, int], int]) -> None:
        """Re-queue the partitions of stalled workers; fail on a partition that failed for good."""
        by_id = {v: k for k, v in jobs.items()}
        with c.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT j.id, j.status, w.id IS NULL OR w.last_heartbeat < now() - make_interval(secs => :s) "
                "FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w ON w.id = j.worker_id "
                "WHERE j.id = ANY(:ids) AND j.status IN ('doing', 'failed', 'cancelled', 'aborted')"),
                {"ids": list(by_id), "s": STALLED_AFTER}).all()
        for job_id, status, stalled in rows:
            lo, hi = by_id[job_id]
            if status == "doing" and stalled:
                self.notice(f"{day.isoformat()} partition loans {lo}..{hi - 1}: its worker stopped; queued again")
                self.app.job_manager.retry_job_by_id(job_id, retry_at=datetime.now(timezone.utc))
            elif status != "doing":
                raise QueueError(f"{day.isoformat()} partition loans {lo}..{hi - 1} {status} (job {job_id}; see the "
                                 "worker's log). The date stays unfinished; the next run takes it again.")

    def _counts(self, c, ids: list[int]) -> tuple[int, int]:
        with c.engine.connect() as conn:
            row = conn.execute(text("SELECT count(*) FILTER (WHERE status = 'todo'), count(*) FILTER (WHERE status = "
                                    "'doing') FROM procrastinate_jobs WHERE id = ANY(:ids)"), {"ids": ids}).one()
        return row[0], row[1]

    def _cancel(self, ids: list[int]) -> None:
        for job_id in ids:
            try:
                self.app.job_manager.cancel_job_by_id(job_id)  # only jobs still waiting: 'todo'
            except (DBAPIError, psycopg.Error, RuntimeError):
                log.exception("job %s not cancelled", job_id)


class LocalWorkers:
    """N worker processes on this machine for the length of one run."""

    def __init__(self, c: Container, n: int, concurrency: int = 1):
        env = {**os.environ, "CREDITFACTORY_DATABASE_URL": c.database_url}
        self.procs = [subprocess.Popen([sys.executable, "-m", "webapp.cli", "postloan", "worker",
                                        "--concurrency", str(concurrency)], env=env) for _ in range(n)]

    def gone(self) -> str | None:
        codes = [p.poll() for p in self.procs]
        if all(code is not None for code in codes):
            return f"the run's worker processes all exited (codes {', '.join(map(str, codes))}; see their log)"
        return None

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@contextmanager
def dispatcher(c: Container, workers: int | None = None, in_process: bool = False, timeout: float = TIMEOUT,
               notice: Callable[[str], None] | None = None) -> Iterator[postloan.Dispatch]:
    """The way to run partitions: in this process on SQLite or when asked; on the queue with `workers`
    local worker processes started for the run; else on the queue when a worker is alive, in this
    process (with a notice) when none is."""
    say = notice or log.warning
    if not is_postgres(c) or in_process:
        yield postloan.in_process
        return
    if workers:
        ensure_schema(c)
        local = LocalWorkers(c, workers)
        try:
            yield QueueDispatch(c, timeout, say, watch=local.gone)
        finally:
            local.stop()
        return
    if live_workers(c) == 0:
        say("no postloan worker is running: the partitions run in this process "
            "(start `creditfactory postloan worker`, or use --workers N)")
        yield postloan.in_process
        return
    yield QueueDispatch(c, timeout, say)
