"""`creditfactory postloan import FILE.csv`, `creditfactory postloan run [--as-of DATE] [--workers N]` and
`creditfactory postloan worker [--concurrency N]` (PostgreSQL: takes partitions from the job queue)."""
from __future__ import annotations

import logging
import os
import pathlib
import sys
from datetime import date

from engine.errors import InvalidData

from . import postloan
from .bootstrap import Container


def main(c: Container, args) -> int:
    actor = "cli:" + os.environ.get("USER", "unknown")
    if args.postloan_command == "import":
        return _import(c, pathlib.Path(args.file), actor)
    if args.postloan_command == "events":  # provider events for the risk signals (webapp.postloan_signals)
        from .postloan_signals import events_cli

        return events_cli(c, pathlib.Path(args.file), actor)
    if args.postloan_command == "worker":
        return _worker(c, args.concurrency)
    return _run(c, args)



def _import(c: Container, path: pathlib.Path, actor: str) -> int:
    return import_file(path, lambda text: postloan.import_csv(c, text, actor), "repayment(s)")


def import_file(path: pathlib.Path, load, what: str) -> int:
    """Read a UTF-8 CSV file and hand it to `load` (text -> a result with imported, unchanged and errors by
    line); print every bad row, or what was imported. The exit status: 0, 1 (bad rows, nothing imported), 2."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        print(f"{path}: {exc.strerror}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"{path}: not UTF-8 text", file=sys.stderr)
        return 1
    if "\x00" in text:
        print(f"{path}: contains NUL characters", file=sys.stderr)
        return 1
    result = load(text)
    if result.errors:
        for line, message in result.errors:
            print(f"{path}:{line}: {message}", file=sys.stderr)
        print(f"nothing imported: {len(result.errors)} bad row(s)", file=sys.stderr)
        return 1
    print(f"{result.imported} {what} imported, {result.unchanged} already recorded")
    return 0


def _worker(c: Container, concurrency: int) -> int:
    from . import postloan_queue

    if not postloan_queue.is_postgres(c):
        print("the worker needs PostgreSQL; on SQLite `postloan run` runs its partitions in-process", file=sys.stderr)
        return 2
    if concurrency < 1:
        print("--concurrency must be at least 1", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("creditfactory").setLevel(logging.INFO)  # not the engine's per-task chatter
    postloan_queue.run_worker(c, concurrency)
    return 0


def progress_line(d, r, n: int, total: int) -> str:
    return (f"{d.isoformat()} partition {n}/{total} loans {r.lo}..{r.hi - 1}: {r.scanned} scanned, "
            f"{r.changed} changed, {r.downgraded} downgraded, {r.closed} closed, {r.signals} signals, "
            f"{r.tasks} tasks ({r.worker}, {r.seconds:.2f} s)")


def summary_line(s: postloan.RunSummary) -> str:
    return (f"business dates {', '.join(d.isoformat() for d in s.dates)}: {s.scanned} loans scanned, "
            f"{s.classified} classified anew, {s.downgraded} downgraded, {s.closed} closed, {s.signals} signals, "
            f"{s.tasks} tasks raised, {s.seconds:.2f} s")


def _run(c: Container, args) -> int:
    from . import postloan_queue

    try:
        day = date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        print(f"--as-of {args.as_of!r}: not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    for name, value, least in (("--partition-size", args.partition_size, 1), ("--workers", args.workers, 0),
                               ("--timeout", args.timeout, 1)):
        if value is not None and value < least:
            print(f"{name} must be at least {least}", file=sys.stderr)
            return 2
    if args.workers and args.in_process:
        print("--workers and --in-process exclude each other", file=sys.stderr)
        return 2

    def notice(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        with postloan_queue.dispatcher(c, args.workers, args.in_process, args.timeout, notice) as dispatch:
            s = postloan.run(c, day, args.partition_size,
                             lambda *a: print(progress_line(*a), flush=True), dispatch=dispatch)
    except InvalidData as exc:
        print("; ".join(m for msgs in exc.errors.values() for m in msgs), file=sys.stderr)
        return 1
    except postloan_queue.QueueError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(summary_line(s))
    return 0
