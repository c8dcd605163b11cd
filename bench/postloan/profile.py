"""The post-loan benchmark's --profile: partition-size sweep, statement timings, cProfile, EXPLAIN ANALYZE."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date

from bench.postloan.config import DAY, ROOT, _label
from bench.postloan.runs import measured_run

# -- profile: EXPLAIN ANALYZE of one partition's statements ---------------------------------------

def explain(url: str, as_of: date, lo: int, hi: int) -> list[dict]:
    """The partition's statements captured from a real run of it, then each EXPLAIN (ANALYZE, BUFFERS)'d in a
    transaction that is rolled back (PostgreSQL). Needs a database where the partition has not run for as_of."""
    import psycopg
    from sqlalchemy import event

    from webapp import postloan
    from webapp.bootstrap import bootstrap

    c = bootstrap(url)
    captured: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    class Rollback(Exception):
        pass

    event.listen(c.engine, "before_cursor_execute", before)
    original_commit = None
    try:
        from engine.db import UnitOfWork

        original_commit = UnitOfWork.commit

        def no_commit(self):
            raise Rollback

        UnitOfWork.commit = no_commit
        try:
            postloan.run_partition(c, as_of, lo, hi)
        except Rollback:
            pass
    finally:
        if original_commit:
            UnitOfWork.commit = original_commit
        event.remove(c.engine, "before_cursor_execute", before)
    c.engine.dispose()
    plans = []
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        for statement, params in captured:
            sql = statement.strip()
            if not sql.upper().startswith(("SELECT", "UPDATE", "INSERT", "DELETE", "WITH")):
                continue
            try:
                rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
            except psycopg.Error as exc:
                plans.append({"sql": " ".join(sql.split())[:400], "error": str(exc).splitlines()[0]})
                conn.rollback()
                continue
            plan = [r[0] for r in rows]
            total = next((float(m.group(1)) for line in plan for m in [re.search(r"Execution Time: ([\d.]+)", line)]
                          if m), None)
            plans.append({"sql": " ".join(sql.split())[:400], "execution_ms": total, "plan": plan[:25]})
        conn.rollback()  # everything explained was executed: undo it
    return plans


def child_explain(url: str, as_of: date, lo: int, hi: int) -> list[dict]:
    return explain(url, as_of, lo, hi)


def profile_size(db: str, n: int, fresh_copy, log) -> dict:
    prof: dict = {"partition_sweep": []}
    for size in (1_000, 10_000, 50_000):
        url = fresh_copy()
        r = measured_run(url, DAY, f"sweep_{size}", partition_size=size)
        log(f"{db} {_label(n)} partition size {size}: {r['wall_s']} s wall, {r['cpu_s']} s app CPU, "
            f"{r['pg_backend_cpu_s']} s backend CPU")
        prof["partition_sweep"].append({k: r[k] for k in ("partition_size", "wall_s", "cpu_s", "pg_backend_cpu_s",
                                                           "peak_rss_mb", "load_before", "load_after", "summary")})
    url = fresh_copy()
    r = measured_run(url, DAY, "statements", statements=True, profile=True)
    prof["statements"] = r.get("statements")
    prof["cprofile_top"] = r.get("cprofile")
    prof["statements_run_wall_s"] = r["wall_s"]
    if db == "pg":
        url = fresh_copy()
        proc = subprocess.run([sys.executable, "-m", "bench.postloan", "_explain", "--url", url, "--as-of",
                               DAY.isoformat(), "--lo", "1", "--hi", "10001"], capture_output=True, text=True,
                              cwd=ROOT)
        prof["explain_partition_1_10000"] = (json.loads(proc.stdout.strip().splitlines()[-1])
                                             if proc.returncode == 0 else proc.stderr[-3000:])
    return prof
