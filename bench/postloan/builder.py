"""The post-loan benchmark's data builder: a database made the project's way, filled with the portfolio set-based."""
from __future__ import annotations

import io
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from bench.postloan.config import DAY, PG_SERVER
from bench.postloan.portfolio import COLUMNS, Schedules, _plan_of, behaviour, loan_rows

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
