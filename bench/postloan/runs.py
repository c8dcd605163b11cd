"""Timed runs of the nightly post-loan run (and builds) in fresh processes, with their CPU and RSS from /proc."""
from __future__ import annotations

import contextlib
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import threading
import time
from datetime import date

from bench.postloan.builder import build, fingerprint, pg_url
from bench.postloan.config import CLK_TCK, ROOT

# -- one run in a fresh process --------------------------------------------------------------------

def child_run(url: str, as_of: date, partition_size: int | None, statements: bool, profile: bool) -> dict:
    """`creditfactory postloan run --as-of D` in this (fresh) process, timed around the call."""
    import resource

    os.environ["CREDITFACTORY_DATABASE_URL"] = url
    from webapp import cli
    from webapp.bootstrap import bootstrap

    argv = ["postloan", "run", "--as-of", as_of.isoformat()]
    if partition_size:
        argv += ["--partition-size", str(partition_size)]
    rss_before = _vm("VmRSS")
    timings: dict[str, list[float]] = {}
    if statements:
        _time_statements(timings)
    out = io.StringIO()
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(out):
        if prof:
            prof.enable()
        code = cli.main(argv)
        if prof:
            prof.disable()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    lines = out.getvalue().splitlines()
    c = bootstrap(url)
    result = {"exit": code, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
              "rss_before_mb": round(rss_before / 1024, 1),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
              "progress_lines": len(lines) - 1, "summary": lines[-1] if lines else "", "progress_sample": lines[:2],
              "run_seconds": _seconds(lines[-1] if lines else ""), "after": fingerprint(c)}
    if statements:
        result["statements"] = sorted(({"sql": sql[:300], "calls": len(t), "total_s": round(sum(t), 3)}
                                       for sql, t in timings.items()), key=lambda s: -s["total_s"])[:15]
    if prof:
        import pstats

        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
        result["cprofile"] = buf.getvalue()[-6000:]
    c.engine.dispose()
    return result


def _seconds(summary: str):
    m = re.search(r"([\d.]+) s$", summary)
    return float(m.group(1)) if m else None


def _time_statements(timings: dict) -> None:
    """Every statement the run sends, timed, grouped by its text (numbers blanked)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        t = time.perf_counter() - conn.info["bench_t0"].pop()
        key = re.sub(r"\b\d+\b", "N", " ".join(statement.split()))
        timings.setdefault(key, []).append(t)


def _vm(field: str) -> int:
    """A /proc/self/status figure in kB."""
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


# -- sampling /proc while a run goes ---------------------------------------------------------------

def _proc_cpu(pid: int) -> float | None:
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def _machine_busy() -> float:
    cpu = pathlib.Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in cpu]
    return (sum(values[:8]) - values[3] - values[4]) / CLK_TCK  # all but idle and iowait


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for p in pathlib.Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(p.name))
    out, todo = set(), [pid]
    while todo:
        for ch in children.get(todo.pop(), []):
            if ch not in out:
                out.add(ch)
                todo.append(ch)
    return out


class Sampler(threading.Thread):
    """Every 0.1 s: the CPU of the run's process tree and of the PostgreSQL backends serving `database`
    (the last figure seen per pid: a backend that ends loses at most 0.1 s)."""

    def __init__(self, root_pid: int, database: str | None, workers: list[int] = (),
                 baseline: dict[int, float] | None = None):
        super().__init__(daemon=True)
        self.root, self.database, self.stop = root_pid, database, threading.Event()
        self.workers = list(workers)  # worker processes started before the run (not its descendants)
        self.baseline = baseline or {}  # CPU of those, and of backends already there, before the run
        self.tree: dict[int, float] = {}
        self.backends: dict[int, float] = {}
        self.worker_hwm_kb: dict[int, int] = {}
        self.kinds: dict[int, str] = {}  # backend pid -> client backend | autovacuum worker | ...
        self._conn = None
        if database:
            import psycopg

            self._conn = psycopg.connect(pg_url("postgres").replace("+psycopg", ""), autocommit=True)

    def backend_pids(self) -> list[int]:
        if not self._conn:
            return []
        rows = self._conn.execute("SELECT pid, backend_type FROM pg_stat_activity WHERE datname = %s",
                                  (self.database,)).fetchall()
        self.kinds.update({pid: kind for pid, kind in rows})
        return [pid for pid, _ in rows]

    def backend_cpu_by_kind(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for p, v in self.backends.items():
            kind = self.kinds.get(p, "?")
            out[kind] = round(out.get(kind, 0.0) + v - self.baseline.get(p, 0.0), 3)
        return out

    def tree_cpu(self) -> float:
        return sum(v - self.baseline.get(p, 0.0) for p, v in self.tree.items())

    def backend_cpu(self) -> float:
        return sum(v - self.baseline.get(p, 0.0) for p, v in self.backends.items())

    def run(self):
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(0.1)
        self.sample()
        if self._conn:
            self._conn.close()

    def sample(self):
        for pid in {self.root} | _descendants(self.root) | set(self.workers):
            cpu = _proc_cpu(pid)
            if cpu is not None:
                self.tree[pid] = max(cpu, self.tree.get(pid, 0))
                try:
                    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.worker_hwm_kb[pid] = int(line.split()[1])
                except OSError:
                    pass
        if self._conn:
            for pid in self.backend_pids():
                cpu = _proc_cpu(pid)
                if cpu is not None:
                    self.backends[pid] = max(cpu, self.backends.get(pid, 0))


def _postgres_all_cpu() -> float:
    total = 0.0
    for p in pathlib.Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if (p / "comm").read_text().strip() == "postgres":
                    total += _proc_cpu(int(p.name)) or 0
            except OSError:
                pass
    return total


def measured_run(url: str, as_of: date, label: str, partition_size: int | None = None, statements=False,
                 profile=False, workers: list[int] = ()) -> dict:
    """One run in a fresh process, with the machine's figures around it. `workers`: the pids of queue worker
    processes started for it (their CPU during the run is counted with the run's)."""
    database = url.rsplit("/", 1)[1] if url.startswith("postgresql") else None
    baseline = {p: _proc_cpu(p) or 0.0 for p in workers}
    if database:
        probe = Sampler(0, database)
        baseline.update({p: _proc_cpu(p) or 0.0 for p in probe.backend_pids()})
        probe._conn.close()
    load_before = os.getloadavg()
    busy0, pg0 = _machine_busy(), _postgres_all_cpu() if database else 0.0
    cmd = [sys.executable, "-m", "bench.postloan", "_run", "--url", url, "--as-of", as_of.isoformat()]
    if partition_size:
        cmd += ["--partition-size", str(partition_size)]
    if statements:
        cmd.append("--statements")
    if profile:
        cmd.append("--cprofile")
    wall0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    sampler = Sampler(proc.pid, database, workers, baseline)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.stop.set()
    sampler.join()
    process_wall = time.perf_counter() - wall0
    busy, pg_all = _machine_busy() - busy0, (_postgres_all_cpu() - pg0) if database else 0.0
    load_after = os.getloadavg()
    if proc.returncode != 0:
        raise SystemExit(f"postloan bench: run {label} failed ({proc.returncode}):\n{stderr[-4000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    app_cpu, by_kind = sampler.tree_cpu(), sampler.backend_cpu_by_kind()
    backend_cpu = by_kind.get("client backend", 0.0)  # the run's and the workers' connections
    workers_cpu = sum(sampler.tree.get(p, 0.0) - baseline.get(p, 0.0) for p in workers)
    result.update({
        "label": label, "as_of": as_of.isoformat(), "partition_size": partition_size or 10_000,
        "process_wall_s": round(process_wall, 2),  # with interpreter start and imports
        "process_tree_cpu_s": round(app_cpu, 3), "pg_backend_cpu_s": round(backend_cpu, 3),
        "workers_cpu_s": round(workers_cpu, 3), "workers": len(workers),
        "pg_cpu_by_backend_type_s": by_kind,  # autovacuum of the run's database shows here, apart
        "postgres_all_cpu_s": round(pg_all, 3) if database else None,  # every postgres process, all databases
        "machine_busy_cpu_s": round(busy, 2),
        "others_cpu_s": round(busy - app_cpu - (pg_all if database else 0.0), 2),  # other helpers' tests meanwhile
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in load_after],
    })
    if len(sampler.tree) > 1:
        result["worker_peak_rss_mb"] = {str(p): round(kb / 1024, 1) for p, kb in sampler.worker_hwm_kb.items()
                                        if p != proc.pid}
    return result


def child_build(url: str, n: int) -> dict:
    return build(url, n, log=lambda m: print(m, file=sys.stderr, flush=True))


def measured_build(url: str, n: int) -> dict:
    t0, load = time.perf_counter(), os.getloadavg()
    proc = subprocess.run([sys.executable, "-m", "bench.postloan", "_build", "--url", url, "--n", str(n)],
                          stdout=subprocess.PIPE, stderr=None, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"postloan bench: build of {n} loans failed ({proc.returncode})")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.update({"process_wall_s": round(time.perf_counter() - t0, 1), "load_before": [round(x, 2) for x in load],
                "load_after": [round(x, 2) for x in os.getloadavg()]})
    return out
