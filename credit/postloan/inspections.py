"""The inspection plan of the nightly run: a few INSERT … SELECT statements per partition of loan ids, as of
one business date, whatever the wall clock says. Each inspection is a loan_inspection row, unique per loan,
kind and due date, so running a date twice, or catching several dates up, raises each one once.

- first: the first tracking inspection (首次跟踪检查), on-site, raised by the first run on or after the
  disbursement date and due within the product's `first_check_days`; its SLA is that due date. A loan
  first seen more than FIRST_GRACE_DAYS after that date (booked before post-loan ran, or migrated) goes
  straight to the periodic cycle instead of raising a first inspection that can no longer be "first".
- periodic: every `periodic_months` calendar months from disbursement (quarterly for business loans, annual
  for small credit). Low-risk loans (normal, no days past due, no open signal, and a last inspection that
  found neither diverted funds nor a declining or stopped business) are reviewed off-site by the batch:
  a row with status `offsite` and the evidence used, no task. The others get a task: on-site for
  business-purpose products, an off-site review by the officer for consumer products.
- alert: an on-site inspection for each loan with a risk signal asking for one (risk_signal.onsite) raised
  that date, unless one is open already.
- escalation: open inspections past their SLA as of the date, once each (escalated_on).

Only rows that become tasks are returned, so the caller starts process instances only for them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, exists, func, insert, literal, literal_column, or_, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from ..models import Loan, Product
from . import dates
from .models import LoanInspection, NightlyRun, RiskSignal

loan = Loan.__table__
product = Product.__table__
li = LoanInspection.__table__
signal = RiskSignal.__table__

FIRST_GRACE_DAYS = 30
PERIODIC_SLA_DAYS = 15
ALERT_SLA_DAYS = 7
FLAGGED_USAGE = ("diverted",)
FLAGGED_BUSINESS = ("declining", "stopped")
COLUMNS = ["loan_id", "kind", "mode", "due_on", "raised_on", "sla_due_on", "status", "officer", "signal_id", "result"]
RETURNED = (li.c.id, li.c.loan_id, li.c.kind, li.c.mode, li.c.officer, li.c.due_on, li.c.sla_due_on)


@dataclass
class Planned:
    tasks: list[Row]  # (id, loan_id, kind, mode, officer, due_on, sla_due_on) of new rows needing a task
    offsite: int = 0  # off-site reviews recorded by the batch


def _json(conn: Connection, *pairs):
    """A JSON object built by the database (json_build_object / json_object)."""
    name = "json_build_object" if conn.dialect.name == "postgresql" else "json_object"
    # keys (and constant values) inline: PostgreSQL cannot type a bound parameter passed as "any"
    args = [a for k, v in pairs for a in (literal_column(f"'{k}'"), v)]
    return getattr(func, name)(*args)


def _mine(lo: int, hi: int):
    return and_(loan.c.id >= lo, loan.c.id < hi, loan.c.status == "active")


def _within(table, lo: int, hi: int) -> list:
    """The partition's bounds on the inner side of an anti-join too: the planner then hashes (or probes)
    only the partition's inspections, not the whole table's."""
    return [table.c.loan_id >= lo, table.c.loan_id < hi]


def _none_with(kind: str, lo: int, hi: int):
    other = li.alias()
    where = [other.c.loan_id == loan.c.id, other.c.kind == kind, *_within(other, lo, hi)]
    return ~exists().where(*where)


def _insert(conn: Connection, query) -> list[Row]:
    return list(conn.execute(insert(li).from_select(COLUMNS, query).returning(*RETURNED)))


def plan(conn: Connection, as_of: date, lo: int, hi: int) -> Planned:
    """In the partition's transaction, which nightly.run_partition opened with JIT off on PostgreSQL."""
    tasks = _first(conn, as_of, lo, hi) + _alerts(conn, as_of, lo, hi)
    periodic, offsite = _periodic(conn, as_of, lo, hi)
    return Planned(tasks + periodic, offsite)


def _first(conn: Connection, as_of: date, lo: int, hi: int) -> list[Row]:
    today = dates.day(conn, as_of)
    disbursed = dates.local_date(conn, loan.c.disbursed_at)
    due = dates.add_days(conn, disbursed, product.c.first_check_days)
    # a plain timestamp bound first, so that only recent loans are looked at further (dates, index probe)
    longest = conn.execute(select(func.max(product.c.first_check_days))).scalar() or 0
    since = datetime.combine(as_of - timedelta(days=longest + FIRST_GRACE_DAYS + 1), time(), timezone.utc)
    return _insert(conn, select(
        loan.c.id, literal("first"), literal("onsite"), due, today, due, literal("open"), loan.c.officer,
        literal(None), _json(conn))
        .select_from(loan.join(product, product.c.code == loan.c.product_code))
        .where(_mine(lo, hi), loan.c.disbursed_at >= since, disbursed <= today,
               dates.add_days(conn, due, FIRST_GRACE_DAYS) >= today, _none_with("first", lo, hi)))


def _alerts(conn: Connection, as_of: date, lo: int, hi: int) -> list[Row]:
    today = dates.day(conn, as_of)
    raised = (select(signal.c.loan_id, func.min(signal.c.id).label("signal_id"))
              .where(signal.c.as_of == today, signal.c.onsite.is_(True), signal.c.loan_id >= lo,
                     signal.c.loan_id < hi)
              .group_by(signal.c.loan_id).subquery())
    other = li.alias()
    already = exists().where(other.c.loan_id == loan.c.id, other.c.kind == "alert", *_within(other, lo, hi),
                             or_(other.c.status == "open", other.c.due_on == today))
    return _insert(conn, select(
        loan.c.id, literal("alert"), literal("onsite"), today, today,
        dates.add_days(conn, today, ALERT_SLA_DAYS), literal("open"), loan.c.officer, raised.c.signal_id,
        _json(conn))
        .select_from(loan.join(raised, raised.c.loan_id == loan.c.id))
        .where(_mine(lo, hi), ~already))


def _periodic(conn: Connection, as_of: date, lo: int, hi: int) -> tuple[list[Row], int]:
    """One statement: the loans whose current period has no inspection yet (in steady state a few per
    partition: one index probe per loan finds them), each recorded off-site with its evidence when low-risk,
    else raised as a task. Only these few rows read the signals and the last inspection."""
    today = dates.day(conn, as_of)
    disbursed = dates.local_date(conn, loan.c.disbursed_at)
    months = dates.months_between(conn, disbursed, today)
    due = dates.add_months(conn, disbursed, (months // product.c.periodic_months) * product.c.periodic_months)
    c = (select(loan.c.id.label("loan_id"), loan.c.officer, loan.c.classification, loan.c.days_past_due,
                product.c.purpose_type, due.label("due"))
         .select_from(loan.join(product, product.c.code == loan.c.product_code))
         .where(_mine(lo, hi), product.c.periodic_months > 0, months >= product.c.periodic_months).subquery())
    other, done = li.alias("other"), li.alias("done")

    def last(column):  # the loan's latest done inspection's column (correlated with the candidate row)
        return (select(column).where(done.c.loan_id == c.c.loan_id, done.c.status == "done", *_within(done, lo, hi))
                .order_by(done.c.id.desc()).limit(1).correlate(c).scalar_subquery())

    last_id = last(done.c.id)
    usage, business = last(done.c.result["fund_usage"].as_string()), last(done.c.result["business_status"].as_string())
    open_signals = exists().where(signal.c.loan_id == c.c.loan_id, signal.c.status == "open",
                                  *_within(signal, lo, hi)).correlate(c)
    low_risk = and_(c.c.classification == "normal", c.c.days_past_due == 0, ~open_signals,
                    func.coalesce(usage, "").not_in(FLAGGED_USAGE),
                    func.coalesce(business, "").not_in(FLAGGED_BUSINESS))
    evidence = _json(conn, ("basis", literal_column("'low_risk'")), ("classification", c.c.classification),
                     ("days_past_due", c.c.days_past_due), ("open_signals", literal_column("0")),
                     ("last_inspection_id", last_id), ("last_fund_usage", usage),
                     ("last_business_status", business))
    mode = case((low_risk, "offsite"), (c.c.purpose_type == "business", "onsite"), else_="offsite")
    stmt = insert(li).from_select(COLUMNS, select(
        c.c.loan_id, literal("periodic"), mode, c.c.due, today,
        case((low_risk, c.c.due), else_=dates.add_days(conn, c.c.due, PERIODIC_SLA_DAYS)),
        case((low_risk, "offsite"), else_="open"), c.c.officer, literal(None),
        case((low_risk, evidence), else_=_json(conn)))
        .where(~exists().where(other.c.loan_id == c.c.loan_id, other.c.kind == "periodic",
                               other.c.due_on == c.c.due, *_within(other, lo, hi)).correlate(c)))
    rows = list(conn.execute(stmt.returning(*RETURNED, li.c.status)))
    return [r for r in rows if r.status == "open"], sum(1 for r in rows if r.status == "offsite")


def overdue(conn: Connection, as_of: date, lo: int, hi: int) -> list[Row]:
    """Mark the partition's open inspections past their SLA as escalated on `as_of`; the ones marked now."""
    today = dates.day(conn, as_of)
    return list(conn.execute(
        update(li).where(li.c.loan_id >= lo, li.c.loan_id < hi, li.c.status == "open", li.c.sla_due_on < today,
                         li.c.escalated_on.is_(None))
        .values(escalated_on=today).returning(*RETURNED, li.c.instance_id)))


def cancel_open(session: Session, loan_id: int) -> list[int]:
    """A closed loan's open inspections are cancelled (their processes end with the loan)."""
    return [r[0] for r in session.execute(
        update(li).where(li.c.loan_id == loan_id, li.c.status == "open").values(status="cancelled")
        .returning(li.c.id))]


def blocked_officers(session: Session, usernames: list[str] | None = None) -> dict[str, int]:
    """Officers whose inspections are overdue two periods running, with how many: a period is one business
    date of the nightly run, so an officer is blocked when an inspection of theirs that is still open was
    already past its SLA as of the previous processed business date (it was overdue at the last two runs).
    They are caught up, and allocated again, once no such inspection is left open (done or reassigned)."""
    if usernames is not None and not usernames:
        return {}
    runs = list(session.scalars(select(NightlyRun.as_of).where(NightlyRun.finished_at.is_not(None))
                                .order_by(NightlyRun.as_of.desc()).limit(2)))
    if len(runs) < 2:
        return {}
    previous = runs[1]
    where = [LoanInspection.status == "open", LoanInspection.sla_due_on < previous,
             LoanInspection.officer.is_not(None)]
    if usernames is not None:
        where.append(LoanInspection.officer.in_(usernames))
    rows = session.execute(select(LoanInspection.officer, func.count()).where(*where)
                           .group_by(LoanInspection.officer))
    return {officer: n for officer, n in rows}


def blocked_reason(username: str, count: int) -> str:
    return f"{username} 贷后检查连续两期逾期未完成({count}件),补齐前暂停分配新业务"


def open_inspections(session: Session, usernames: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(usernames, 0)
    if usernames:
        counts.update({o: n for o, n in session.execute(select(LoanInspection.officer, func.count()).where(
            LoanInspection.officer.in_(usernames), LoanInspection.status == "open").group_by(LoanInspection.officer))})
    return counts


def business_date_of(session: Session, fallback: date) -> date:
    last = session.scalar(select(func.max(NightlyRun.as_of)).where(NightlyRun.finished_at.is_not(None)))
    return last or fallback

