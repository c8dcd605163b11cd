"""`python -m bench.postloan [options]` (the benchmark), `python -m bench.postloan _merge OUT IN...`, and the
subcommands the benchmark spawns itself with: `_build`, `_run`, `_explain`."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from bench.postloan.benchmark import main
from bench.postloan.profile import child_explain
from bench.postloan.report import merge_files
from bench.postloan.runs import child_build, child_run

def _child_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command")
    parser.add_argument("--url", required=True)
    parser.add_argument("--n", type=int)
    parser.add_argument("--as-of")
    parser.add_argument("--partition-size", type=int)
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--lo", type=int)
    parser.add_argument("--hi", type=int)
    a = parser.parse_args(argv)
    if a.command == "_build":
        out = child_build(a.url, a.n)
    elif a.command == "_run":
        out = child_run(a.url, date.fromisoformat(a.as_of), a.partition_size, a.statements, a.cprofile)
    elif a.command == "_explain":
        out = child_explain(a.url, date.fromisoformat(a.as_of), a.lo, a.hi)
    else:
        raise SystemExit(f"unknown command {a.command}")
    sys.stdout.write(json.dumps(out, ensure_ascii=False, default=str) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "_merge":
        merge_files(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        _child_main(sys.argv[1:])
    else:
        main(sys.argv[1:])
