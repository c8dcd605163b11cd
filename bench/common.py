"""Shared set-up: a fresh database (SQLite file, or CREDITFACTORY_DATABASE_URL), models and demo bank."""
from __future__ import annotations

import json
import os
import pathlib
import platform
import statistics
import tempfile
from datetime import date, datetime, timezone

from credit import idnumber
from credit.passwords import CHEAP, hash_password

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


# A Monday, 10:00 in Beijing. On the wall clock a benchmark run between 0:00 and 5:00 Beijing time
# had every online application refused by the anti-fraud table's night-time rule.
BUSINESS_HOURS = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


def fresh_container():
    from engine.clock import Clock
    from webapp.bootstrap import bootstrap, create_schema, deploy_processes, deploy_templates, drop_schema, load_demo

    from webapp import fonts

    fonts.prepare()
    url = os.environ.get("CREDITFACTORY_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    c = bootstrap(url, clock=Clock(BUSINESS_HOURS))
    drop_schema(c)
    create_schema(c)
    deploy_processes(c)
    deploy_templates(c)
    load_demo(c, password_hash=hash_password("demo123", CHEAP))
    return c


def applicant(seq: int, village: str = "V01", income: str = "150000") -> dict:
    born = date(1980 + seq % 20, 1 + seq % 12, 1 + seq % 28)
    # Sequence codes from 900 up make the fake providers report signals: keep clear of them.
    return {"name": f"客户{seq}", "id_number": idnumber.make("320324", born, seq % 900),
            "phone": f"139{seq:08d}", "annual_income": income, "village_code": village}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 3), "p95_ms": round(pct(ms, 95), 3),
            "mean_ms": round(statistics.fmean(ms), 3), "max_ms": round(max(ms), 3)}


def write(name: str, result: dict, container=None) -> pathlib.Path:
    RESULTS.mkdir(exist_ok=True)
    result = {**result, "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                    "database": container.engine.dialect.name if container else None}}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"{name}: {json.dumps(result, ensure_ascii=False)}")
    return path
