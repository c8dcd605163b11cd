"""`creditfactory postloan import FILE.csv` and `creditfactory postloan run [--as-of DATE]`."""
from __future__ import annotations

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
    return _run(c, args.as_of, args.partition_size)



def _import(c: Container, path: pathlib.Path, actor: str) -> int:
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
    result = postloan.import_csv(c, text, actor)
    if result.errors:
        for line, message in result.errors:
            print(f"{path}:{line}: {message}", file=sys.stderr)
        print(f"nothing imported: {len(result.errors)} bad row(s)", file=sys.stderr)
        return 1
    print(f"{result.imported} repayment(s) imported, {result.unchanged} already recorded")
    return 0


def _run(c: Container, as_of: str | None, partition_size: int) -> int:
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        print(f"--as-of {as_of!r}: not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    if partition_size < 1:
        print("--partition-size must be at least 1", file=sys.stderr)
        return 2

    def progress(d, r, n, total):
        print(f"{d.isoformat()} partition {n}/{total} loans {r.lo}..{r.hi - 1}: {r.scanned} scanned, "
              f"{r.changed} changed, {r.downgraded} downgraded, {len(r.closed)} closed, {r.signals} signals, {len(r.proposed) + r.inspection_tasks} tasks",
              flush=True)

    try:
        s = postloan.run(c, day, partition_size, progress)
    except InvalidData as exc:
        print("; ".join(m for msgs in exc.errors.values() for m in msgs), file=sys.stderr)
        return 1
    print(f"business dates {', '.join(d.isoformat() for d in s.dates)}: {s.scanned} loans scanned, "
          f"{s.classified} classified anew, {s.downgraded} downgraded, {s.closed} closed, {s.signals} signals, "
          f"{s.tasks} tasks raised, {s.seconds:.2f} s")
    return 0
