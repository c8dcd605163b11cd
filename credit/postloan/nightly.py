"""The nightly run's statements, set-based: a few SQL statements per partition of loan ids, as of one
business date. Nothing here loads loans into memory, and every statement is idempotent for its date:
running the same date again changes nothing.

Per partition [lo, hi):
1. lock its active loans (FOR UPDATE on PostgreSQL; SQLite has one writer), so a repayment for one of
   them waits until the partition commits;
2. days past due (from the oldest instalment due before the date and not fully paid), overdue
   principal and interest, written only where they changed;
3. downgrades, automatic: a history row and the new grade where the days past due call for a worse one;
4. upgrades: a pending proposal (for the branch head) where they call for a better one, one at a time,
   but none within UPGRADE_REST of the head rejecting one or approving a manual downgrade; a pending
   proposal the loan no longer earns is withdrawn;
5. closure of loans with nothing left to pay.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Integer, and_, case, cast, exists, func, insert, literal, or_, select, update
from sqlalchemy.engine import Connection

from ..models import Loan, ScheduleLine
from .classification import grade_sql, rank_of_days_sql, rank_sql
from .models import ClassificationChange, UpgradeProposal

loan = Loan.__table__
line = ScheduleLine.__table__
change = ClassificationChange.__table__
proposal = UpgradeProposal.__table__
UPGRADE_REST = timedelta(days=30)  # no new upgrade proposal this long after a head's rejection or manual downgrade


@dataclass
class PartitionResult:
    lo: int
    hi: int
    scanned: int = 0
    changed: int = 0  # loans whose days past due or overdue amounts changed
    downgraded: int = 0
    proposed: list[int] = field(default_factory=list)  # new upgrade proposals (ids)
    withdrawn: list[tuple[int, int | None]] = field(default_factory=list)  # (proposal id, instance id)
    closed: list[tuple[int, int]] = field(default_factory=list)  # (loan id, application id)
    signals: int = 0  # risk signals raised (webapp.postloan_signals)
    inspection_tasks: int = 0  # inspection tasks raised or escalated (webapp.postloan_inspections)


def bounds(conn: Connection) -> tuple[int, int] | None:
    """The lowest and highest id of the active loans, or None when there are none."""
    row = conn.execute(select(func.min(loan.c.id), func.max(loan.c.id)).where(loan.c.status == "active")).first()
    return None if row is None or row[0] is None else (row[0], row[1])


def partitions(lo: int, hi: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, hi + 1)) for start in range(lo, hi + 1, size)]


def _days(conn: Connection, as_of: date, earlier):
    if conn.dialect.name == "postgresql":
        return literal(as_of) - earlier
    return cast(func.julianday(literal(as_of.isoformat())) - func.julianday(earlier), Integer)


def write_lock(conn: Connection) -> None:
    """On SQLite, take the database's write lock first (waiting out the busy timeout), so that a transaction
    that reads, then writes, is not refused for a snapshot another writer committed over meanwhile."""
    if conn.dialect.name == "sqlite":
        conn.execute(update(loan).where(loan.c.id < 0).values(status=loan.c.status))


def run_partition(conn: Connection, as_of: date, lo: int, hi: int) -> PartitionResult:
    out = PartitionResult(lo, hi)
    write_lock(conn)
    if conn.dialect.name == "postgresql":
        # The planner's cost estimates pass jit_above_cost at 10k loans: compiling took seconds per statement
        # that then ran in milliseconds. For this transaction only.
        conn.exec_driver_sql("SET LOCAL jit = off")
    mine = and_(loan.c.id >= lo, loan.c.id < hi, loan.c.status == "active")
    locked = select(loan.c.id).where(mine)
    if conn.dialect.name == "postgresql":
        locked = locked.with_for_update()
    out.scanned = conn.execute(select(func.count()).select_from(locked.subquery())).scalar_one()
    out.changed = _overdue(conn, as_of, lo, hi, mine)
    out.downgraded = _downgrade(conn, as_of, mine)
    out.closed = [tuple(r) for r in conn.execute(
        update(loan).where(mine, loan.c.outstanding_principal == 0, ~exists().where(
            line.c.loan_id == loan.c.id,
            line.c.principal + line.c.interest > line.c.paid_principal + line.c.paid_interest))
        .values(status="closed", closed_at=as_of, days_past_due=0, overdue_principal=0, overdue_interest=0)
        .returning(loan.c.id, loan.c.application_id))]
    out.withdrawn, out.proposed = _upgrades(conn, as_of, lo, hi, mine)
    return out


def _overdue(conn: Connection, as_of: date, lo: int, hi: int, mine) -> int:
    unpaid = line.c.principal + line.c.interest > line.c.paid_principal + line.c.paid_interest
    due = (select(line.c.loan_id,
                  func.sum(line.c.principal - line.c.paid_principal).label("op"),
                  func.sum(line.c.interest - line.c.paid_interest).label("oi"),
                  func.min(_case_date(unpaid)).label("oldest"))
           .where(line.c.loan_id >= lo, line.c.loan_id < hi, line.c.due_date < as_of)
           .group_by(line.c.loan_id).subquery())
    dpd = func.coalesce(_days(conn, as_of, due.c.oldest), 0)
    result = conn.execute(
        update(loan).where(mine, loan.c.id == due.c.loan_id, or_(
            loan.c.overdue_principal != due.c.op, loan.c.overdue_interest != due.c.oi, loan.c.days_past_due != dpd))
        .values(overdue_principal=due.c.op, overdue_interest=due.c.oi, days_past_due=dpd))
    return result.rowcount


def _case_date(condition):
    return case((condition, line.c.due_date), else_=None)


def _downgrade(conn: Connection, as_of: date, mine) -> int:
    worse = and_(mine, rank_of_days_sql(loan.c.days_past_due) > rank_sql(loan.c.classification))
    conn.execute(insert(change).from_select(
        ["loan_id", "as_of", "from_code", "to_code", "days_past_due", "kind"],
        select(loan.c.id, literal(as_of), loan.c.classification, grade_sql(loan.c.days_past_due),
               loan.c.days_past_due, literal("downgrade")).where(worse)))
    return conn.execute(update(loan).where(worse).values(classification=grade_sql(loan.c.days_past_due))).rowcount


def _upgrades(conn: Connection, as_of: date, lo: int, hi: int, mine):
    better = rank_of_days_sql(loan.c.days_past_due) < rank_sql(loan.c.classification)
    pending = and_(proposal.c.loan_id == loan.c.id, proposal.c.status == "pending")
    no_longer = select(loan.c.id).where(loan.c.id >= lo, loan.c.id < hi, or_(loan.c.status != "active", ~better))
    withdrawn = [tuple(r) for r in conn.execute(
        update(proposal).where(proposal.c.status == "pending", proposal.c.loan_id >= lo, proposal.c.loan_id < hi,
                               proposal.c.loan_id.in_(no_longer))
        .values(status="withdrawn").returning(proposal.c.id, proposal.c.instance_id))]
    since = as_of - UPGRADE_REST
    # A grade the branch head chose (a rejected upgrade, a downgrade an inspection proposed) rests a while:
    # without this the next night would ask again, and every night after each rejection.
    rejected = exists().where(proposal.c.loan_id == loan.c.id, proposal.c.status == "rejected",
                              proposal.c.as_of >= since)
    chosen = exists().where(change.c.loan_id == loan.c.id, change.c.kind == "downgrade",
                            change.c.decided_by.is_not(None), change.c.as_of >= since)
    proposed = [r[0] for r in conn.execute(insert(proposal).from_select(
        ["loan_id", "as_of", "from_code", "to_code", "days_past_due", "status"],
        select(loan.c.id, literal(as_of), loan.c.classification, grade_sql(loan.c.days_past_due),
               loan.c.days_past_due, literal("pending")).where(mine, better, ~exists().where(pending),
                                                              ~rejected, ~chosen))
        .returning(proposal.c.id))]
    return withdrawn, proposed
