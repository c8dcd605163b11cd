"""The post-loan benchmark itself: each database and size built (or reused), copied and run, and `main`."""
from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import tempfile
import time
from datetime import datetime, timezone

from bench.postloan import builder, portfolio
from bench.postloan.builder import _pg_admin, pg_recreate, pg_url
from bench.postloan.config import PG_WORK, RESULTS, ROOT, RUNS, SIZES, _label, _size
from bench.postloan.profile import profile_size
from bench.postloan.report import summarise
from bench.postloan.runs import measured_build, measured_run
from bench.postloan.workers import QUEUE_WORKERS, queue_available, start_workers, stop_workers

# -- the benchmark ---------------------------------------------------------------------------------

def _head_revision() -> str:
    from alembic.script import ScriptDirectory
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(cfg).get_current_head()


def _pg_reusable(database: str, n: int) -> dict | None:
    """The build recorded on a kept base database (COMMENT ON DATABASE), if it is complete, of `n` loans, at
    the migrations' head and made by this builder."""
    import psycopg

    with psycopg.connect(pg_url("postgres").replace("+psycopg", ""), autocommit=True) as conn:
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           (database,)).fetchone()
    if not row or not row[0]:
        return None
    try:
        built = json.loads(row[0])
    except ValueError:
        return None
    ok = built.get("loans_active") == n and built.get("builder") == _builder_digest()
    return built if ok else None  # a base at an older revision is migrated on each copy (fresh_copy)


def _builder_digest() -> str:
    """The builder's source (the portfolio, then the databases) as it stood in one file before the split, so
    the digest and the kept bases stay what they were."""
    import hashlib

    parts = []
    for module, start in ((portfolio, "# -- the portfolio"), (builder, "# -- databases")):
        source = pathlib.Path(module.__file__).read_text()
        parts.append(source[source.index(start):].rstrip("\n") + "\n\n\n")
    return hashlib.sha256("".join(parts).encode()).hexdigest()[:16]


def add_missing_indexes(url: str) -> list[str]:
    """Indexes the models declare that a kept base lacks (a migration edited in place after the base was built
    at the same revision), created on the copy; their names."""
    from sqlalchemy import inspect

    from credit.models import CreditBase
    from engine.models import EngineBase
    from webapp.bootstrap import bootstrap

    c = bootstrap(url)
    made = []
    try:
        insp = inspect(c.engine)
        tables = set(insp.get_table_names())
        for metadata in (EngineBase.metadata, CreditBase.metadata):
            for table in metadata.sorted_tables:
                if table.name not in tables:
                    continue
                have = {i["name"] for i in insp.get_indexes(table.name)}
                for index in table.indexes:
                    if index.name and index.name not in have:
                        index.create(c.engine)
                        made.append(index.name)
    finally:
        c.engine.dispose()
    return made


def bench_size(db: str, n: int, log, modes: list[str], profile: bool, reuse: bool = False,
               runs_wanted: tuple[str, ...] = tuple(r for r, _ in RUNS)) -> dict:
    built = None
    if db == "pg":
        base = f"{PG_WORK}_base_{_label(n)}"
        base_url = pg_url(base)
        if reuse:
            built = _pg_reusable(base, n)
            if built:
                log(f"{db} {_label(n)}: reusing {base} (built {built.get('built_at')}, migrations at "
                    f"{built.get('revision')}; head {_head_revision()})")
        if built is None:
            pg_recreate(base)
    else:
        tmp = pathlib.Path(tempfile.gettempdir()) / f"{PG_WORK}_sqlite"
        tmp.mkdir(exist_ok=True)
        base_file = tmp / f"base_{_label(n)}.sqlite3"  # kept, with what it is beside it, for --reuse
        sidecar = base_file.with_suffix(".json")
        base_url = f"sqlite:///{base_file}"
        if reuse and base_file.exists() and sidecar.exists():
            kept = json.loads(sidecar.read_text())
            if kept.get("loans_active") == n and kept.get("builder") == _builder_digest() \
                    and kept.get("revision") == _head_revision():
                built = kept
                log(f"{db} {_label(n)}: reusing {base_file} (built {built.get('built_at')})")
        if built is None:
            for suffix in ("", "-wal", "-shm", ".json"):
                pathlib.Path(str(base_file) + suffix if suffix != ".json" else sidecar).unlink(missing_ok=True)
    if built is None:
        log(f"{db} {_label(n)}: building")
        built = measured_build(base_url, n)
        built.update({"revision": _head_revision(), "builder": _builder_digest(),
                      "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        if db != "pg":
            sidecar.write_text(json.dumps(built))
        if db == "pg":  # kept, with what it is, for --reuse
            _pg_admin(f"COMMENT ON DATABASE {base} IS '{json.dumps(built)}'".replace("'{", "'{", 1)
                      if "'" not in json.dumps(built) else f"COMMENT ON DATABASE {base} IS NULL")
        log(f"{db} {_label(n)}: built in {built['build_seconds']} s (rows {built['rows_seconds']} s, "
            f"warm-up run {built['warm_up_run_seconds']} s)")
    out = {"database": "postgresql" if db == "pg" else "sqlite", "loans": n, "build": built, "modes": {}}

    def fresh_copy() -> str:
        if db == "pg":
            pg_recreate(PG_WORK, template=base)
            if built.get("revision") != _head_revision():  # migrations landed since the base was built
                from webapp.bootstrap import bootstrap
                from webapp.migrate import upgrade

                t0 = time.perf_counter()
                c = bootstrap(pg_url(PG_WORK))
                upgrade(c.engine)
                c.engine.dispose()
                out.setdefault("migrated", []).append({"from": built.get("revision"), "to": _head_revision(),
                                                       "seconds": round(time.perf_counter() - t0, 1)})
            made = add_missing_indexes(pg_url(PG_WORK))
            if made:
                out.setdefault("indexes_added", []).extend(made)
            return pg_url(PG_WORK)
        work = tmp / f"work_{_label(n)}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            pathlib.Path(str(work) + suffix).unlink(missing_ok=True)
        shutil.copyfile(base_file, work)
        made = add_missing_indexes(f"sqlite:///{work}")
        if made:
            out.setdefault("indexes_added", []).extend(made)
        return f"sqlite:///{work}"

    for mode in modes:
        if mode == "queue" and (db != "pg" or not queue_available()):
            continue  # the job queue is PostgreSQL's
        url = fresh_copy()
        runs = []
        for label, as_of in RUNS:
            if label not in runs_wanted:
                continue
            workers = start_workers(url, QUEUE_WORKERS) if mode == "queue" else []
            try:
                r = measured_run(url, as_of, label, workers=[w.pid for w in workers])
            finally:
                stop_workers(workers)
            log(f"{db} {_label(n)} {mode} {label}: {r['wall_s']} s wall, {r['cpu_s']} s CPU (run process), "
                f"{r['workers_cpu_s']} s CPU (workers), {r['pg_backend_cpu_s']} s CPU (backends), "
                f"peak RSS {r['peak_rss_mb']} MB, load {r['load_before'][0]}->{r['load_after'][0]}; {r['summary']}")
            runs.append(r)
        if len(runs) > 1 and runs[1]["label"] == "again":
            runs[1]["changed_nothing"] = runs[1]["after"] == runs[0]["after"]
        out["modes"][mode] = runs
    if profile:
        out["profile"] = profile_size(db, n, fresh_copy, log)
    if db == "pg":
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_WORK} WITH (FORCE)")
    else:
        for suffix in ("", "-wal", "-shm"):
            pathlib.Path(str(tmp / f"work_{_label(n)}.sqlite3") + suffix).unlink(missing_ok=True)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench postloan")
    parser.add_argument("--sizes", help="e.g. 10k,100k,1m (default: PostgreSQL 10k,100k,1m; SQLite 10k,100k)")
    parser.add_argument("--databases", default="postgresql,sqlite", help="postgresql,sqlite")
    parser.add_argument("--modes", default="inprocess,queue", help="inprocess,queue (queue: when it has landed)")
    parser.add_argument("--profile", action="store_true",
                        help="at each size: partition-size sweep, statement timings, cProfile, EXPLAIN ANALYZE")
    parser.add_argument("--out", default=str(RESULTS / "postloan.json"))
    parser.add_argument("--reuse", action="store_true",
                        help="PostgreSQL: take the kept base database of a size (bench_postloan_base_1m, ...) when it "
                             "was built by this builder at the migrations' head, instead of building again")
    parser.add_argument("--runs", default="first,again,catch_up",
                        help="which runs: first (D), again (D again), catch_up (D+1..D+3)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other (database, size) results already in --out (e.g. 1M measured apart)")
    args = parser.parse_args(argv if argv is not None else [])
    wanted = tuple(r.strip() for r in args.runs.split(",") if r.strip())
    if "again" in wanted and "first" not in wanted:
        parser.error("--runs again needs first: it runs the date first ran again")
    dbs = ["pg" if d.strip().startswith("postgres") else "sqlite" for d in args.databases.split(",") if d.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    started = datetime.now(timezone.utc)

    def log(message):
        print(f"[{datetime.now(timezone.utc):%H:%M:%S}] {message}", flush=True)

    results = []
    for db in dbs:
        sizes = [_size(s) for s in args.sizes.split(",")] if args.sizes else list(SIZES[db])
        for n in sizes:
            results.append(bench_size(db, n, log, modes, args.profile, args.reuse, wanted))
    path = pathlib.Path(args.out)
    if args.merge and path.exists():
        merged = {(r["database"], r["loans"]): r for r in json.loads(path.read_text()).get("detail", [])}
        for r in results:  # a run measured now replaces the same run measured before; the others are kept
            old = merged.get((r["database"], r["loans"]))
            modes = dict(old["modes"]) if old else {}
            for mode, runs in r["modes"].items():
                now = {run["label"] for run in runs}
                modes[mode] = sorted([run for run in modes.get(mode, []) if run["label"] not in now] + runs,
                                     key=lambda run: [label for label, _ in RUNS].index(run["label"]))
            merged[(r["database"], r["loans"])] = {**r, "modes": modes}
        results = sorted(merged.values(), key=lambda r: (r["database"] != "postgresql", r["loans"]))
    out = summarise(results, started, modes)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"postloan: wrote {path}")
    print(json.dumps({k: v for k, v in out.items() if k not in ("detail",)}, ensure_ascii=False, indent=1))
    return out
