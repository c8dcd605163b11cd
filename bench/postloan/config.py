"""The post-loan benchmark's settings: where it writes, the business date timed, the servers, the sizes and runs."""
from __future__ import annotations

import os
import pathlib
from datetime import date, timedelta

RESULTS = pathlib.Path(__file__).resolve().parents[1] / "results"
ROOT = pathlib.Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 20)  # the business date timed; the warm-up run is the day before
CATCH_UP = 3
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_WORK = os.environ.get("BENCH_POSTLOAN_DB", "bench_postloan")  # another name for a second bench at once
CLK_TCK = os.sysconf("SC_CLK_TCK")
SIZES = {"pg": (10_000, 100_000, 1_000_000), "sqlite": (10_000, 100_000)}
RUNS = (("first", DAY), ("again", DAY), ("catch_up", DAY + timedelta(days=CATCH_UP)))


def _size(text_: str) -> int:
    t = text_.strip().lower()
    mult = 1_000_000 if t.endswith("m") else 1000 if t.endswith("k") else 1
    return int(float(t.rstrip("mk")) * mult)


def _label(n: int) -> str:
    return f"{n // 1_000_000}m" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"
