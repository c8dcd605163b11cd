"""Date arithmetic in SQL, the same on PostgreSQL and SQLite, for the set-based inspection plan.

Business dates are Beijing dates; loans store their disbursement as a UTC timestamp. Months are calendar
months clamped to the month's end (31 January + 1 month = 28 or 29 February) on both databases, as
PostgreSQL's interval arithmetic does; SQLite's own '+N months' would overflow into March instead.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, case, cast, extract, func, literal, literal_column
from sqlalchemy.engine import Connection


def _pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def day(conn: Connection, d: date):
    """A date literal both databases compare with their date columns."""
    return literal(d, Date) if _pg(conn) else literal(d.isoformat())


def local_date(conn: Connection, ts):
    """The Beijing date of a UTC timestamp column."""
    if _pg(conn):
        return cast(func.timezone(literal_column("'Asia/Shanghai'"), ts), Date)
    return func.date(ts, "+8 hours")


def add_days(conn: Connection, d, n):
    if _pg(conn):
        return cast(d + cast(n, Integer), Date)
    return func.date(d, func.printf("%+d days", n))


def add_months(conn: Connection, d, n):
    if _pg(conn):
        return cast(d + func.make_interval(0, cast(n, Integer)), Date)
    # the first of the target month, then the original day of month, clamped to the target month's length
    first = func.date(d, "start of month", func.printf("%+d months", n))
    last_day = cast(func.strftime("%d", func.date(first, "+1 months", "-1 days")), Integer)
    dom = cast(func.strftime("%d", d), Integer)
    return func.date(first, func.printf("%+d days", func.min(dom, last_day) - 1))


def _part(conn: Connection, field: str, d):
    if _pg(conn):
        return cast(extract(field, d), Integer)
    return cast(func.strftime({"year": "%Y", "month": "%m", "day": "%d"}[field], d), Integer)


def months_between(conn: Connection, start, end):
    """Whole calendar months from `start` to `end` (end's day of month before start's: one fewer). A period
    anchored on the 29th-31st whose due date is clamped to a shorter month's end is seen a day or two late,
    with the same due date, so the unique (loan, kind, due_on) still raises it once."""
    months = (_part(conn, "year", end) - _part(conn, "year", start)) * 12 \
        + _part(conn, "month", end) - _part(conn, "month", start)
    return months - case((_part(conn, "day", end) < _part(conn, "day", start), 1), else_=0)
