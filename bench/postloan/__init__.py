"""The nightly post-loan run at 10k, 100k and 1M active loans, on PostgreSQL and SQLite (issue 12).
Targets (2-core machine, PostgreSQL): 100k loans < 10 s, 1M < 100 s, peak RSS flat across sizes.

    python -m bench postloan                                 # PostgreSQL 10k/100k/1M, SQLite 10k/100k
    python -m bench postloan --sizes 10k --databases sqlite  # a quick run
    python -m bench postloan --sizes 100k --profile          # + statement timings, EXPLAIN ANALYZE, partition sweep

For each database and size:
1. build (timed apart, not counted): a private database (PostgreSQL `bench_postloan_base_<size>`, kept for
   --reuse; SQLite a temp file)
   made the project's way (the migrations, processes/ deployed, the demo bank), then N active loans (and 2 %
   closed ones among them) written set-based (PostgreSQL COPY, SQLite executemany) with their customers and
   applications, 12 monthly instalments each from credit.schedules, ~3 paid per loan, ~8 % behind (1 day to
   over a year), as of the day before the timed date; the real nightly run for that day (the warm-up: the
   classification the portfolio already has), then that day's repayments (0.3 % pay off, 5 % of the loans
   behind catch up), then VACUUM ANALYZE as autovacuum would;
2. for each way of running (in-process; the job queue with 2 workers when it exists), a copy of the built
   database (CREATE DATABASE ... TEMPLATE, or a file copy) and three runs, each in a fresh process as
   `creditfactory postloan run --as-of D` runs it: the business date D; D again (must change nothing); D+3
   (a catch-up of three dates). Each records wall seconds, the CPU of the run's process (and its workers')
   and of its PostgreSQL backends (from /proc, sampled), the CPU of every other process on the machine
   meanwhile, load averages before and after, and the peak RSS of the run's process (ru_maxrss, fresh process
   per size so the peaks compare).
Writes bench/results/postloan.json.

The package: config (settings), portfolio (the rows), builder (the data builder), runs (timed runs in
fresh processes, CPU/RSS from /proc), workers (the queue's), profile (--profile), report (the results),
benchmark (`main`); `python -m bench.postloan` runs it (__main__).
"""
from __future__ import annotations

from bench.postloan.benchmark import (_builder_digest, _head_revision, _pg_reusable, add_missing_indexes,
                                      bench_size, main)
from bench.postloan.builder import (_check_columns, _pg_admin, _sqlite_value, _text, _vacuum, _write_pg,
                                    _write_sqlite, build, fingerprint, pg_recreate, pg_url)
from bench.postloan.config import (CATCH_UP, CLK_TCK, DAY, PG_SERVER, PG_WORK, RESULTS, ROOT, RUNS, SIZES, _label,
                                   _size)
from bench.postloan.portfolio import (_BORN, _CHECK, _SEEN, _WEIGHTS, COLUMNS, EXTERNAL, EXTERNAL_SOURCE,
                                      PRODUCT_OF, PRODUCTS, TERM, TERMS, VILLAGES, Schedules, Template, _id_number,
                                      _plan_of, _seen, age_days, behaviour, inspection_rows, loan_rows,
                                      months_between, provider_events)
from bench.postloan.profile import child_explain, explain, profile_size
from bench.postloan.report import _git_commit, _git_dirty_paths, _hook_state, merge_files, summarise
from bench.postloan.runs import (Sampler, _descendants, _machine_busy, _postgres_all_cpu, _proc_cpu, _seconds,
                                 _time_statements, _vm, child_build, child_run, measured_build, measured_run)
from bench.postloan.workers import QUEUE_WORKERS, queue_available, start_workers, stop_workers
