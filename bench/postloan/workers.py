"""The job queue's worker processes for the post-loan benchmark's queue runs."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
import time

from bench.postloan.config import ROOT

def queue_available() -> bool:
    """Whether the job queue for partitions with worker processes (`creditfactory postloan worker`) has landed."""
    return (ROOT / "webapp" / "postloan_queue.py").exists()


QUEUE_WORKERS = 2


def start_workers(url: str, n: int, timeout: float = 90.0) -> list[subprocess.Popen]:
    """`creditfactory postloan worker` x n against `url`, started before the run (as they run in production:
    long-lived), once all n send heartbeats."""
    import psycopg

    env = {**os.environ, "CREDITFACTORY_DATABASE_URL": url}
    logs = pathlib.Path(tempfile.gettempdir()) / "bench_postloan_workers.log"
    with logs.open("a") as out:
        procs = [subprocess.Popen([sys.executable, "-m", "webapp.cli", "postloan", "worker"], env=env, cwd=ROOT,
                                  stdout=out, stderr=out) for _ in range(n)]
    deadline = time.monotonic() + timeout
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in procs):
                stop_workers(procs)
                raise SystemExit(f"postloan bench: a worker exited at start; see {logs}")
            if conn.execute("SELECT to_regclass('procrastinate_workers')").fetchone()[0] is not None:
                alive = conn.execute("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > "
                                     "now() - interval '10 seconds'").fetchone()[0]
                if alive >= n:
                    return procs
            time.sleep(0.2)
    stop_workers(procs)
    raise SystemExit(f"postloan bench: {n} workers did not start in {timeout:.0f} s; see {logs}")


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
