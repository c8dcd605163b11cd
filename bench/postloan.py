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
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
ROOT = pathlib.Path(__file__).resolve().parent.parent
DAY = date(2026, 11, 20)  # the business date timed; the warm-up run is the day before
CATCH_UP = 3
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_WORK = os.environ.get("BENCH_POSTLOAN_DB", "bench_postloan")  # another name for a second bench at once
CLK_TCK = os.sysconf("SC_CLK_TCK")
SIZES = {"pg": (10_000, 100_000, 1_000_000), "sqlite": (10_000, 100_000)}

# -- the portfolio ---------------------------------------------------------------------------------
# (product, repayment method, amounts, annual rate, share of loans in tenths)
PRODUCTS = (("NONGHU", "interest_only", ("50000", "100000", "200000"), "0.0620", 4),
            ("RUYI", "equal_instalment", ("20000", "50000", "80000"), "0.0720", 3),
            ("JINGYING", "equal_principal", ("300000", "500000"), "0.0550", 2),
            ("SHANDAI", "equal_instalment", ("10000", "30000"), "0.0980", 1))
PRODUCT_OF = [p for p in PRODUCTS for _ in range(p[4])]  # by loan id % 10
VILLAGES = [f"V0{i}" for i in range(1, 10)]
TERM = 12
TERMS = {"SHANDAI": 6}  # months; the others 12 (so some loans come within 30 days of maturity)
EXTERNAL = ("court_enforcement", "tax_arrears", "bureau_overdue", "blacklist")
EXTERNAL_SOURCE = {"court_enforcement": "court", "tax_arrears": "tax", "bureau_overdue": "bureau",
                   "blacklist": "watchlist"}


def behaviour(i: int) -> str:
    """What loan i's borrower did, spread over the id range by a multiplicative hash."""
    h = (i * 2654435761) % 1000
    if h < 20:
        return "closed"  # paid off long ago: status closed, skipped by the run
    if h < 900:
        return "on_time"
    if h < 940:
        return "missed_1"  # the latest instalment due is unpaid
    if h < 960:
        return "missed_2"
    if h < 975:
        return "partial"  # the latest instalment due: interest paid, half its principal
    return "long"  # older loan, nothing paid after its second instalment: 3 months to well over a year behind


def age_days(i: int, kind: str) -> int:
    if kind == "long":
        return 150 + (i * 40503) % 420
    return (i * 40503) % 200  # disbursed 0-199 days before the timed date: ~3 instalments due on average


def _plan_of() -> dict[str, tuple[int, int]]:
    from credit.demo import PRODUCTS as DEMO

    return {p["code"]: (p["first_check_days"], p["periodic_months"]) for p in DEMO}


def months_between(start: date, end: date) -> int:
    """As credit.postloan.dates.months_between: whole calendar months."""
    return (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)


def inspection_rows(i: int, start: date, product_code: str, kind: str, day: date, plan) -> list[tuple]:
    """The inspections loan i has had by the end of `day` - 1, as a portfolio in steady state has: its first
    inspection done (0.1 % of them just done, on `day`, finding the funds diverted) and, past its first period,
    the current period's review (off-site for loans not behind, done on-site for the others)."""
    from credit.schedules import add_months

    if start >= day or kind == "closed":
        return []
    first_days, period = plan[product_code]
    out = []
    due = start + timedelta(days=first_days)
    diverted = i % 1000 == 11
    done = (datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=3) if diverted else
            datetime.combine(min(start + timedelta(days=2), day - timedelta(days=1)), datetime.min.time(),
                             timezone.utc) + timedelta(hours=6))
    result = ('{"fund_usage": "diverted", "business_status": "normal"}' if diverted
              else '{"fund_usage": "as_agreed", "business_status": "normal"}')
    out.append((i * 4, i, "first", "onsite", due.isoformat(), start.isoformat(), due.isoformat(), "done", "postloan1",
                None, None, None, None, result, done.strftime("%Y-%m-%d %H:%M:%S.000000+00:00")))
    months = months_between(start, day - timedelta(days=1))
    if period and months >= period:
        pdue = add_months(start, months // period * period)
        behind = kind != "on_time"
        out.append((i * 4 + 1, i, "periodic", "onsite" if behind else "offsite", pdue.isoformat(), pdue.isoformat(),
                    pdue.isoformat(), "done" if behind else "offsite", "postloan1", None, None, None, None,
                    '{"fund_usage": "as_agreed", "business_status": "normal"}' if behind else '{"basis": "low_risk"}',
                    (datetime.combine(pdue, datetime.min.time(), timezone.utc) + timedelta(hours=6)).strftime(
                        "%Y-%m-%d %H:%M:%S.000000+00:00") if behind else None))
    return out


class Template:
    """One schedule from credit.schedules.build (exact to the fen), with its figures as text once."""

    __slots__ = ("n", "dues", "text", "cum", "half", "first_due", "maturity")

    def __init__(self, lines):
        self.n = len(lines)
        self.dues = [l.due_date for l in lines]
        self.text = [(l.period, l.due_date.isoformat(), str(l.principal), str(l.interest), str(l.total),
                      str(l.remaining_principal)) for l in lines]
        self.cum = [Decimal(0)]
        for l in lines:
            self.cum.append(self.cum[-1] + l.principal)
        self.half = [(l.principal / 2).quantize(Decimal("0.01")) for l in lines]
        self.first_due, self.maturity = self.text[0][1], self.text[-1][1]


class Schedules:
    """Schedule templates cached by (product, amount, disbursement date)."""

    def __init__(self):
        from credit import schedules

        self._build, self._cache = schedules.build, {}

    def __call__(self, product, amount: str, start: date) -> Template:
        key = (product[0], amount, start)
        t = self._cache.get(key)
        if t is None:
            t = self._cache[key] = Template(self._build(product[1], Decimal(amount), Decimal(product[3]),
                                                        TERMS.get(product[0], TERM), start))
        return t


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_BORN: dict[int, tuple[str, int]] = {}


def _id_number(i: int) -> str:
    """A valid resident ID number (as credit.idnumber.make builds one), unique per i: 14,000 birth dates x 900
    sequence codes (codes 900-999, which make the fake providers report signals, are left out)."""
    b = (i // 900) % 14_000
    found = _BORN.get(b)
    if found is None:
        head = "320324" + (date(1960, 1, 1) + timedelta(days=b)).strftime("%Y%m%d")
        found = _BORN[b] = (head, sum(int(d) * w for d, w in zip(head, _WEIGHTS)))
    head, partial = found
    seq = f"{i % 900:03d}"
    total = partial + int(seq[0]) * _WEIGHTS[14] + int(seq[1]) * _WEIGHTS[15] + int(seq[2]) * _WEIGHTS[16]
    return head + seq + _CHECK[total % 11]


def loan_rows(lo: int, hi: int, day: date, schedules: Schedules, plan: dict | None = None):
    """Rows of customers, applications, loans, schedule lines, provider events and inspections for loan ids
    lo..hi-1, as of the end of `day` - 1 (every payment the borrowers made before `day`). Every value as
    text, None for NULL."""
    from bisect import bisect_left

    customers, applications, loans, lines, events, inspections = [], [], [], [], [], []
    plan = plan or _plan_of()
    created = (datetime.combine(day, datetime.min.time(), timezone.utc) - timedelta(days=600)).strftime(
        "%Y-%m-%d %H:%M:%S.000000+00:00")
    yesterday = day - timedelta(days=1)
    yesterday_iso = yesterday.isoformat()
    closed_at = (day - timedelta(days=30)).isoformat()
    for i in range(lo, hi):
        kind = behaviour(i)
        product = PRODUCT_OF[i % 10]
        amount = product[2][(i // 10) % len(product[2])]
        start = day - timedelta(days=age_days(i, kind))
        t = schedules(product, amount, start)
        start_iso = start.isoformat()
        ts = f"{start_iso} 02:00:00.000000+00:00"  # 10:00 in Beijing on the disbursement date
        inspections.extend(inspection_rows(i, start, product[0], kind, day, plan))
        due = bisect_left(t.dues, day)  # instalments due before `day`
        if kind == "closed":
            full, part = t.n, 0
        elif kind == "on_time":
            full, part = due, 0
        elif kind == "missed_1":
            full, part = max(due - 1, 0), 0
        elif kind == "missed_2":
            full, part = max(due - 2, 0), 0
        elif kind == "partial":
            full, part = max(due - 1, 0), (1 if due else 0)
        else:
            full, part = min(due, 2), 0
        paid_principal = t.cum[full] + (t.half[full] if part else 0)
        for n, (period, due_iso, p, interest, total, remaining) in enumerate(t.text):
            if n < full:
                at = due_iso if t.dues[n] <= yesterday else yesterday_iso
                lines.append((i, period, due_iso, p, interest, total, remaining, p, interest, at))
            elif n == full and part:
                lines.append((i, period, due_iso, p, interest, total, remaining, str(t.half[n]), interest, None))
            else:
                lines.append((i, period, due_iso, p, interest, total, remaining, "0", "0", None))
        closed = kind == "closed"
        village = VILLAGES[i % 9]
        idn = _id_number(i)
        customers.append((i, idn, f"客户{i}", f"13{i:09d}", f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}",
                          str(60000 + (i % 50) * 4000), village, "0", "0", "false", str(i % 10), created))
        guarantee = "guarantee" if product[0] in ("NONGHU", "JINGYING") else "credit"
        guarantor = (i + 1 if i % 2 else i - 1) if guarantee == "guarantee" and i > 1 else None  # a neighbour
        applications.append((i, product[0], i, amount, str(t.n), "生产经营" if guarantee == "guarantee" else "消费",
                             "manager_app", "disbursed", "manager1", "manager1", village, guarantee, "0",
                             amount, product[3], "[]", "{}", "{}", f"HT{i:010d}",
                             f"客户{guarantor}" if guarantor else None, _id_number(guarantor) if guarantor else None,
                             ts, ts))
        events.extend(provider_events(i, day))
        loans.append((i, i, i, product[0], amount, product[3], str(t.n), product[1], "entrusted", ts,
                      t.first_due, t.maturity, str(Decimal(amount) - paid_principal),
                      "closed" if closed else "active", "normal", "0", "0", "0", closed_at if closed else None,
                      "postloan1"))
    return customers, applications, loans, lines, events, inspections


_SEEN: dict[tuple[date, int], str] = {}


def _seen(day: date, offset: int) -> str:
    found = _SEEN.get((day, offset))
    if found is None:
        found = _SEEN[(day, offset)] = (day + timedelta(days=offset)).isoformat()
    return found


def provider_events(i: int, day: date) -> list[tuple]:
    """Customer i's provider feed: a deposit balance every 30 days (the latest falling 0-29 days before `day`
    + 3, so each business date has ~1/30 of the customers' new snapshots; 3 % of customers' latest one is 70 %
    below the others), and for 0.1 % of customers one external event (court, tax, bureau, blacklist) in the
    90 days before `day` + 3. Recorded the day they were observed."""
    out = []
    base = (5000 + (i * 7919) % 200_000) * 100  # fen
    for k in range(5):
        seen = _seen(day, 3 - (i % 30) - 30 * k)
        cents = base * 3 // 10 if k == 0 and i % 33 == 5 else base * (50 + k) // 50
        out.append((i * 8 + k, i, "deposit_balance", seen, "core_banking", f"D{i}-{k}",
                    f"{cents // 100}.{cents % 100:02d}", "", f"{seen} 09:00:00.000000+00:00", "bench"))
    if (i * 7) % 1000 == 1:
        kind = EXTERNAL[(i // 1000) % 4]
        seen = _seen(day, 3 - (i % 90))
        out.append((i * 8 + 5, i, kind, seen, EXTERNAL_SOURCE[kind], f"E{i}", None, kind,
                    f"{seen} 09:00:00.000000+00:00", "bench"))
    return out


COLUMNS = {
    "customer": ("id", "id_number", "name", "phone", "birth_date", "annual_income", "village_code", "existing_debt",
                 "overdue_count", "blacklisted", "relationship_years", "created_at"),
    "application": ("id", "product_code", "customer_id", "amount", "term_months", "purpose", "channel", "status",
                    "submitted_by", "intake_user", "village_code", "guarantee", "collateral_value", "approved_amount",
                    "annual_rate", "rejection_reasons", "assignments", "allocation_reasons", "contract_no",
                    "guarantor_name", "guarantor_id_number", "created_at", "updated_at"),
    "loan": ("id", "application_id", "customer_id", "product_code", "principal", "annual_rate", "term_months",
             "repayment_method", "payment_mode", "disbursed_at", "first_due_date", "maturity_date",
             "outstanding_principal", "status", "classification", "days_past_due", "overdue_principal",
             "overdue_interest", "closed_at", "officer"),
    "schedule_line": ("loan_id", "period", "due_date", "principal", "interest", "total", "remaining_principal",
                      "paid_principal", "paid_interest", "paid_at"),
    "provider_event": ("id", "customer_id", "kind", "observed_on", "source", "reference", "amount", "detail",
                       "recorded_at", "recorded_by"),
    "loan_inspection": ("id", "loan_id", "kind", "mode", "due_on", "raised_on", "sla_due_on", "status", "officer",
                        "signal_id", "instance_id", "escalated_on", "escalated_to", "result", "completed_at"),
}


# -- databases -------------------------------------------------------------------------------------

def pg_url(database: str) -> str:
    return f"{PG_SERVER}/{database}"


def _pg_admin(*statements: str) -> None:
    import psycopg

    with psycopg.connect(pg_url("postgres").replace("+psycopg", ""), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def pg_recreate(database: str, template: str | None = None) -> None:
    assert database.startswith("bench_postloan")  # never another database (above all not `test`)
    _pg_admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)",
              f"CREATE DATABASE {database}" + (f" TEMPLATE {template}" if template else ""))


def _check_columns(engine) -> None:
    """Every NOT NULL column without a default is one the builder writes (a later migration may add one)."""
    from sqlalchemy import inspect

    insp = inspect(engine)
    for table, ours in COLUMNS.items():
        missing = [c["name"] for c in insp.get_columns(table) if not c["nullable"] and c.get("default") is None
                   and c["name"] not in ours and not c.get("autoincrement") is True]
        if missing:
            raise SystemExit(f"postloan bench: {table} has NOT NULL column(s) the builder does not fill: {missing}")


def _write_pg(engine, table: str, rows) -> None:
    raw = engine.raw_connection()
    try:
        buf = io.StringIO()
        for r in rows:
            buf.write("\t".join("\\N" if v is None else v for v in map(_text, r)))
            buf.write("\n")
        with raw.driver_connection.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as cp:
                cp.write(buf.getvalue())
        raw.commit()
    finally:
        raw.close()


def _write_sqlite(engine, table: str, rows) -> None:
    raw = engine.raw_connection()
    try:
        cols = COLUMNS[table]
        conv = [[_sqlite_value(col, v) for col, v in zip(cols, r)] for r in rows]
        raw.driver_connection.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", conv)
        raw.commit()
    finally:
        raw.close()


def _text(v):
    return v if v is None or isinstance(v, str) else str(v)


def _sqlite_value(col: str, v):
    """As SQLAlchemy stores them on SQLite: datetimes naive 'YYYY-MM-DD HH:MM:SS.ffffff', booleans 0/1."""
    if isinstance(v, str):
        if v.endswith("+00:00"):
            return v[:-6]
        if v in ("false", "true") and col == "blacklisted":
            return 1 if v == "true" else 0
    return v


def build(url: str, n: int, log=print) -> dict:
    """A fresh database with `n` active loans (plus ~2 % closed) as of the end of DAY - 1, warmed up by the
    nightly run of DAY - 1, with DAY's repayments applied."""
    from sqlalchemy import insert, text

    from credit.passwords import CHEAP, hash_password
    from credit.postloan.models import NightlyRun
    from engine.clock import Clock
    from webapp import postloan
    from webapp.bootstrap import bootstrap, deploy_processes, load_demo
    from webapp.migrate import upgrade

    started = time.perf_counter()
    c = bootstrap(url, clock=Clock(datetime.combine(DAY, datetime.min.time(), timezone.utc) - timedelta(hours=6)))
    pg = c.engine.dialect.name == "postgresql"
    upgrade(c.engine)  # the schema as `creditfactory init` makes it, whatever migrations have landed
    deploy_processes(c)
    load_demo(c, password_hash=hash_password("demo123", CHEAP))
    _check_columns(c.engine)
    if not pg:
        with c.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    write = _write_pg if pg else _write_sqlite
    schedules, plan = Schedules(), _plan_of()
    # ~2 % of ids are closed loans: make enough ids for n active ones
    total, active = 0, 0
    while active < n:
        total += 1
        active += behaviour(total) != "closed"
    batch = 20_000
    t0 = time.perf_counter()
    for lo in range(1, total + 1, batch):
        customers, applications, loans, lines, events, inspections = loan_rows(
            lo, min(lo + batch, total + 1), DAY, schedules, plan)
        for table, rows in (("customer", customers), ("application", applications), ("loan", loans),
                            ("schedule_line", lines), ("provider_event", events), ("loan_inspection", inspections)):
            write(c.engine, table, rows)
        if lo // batch % 10 == 0:
            log(f"  built {min(lo + batch - 1, total):,} of {total:,} loans ({time.perf_counter() - t0:.0f} s)")
    with c.engine.begin() as conn:
        if pg:
            for table, last in (("customer", total), ("application", total), ("loan", total),
                                ("provider_event", total * 8 + 7), ("loan_inspection", total * 4 + 3)):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})"))
        # the run before the warm-up's: the warm-up is an ordinary night (news since the day before), not the
        # first run ever (where every provider event of the last 90 days would be news)
        finished = datetime.combine(DAY - timedelta(days=2), datetime.min.time(), timezone.utc) + timedelta(hours=18)
        conn.execute(insert(NightlyRun.__table__).values(as_of=DAY - timedelta(days=2), started_at=finished,
                                                         finished_at=finished, summary={}))
    rows_seconds = time.perf_counter() - t0
    _vacuum(c)
    t0 = time.perf_counter()
    warm = postloan.run(c, DAY - timedelta(days=1))
    warm_seconds = time.perf_counter() - t0
    # DAY's repayments: some loans paid off (closed by the run), 5 % of the loans behind catch up (upgrade proposals)
    with c.engine.begin() as conn:
        d = DAY.isoformat()
        payoff = "SELECT id FROM loan WHERE status = 'active' AND id % 333 = 7"
        cured = "SELECT id FROM loan WHERE status = 'active' AND days_past_due > 0 AND id % 20 = 3"
        conn.execute(text(f"UPDATE schedule_line SET paid_principal = principal, paid_interest = interest, "
                          f"paid_at = :d WHERE paid_at IS NULL AND loan_id IN ({payoff})"), {"d": d})
        conn.execute(text(f"UPDATE loan SET outstanding_principal = 0 WHERE id IN ({payoff})"))
        conn.execute(text(f"UPDATE schedule_line SET paid_principal = principal, paid_interest = interest, "
                          f"paid_at = :d WHERE paid_at IS NULL AND due_date < :d AND loan_id IN ({cured})"), {"d": d})
        conn.execute(text(f"UPDATE loan SET outstanding_principal = principal - (SELECT sum(paid_principal) "
                          f"FROM schedule_line WHERE loan_id = loan.id) WHERE id IN ({cured})"))
    _vacuum(c)
    counts = fingerprint(c)
    c.engine.dispose()
    return {"loans_active": n, "loan_ids": total, "rows_seconds": round(rows_seconds, 1),
            "warm_up_run_seconds": round(warm_seconds, 2),
            "warm_up_run": {"date": (DAY - timedelta(days=1)).isoformat(), "scanned": warm.scanned,
                            "classified": warm.classified, "downgraded": warm.downgraded, "closed": warm.closed,
                            "signals": warm.signals, "tasks": warm.tasks},
            "build_seconds": round(time.perf_counter() - started, 1), "after_build": counts}


def _vacuum(c) -> None:
    if c.engine.dialect.name == "postgresql":
        with c.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    else:
        with c.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def fingerprint(c) -> dict:
    """Everything the nightly run writes, summed up: equal before and after a run that must change nothing."""
    from sqlalchemy import inspect, text

    tables = set(inspect(c.engine).get_table_names())
    out = {}
    with c.engine.connect() as conn:
        row = conn.execute(text(
            "SELECT count(*), sum(CASE WHEN status = 'active' THEN 1 ELSE 0 END), sum(days_past_due), "
            "sum(overdue_principal), sum(overdue_interest), sum(CASE WHEN days_past_due > 0 THEN 1 ELSE 0 END) "
            "FROM loan")).one()
        out["loans"], out["active"], out["sum_dpd"] = row[0], row[1], row[2]
        out["sum_overdue"] = f"{Decimal(str(row[3] or 0)) + Decimal(str(row[4] or 0)):.2f}"
        out["behind"] = row[5]
        out["by_classification"] = dict(conn.execute(text(
            "SELECT classification, count(*) FROM loan WHERE status = 'active' GROUP BY classification "
            "ORDER BY classification")).all())
        for table in ("loan_classification", "classification_proposal", "risk_signal", "loan_inspection",
                      "process_instance", "human_task", "audit_event", "postloan_run"):
            if table in tables:
                out[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    return out


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


# -- the benchmark ---------------------------------------------------------------------------------

def _size(text_: str) -> int:
    t = text_.strip().lower()
    mult = 1_000_000 if t.endswith("m") else 1000 if t.endswith("k") else 1
    return int(float(t.rstrip("mk")) * mult)


def _label(n: int) -> str:
    return f"{n // 1_000_000}m" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


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


def queue_available() -> bool:
    """Whether the job queue for partitions with worker processes (`creditfactory postloan worker`) has landed."""
    return (ROOT / "webapp" / "postloan_queue.py").exists()


QUEUE_WORKERS = 2


def start_workers(url: str, n: int, timeout: float = 90.0) -> list[subprocess.Popen]:
    """`creditfactory postloan worker` x n against `url`, started before the run (as they run in production:
    long-lived), once all n send heartbeats."""
    import psycopg

    env = {**os.environ, "CREDITFACTORY_DATABASE_URL": url}
    logs = pathlib.Path(tempfile.gettempdir()) / "bench_postloan_workers.log"
    with logs.open("a") as out:
        procs = [subprocess.Popen([sys.executable, "-m", "webapp.cli", "postloan", "worker"], env=env, cwd=ROOT,
                                  stdout=out, stderr=out) for _ in range(n)]
    deadline = time.monotonic() + timeout
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in procs):
                stop_workers(procs)
                raise SystemExit(f"postloan bench: a worker exited at start; see {logs}")
            if conn.execute("SELECT to_regclass('procrastinate_workers')").fetchone()[0] is not None:
                alive = conn.execute("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > "
                                     "now() - interval '10 seconds'").fetchone()[0]
                if alive >= n:
                    return procs
            time.sleep(0.2)
    stop_workers(procs)
    raise SystemExit(f"postloan bench: {n} workers did not start in {timeout:.0f} s; see {logs}")


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


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
    import hashlib

    source = pathlib.Path(__file__).read_text()
    builder = source[source.index("# -- the portfolio"):source.index("# -- one run in a fresh process")]
    return hashlib.sha256(builder.encode()).hexdigest()[:16]


RUNS = (("first", DAY), ("again", DAY), ("catch_up", DAY + timedelta(days=CATCH_UP)))


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
