"""The post-loan benchmark's results: the summary written to bench/results/postloan.json, and merging files."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from datetime import datetime, timezone

from bench.postloan.config import CATCH_UP, DAY, ROOT, RUNS
from bench.postloan.workers import queue_available

def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _git_dirty_paths() -> list[str]:
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", "credit", "webapp", "engine", "migrations",
                              "processes"], cwd=ROOT, capture_output=True, text=True).stdout
    except OSError:
        return []
    return [line[3:] for line in out.splitlines()]


def summarise(results: list[dict], started: datetime, modes: list[str]) -> dict:
    def first(db, n, mode="inprocess"):
        for r in results:
            if r["database"] == db and r["loans"] == n and mode in r["modes"]:
                return next((run for run in r["modes"][mode] if run["label"] == "first"), None)
        return None

    def seconds(run):
        return None if run is None else run["wall_s"]

    def cpu(run):
        return None if run is None else round(run["cpu_s"] + run.get("workers_cpu_s", 0.0) + run["pg_backend_cpu_s"], 2)

    table = []
    for r in results:
        for mode, runs in r["modes"].items():
            for run in runs:
                app = run["cpu_s"] + run.get("workers_cpu_s", 0.0)
                table.append({"database": r["database"], "loans": r["loans"], "mode": mode, "run": run["label"],
                              "as_of": run["as_of"], "wall_s": run["wall_s"], "app_cpu_s": round(app, 3),
                              "pg_backend_cpu_s": run["pg_backend_cpu_s"],
                              "cpu_ms_per_1k_loans": round(1000 * (app + run["pg_backend_cpu_s"])
                                                           / (r["loans"] / 1000), 2),
                              "peak_rss_mb": run["peak_rss_mb"], "others_cpu_s": run["others_cpu_s"],
                              "load_before": run["load_before"][0], "load_after": run["load_after"][0],
                              "summary": run["summary"]})
    pg_rss = {str(r["loans"]): first("postgresql", r["loans"])["peak_rss_mb"] for r in results
              if r["database"] == "postgresql" and first("postgresql", r["loans"])}
    sqlite_rss = {str(r["loans"]): first("sqlite", r["loans"])["peak_rss_mb"] for r in results
                  if r["database"] == "sqlite" and first("sqlite", r["loans"])}
    queue_rss = {str(r["loans"]): max([run["peak_rss_mb"]] + list(run.get("worker_peak_rss_mb", {}).values()))
                 for r in results for run in [first("postgresql", r["loans"], "queue")] if run}
    pg100k, pg1m = first("postgresql", 100_000), first("postgresql", 1_000_000)
    ratio = None
    if first("postgresql", 10_000) and pg100k:
        ratio = round(pg100k["wall_s"] / first("postgresql", 10_000)["wall_s"], 2)
    out = {
        "seconds_sqlite": seconds(first("sqlite", 100_000)),
        "seconds_postgresql": seconds(pg100k),
        "seconds_postgresql_1m": seconds(pg1m),
        # the same runs through the job queue with 2 worker processes started beforehand (`postloan run` uses
        # running workers when there are some); the keys above are the default path with none running
        "seconds_postgresql_queue2": seconds(first("postgresql", 100_000, "queue")),
        "seconds_postgresql_1m_queue2": seconds(first("postgresql", 1_000_000, "queue")),
        # CPU seconds (run process + workers + PostgreSQL backends): what the noisy machine does not inflate
        "cpu_seconds_postgresql": cpu(pg100k), "cpu_seconds_postgresql_1m": cpu(pg1m),
        "cpu_seconds_sqlite": cpu(first("sqlite", 100_000)),
        "peak_rss_mb": pg_rss,  # the run's process, PostgreSQL, first run of the date, by number of loans
        "peak_rss_mb_sqlite": sqlite_rss,
        "peak_rss_mb_queue2": queue_rss,  # the largest of the run's process and its 2 workers
        "targets": {"seconds_postgresql": 10, "seconds_postgresql_1m": 100, "rss": "flat across sizes"},
        "met": {"seconds_postgresql": None if pg100k is None else pg100k["wall_s"] < 10,
                "seconds_postgresql_1m": None if pg1m is None else pg1m["wall_s"] < 100,
                "rss_flat": None if len(pg_rss) < 2 else max(pg_rss.values()) <= 1.25 * min(pg_rss.values())},
        "wall_ratio_100k_over_10k_postgresql": ratio,
        "path": "creditfactory postloan run --as-of D (webapp.cli.main in a fresh process; partitions of 10,000)",
        "business_date": DAY.isoformat(), "runs": ["first: D", "again: D (must change nothing)",
                                                   f"catch_up: D+{CATCH_UP} ({CATCH_UP} dates)"],
        "table": table,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git_commit(), "uncommitted_in_code": _git_dirty_paths(),
        "hooks": {"signals": _hook_state("postloan_signals"), "inspections": _hook_state("postloan_inspections"),
                  "queue": queue_available()},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "load_at_end": os.getloadavg()},
        "detail": results,
    }
    return out


def _hook_state(name: str) -> str:
    path = ROOT / "webapp" / f"{name}.py"
    text_ = path.read_text() if path.exists() else ""
    return "stub (returns 0)" if text_.rstrip().endswith("return 0") and text_.count("\n") < 30 else "implemented"


def merge_files(out: str, sources: list[str]) -> None:
    """`python -m bench.postloan _merge OUT IN...`: the results of separate invocations (e.g. 1M measured in its
    own process) in one file, run by run, summed up again."""
    results: dict = {}
    started = None
    for src in [out] + sources:
        if not pathlib.Path(src).exists():
            continue
        data = json.loads(pathlib.Path(src).read_text())
        started = started or data.get("started_at")
        for r in data.get("detail", []):
            old = results.get((r["database"], r["loans"]))
            modes = dict(old["modes"]) if old else {}
            for mode, runs in r["modes"].items():
                now = {run["label"] for run in runs}
                modes[mode] = sorted([run for run in modes.get(mode, []) if run["label"] not in now] + runs,
                                     key=lambda run: [label for label, _ in RUNS].index(run["label"]))
            results[(r["database"], r["loans"])] = {**r, "modes": modes}
    ordered = sorted(results.values(), key=lambda r: (r["database"] != "postgresql", r["loans"]))
    merged = summarise(ordered, datetime.fromisoformat(started) if started else datetime.now(timezone.utc), [])
    pathlib.Path(out).write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in merged.items() if k.startswith(("seconds", "cpu", "peak", "met"))}))
