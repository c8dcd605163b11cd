"""Post-loan use cases: repayments from core banking (API and CSV file) and the nightly run.

Each repayment is one transaction; the nightly run is one transaction per partition of loan ids per
business date. A loan paid off in full is closed and its inspection process ends in the same transaction.
"""
from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from credit.models import Loan
from credit.money import as_str
from credit.postloan import nightly, repayments
from credit.postloan.models import NightlyRun, Repayment, UpgradeProposal
from engine.ending import end_instance, running
from engine.errors import Conflict, InvalidData, NotFound

from . import postloan_inspections, postloan_signals
from .bootstrap import Container

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
INSPECTION = "post_loan_inspection"
UPGRADE = "classification_upgrade"  # the branch head's approval of an upgrade, when such a process is deployed
PARTITION_SIZE = 10_000
COLUMNS = ("loan_id", "txn_id", "paid_at", "amount")


def today(c: Container) -> date:
    return c.clock.now().astimezone(BEIJING).date()


def last_processed(session: Session) -> date | None:
    return session.scalar(select(func.max(NightlyRun.as_of)).where(NightlyRun.finished_at.is_not(None)))


def business_date(c: Container, session: Session) -> date:
    """The latest date the nightly run processed, or today in Beijing when it never ran."""
    return last_processed(session) or today(c)


# -- repayments -----------------------------------------------------------------------------------

def repayment_json(r: Repayment, loan: Loan) -> dict:
    return {"id": r.id, "loan_id": r.loan_id, "txn_id": r.txn_id, "paid_at": r.paid_at.isoformat(),
            "amount": as_str(r.amount), "interest": as_str(r.interest), "principal": as_str(r.principal),
            "prepaid": as_str(r.prepaid), "loan_status": loan.status,
            "outstanding_principal": as_str(loan.outstanding_principal)}


def record_repayment(c: Container, payment: repayments.Payment, actor: str, source: str = "api") -> tuple[dict, bool]:
    """Apply one payment: (the repayment as JSON, whether it is new). NotFound, InvalidData, Conflict."""
    with c.uow() as uow:
        s = uow.session
        loan = repayments.lock_loan(s, payment.loan_id)
        if loan is None:
            raise NotFound(f"no loan {payment.loan_id}")
        try:
            repayment, created = repayments.apply(s, loan, payment, business_date(c, s), source, actor, c.clock.now())
        except repayments.Duplicate as exc:
            raise Conflict(str(exc)) from None
        except repayments.Refused as exc:
            raise InvalidData(exc.errors, str(exc)) from None
        if created:
            _recorded(c, s, loan, repayment, actor)
        out = repayment_json(repayment, loan)
        uow.commit()
    return out, created


def _recorded(c: Container, s: Session, loan: Loan, r: Repayment, actor: str) -> None:
    c.runtime.record(s, actor, "repayment_recorded", str(loan.application_id), {
        "loan_id": loan.id, "txn_id": r.txn_id, "paid_at": r.paid_at.isoformat(), "amount": as_str(r.amount),
        "interest": as_str(r.interest), "principal": as_str(r.principal), "prepaid": as_str(r.prepaid)})
    if loan.status == "closed":
        closed(c, s, loan.id, loan.application_id, actor)


def closed(c: Container, s: Session, loan_id: int, application_id: int, actor: str) -> None:
    """A loan was paid off: its inspection process ends and pending upgrade proposals are withdrawn."""
    c.runtime.record(s, actor, "loan_closed", str(application_id), {"loan_id": loan_id})
    for instance_id in running(s, INSPECTION, str(application_id)):
        end_instance(c.runtime, s, instance_id, actor, "loan closed")
    postloan_inspections.loan_closed(c, s, loan_id, actor)
    for p in s.scalars(select(UpgradeProposal).where(UpgradeProposal.loan_id == loan_id,
                                                     UpgradeProposal.status == "pending")):
        p.status = "withdrawn"
        if p.instance_id is not None:
            end_instance(c.runtime, s, p.instance_id, actor, "loan closed")


def _rows(reader: csv.DictReader, out: "ImportResult"):
    """(line, row) pairs; a line the csv module cannot read (a field over its limit, …) is reported, and
    ends the file's reading: what follows it cannot be told apart."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            out.errors.append((reader.line_num, f"not CSV: {exc}"))
            return
        yield reader.line_num, row


@dataclass
class ImportResult:
    imported: int = 0
    unchanged: int = 0  # rows whose txn_id was recorded before with the same details
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message); nothing imported if any


def import_csv(c: Container, text: str, actor: str) -> ImportResult:
    """Import a core-banking file (header loan_id,txn_id,paid_at,amount): all rows or none. Every bad row
    is reported by its line: unknown loan, negative amount, overpayment, after the business date, …"""
    out = ImportResult()
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        header = None
        out.errors.append((1, f"not CSV: {exc}"))
        return out
    if header is None or [f.strip() for f in header] != list(COLUMNS):
        out.errors.append((1, f"the header must be {','.join(COLUMNS)}"))
        return out
    with c.uow() as uow:
        s = uow.session
        bd, loans, applied = business_date(c, s), {}, []
        for line, row in _rows(reader, out):
            try:
                if None in row:  # a shifted row (say, an amount split by a thousands comma) is refused, not read
                    raise repayments.Refused({"row": ["more fields than the header names"]})
                payment = repayments.parse({k.strip(): v for k, v in row.items() if isinstance(k, str)})
                if payment.loan_id not in loans:
                    loans[payment.loan_id] = repayments.lock_loan(s, payment.loan_id)
                loan = loans[payment.loan_id]
                if loan is None:
                    raise repayments.Refused({"loan_id": [f"unknown loan {payment.loan_id}"]})
                repayment, created = repayments.apply(s, loan, payment, bd, "csv", actor, c.clock.now())
            except repayments.Refused as exc:
                out.errors.append((line, str(exc)))
                continue
            if created:
                out.imported += 1
                applied.append((loan, repayment))
            else:
                out.unchanged += 1
        if out.errors:
            out.imported = out.unchanged = 0
            return out  # rolled back: nothing imported
        for loan, repayment in applied:
            _recorded(c, s, loan, repayment, actor)
        uow.commit()
    return out


# -- the nightly run ------------------------------------------------------------------------------

@dataclass
class PartitionDone:
    """What one partition did, in counts, wherever it ran (in this process or on a queue worker)."""
    lo: int
    hi: int
    scanned: int = 0
    changed: int = 0
    downgraded: int = 0
    closed: int = 0
    signals: int = 0
    tasks: int = 0
    worker: str = "in-process"  # the process that ran it
    seconds: float = 0.0

    @classmethod
    def of(cls, r: nightly.PartitionResult, worker: str = "in-process", seconds: float = 0.0) -> "PartitionDone":
        return cls(r.lo, r.hi, r.scanned, r.changed, r.downgraded, len(r.closed), r.signals,
                   len(r.proposed) + r.inspection_tasks, worker, seconds)


@dataclass
class RunSummary:
    dates: list[date] = field(default_factory=list)
    scanned: int = 0  # loan-days: each active loan once per business date
    classified: int = 0  # loans whose days past due or overdue amounts changed
    downgraded: int = 0
    closed: int = 0
    signals: int = 0  # risk signals raised
    tasks: int = 0  # tasks raised: upgrade proposals for the branch head, inspections
    seconds: float = 0.0

    def add(self, r: PartitionDone) -> None:
        self.scanned += r.scanned
        self.classified += r.changed
        self.downgraded += r.downgraded
        self.closed += r.closed
        self.signals += r.signals
        self.tasks += r.tasks


Progress = Callable[[date, PartitionDone, int, int], None]
# Runs every partition of one business date, calling back as each one commits; returns once all have,
# raises if one cannot be run. In this process (below), or on queue workers (webapp.postloan_queue).
Dispatch = Callable[[Container, date, list[tuple[int, int]], str, Callable[[PartitionDone], None]], None]


def in_process(c: Container, day: date, parts: list[tuple[int, int]], actor: str,
               done: Callable[[PartitionDone], None]) -> None:
    for lo, hi in parts:
        started = time.perf_counter()
        result = run_partition(c, day, lo, hi, actor)
        done(PartitionDone.of(result, seconds=time.perf_counter() - started))


def dates_to_run(c: Container, as_of: date | None) -> list[date]:
    """Each business date not yet processed up to `as_of` (today in Beijing), once; the last processed
    date again when `as_of` is that date (which changes nothing)."""
    with c.uow() as uow:
        last = last_processed(uow.session)
    target = as_of or today(c)
    if last is None or target == last:
        return [target]
    if target < last:
        raise InvalidData({"as_of": [f"before the business date {last.isoformat()}, which is already processed"]})
    return [last + timedelta(days=n) for n in range(1, (target - last).days + 1)]


def run(c: Container, as_of: date | None = None, partition_size: int = PARTITION_SIZE,
        progress: Progress | None = None, actor: str = "nightly", dispatch: Dispatch = in_process) -> RunSummary:
    """The missed business dates in order: a date starts once every partition of the one before committed
    and it was marked finished. A failing date raises, unfinished, and the dates after it wait."""
    started = time.perf_counter()
    summary = RunSummary()
    for day in dates_to_run(c, as_of):
        run_date(c, day, partition_size, progress, actor, summary, dispatch)
        summary.dates.append(day)
    summary.seconds = time.perf_counter() - started
    return summary


def run_date(c: Container, day: date, partition_size: int, progress: Progress | None, actor: str,
             summary: RunSummary, dispatch: Dispatch = in_process) -> None:
    with c.uow() as uow:
        record = uow.session.get(NightlyRun, day)
        if record is None:
            uow.session.add(NightlyRun(as_of=day, started_at=c.clock.now(), summary={}))
        found = nightly.bounds(uow.session.connection())
        uow.commit()
    before = RunSummary()
    parts = nightly.partitions(*found, partition_size) if found else []

    def done(r: PartitionDone) -> None:
        before.add(r)
        if progress is not None:
            progress(day, r, len(seen) + 1, len(parts))
        seen.append(r)

    seen: list[PartitionDone] = []
    dispatch(c, day, parts, actor, done)
    for name in ("scanned", "classified", "downgraded", "closed", "signals", "tasks"):
        setattr(summary, name, getattr(summary, name) + getattr(before, name))
    with c.uow() as uow:
        record = uow.session.get(NightlyRun, day)
        if record.finished_at is None:
            record.finished_at = c.clock.now()
            record.summary = {"partitions": len(parts), "scanned": before.scanned, "classified": before.classified,
                              "downgraded": before.downgraded, "closed": before.closed, "signals": before.signals,
                              "tasks": before.tasks}
        uow.commit()


def run_partition(c: Container, day: date, lo: int, hi: int, actor: str = "nightly",
                  then: Callable[[Session, nightly.PartitionResult], None] | None = None) -> nightly.PartitionResult:
    """One partition as of one business date, in one transaction (a job queue's unit of work). `then`
    runs last in that transaction: a queue worker reports the result there, so that it is sent if and
    only if the partition commits."""
    with c.uow() as uow:
        s = uow.session
        result = nightly.run_partition(s.connection(), day, lo, hi)
        for loan_id, application_id in result.closed:
            closed(c, s, loan_id, application_id, actor)
        for _proposal_id, instance_id in result.withdrawn:
            if instance_id is not None:
                end_instance(c.runtime, s, instance_id, actor, "upgrade no longer earned")
        raise_upgrade_tasks(c, s, result.proposed, actor)
        # Signals read what the statements above wrote (days past due, downgrades); inspections read the signals.
        result.signals = postloan_signals.after_partition(c, s, day, result, actor)
        result.inspection_tasks = postloan_inspections.after_partition(c, s, day, result, actor)
        if then is not None:
            then(s, result)
        uow.commit()
    return result


def raise_upgrade_tasks(c: Container, s: Session, proposal_ids: list[int], actor: str) -> None:
    """Each new upgrade proposal becomes the branch head's task, once an approval process is deployed."""
    if not proposal_ids or c.definitions.latest_definition(s, UPGRADE) is None:
        return
    for p in s.scalars(select(UpgradeProposal).where(UpgradeProposal.id.in_(proposal_ids))):
        loan = s.get(Loan, p.loan_id)
        instance = c.runtime.start(s, UPGRADE, {"loan_id": p.loan_id, "proposal_id": p.id, "from_code": p.from_code,
                                                "to_code": p.to_code, "days_past_due": p.days_past_due},
                                   actor, str(loan.application_id))
        p.instance_id = instance.id


# -- reading loans --------------------------------------------------------------------------------

def list_loans(session: Session, viewer, classification: str | None, officer: str | None,
               overdue: bool | None, limit: int, offset: int) -> tuple[list[Loan], int]:
    """Loans the viewer may see, newest first; `officer` is the loan's managing post-loan officer (chosen by
    grid, else workload, at disbursement)."""
    from . import access

    where = [access.loans_seen(viewer)]
    if classification:
        where.append(Loan.classification == classification)
    if overdue is not None:
        where.append(Loan.days_past_due > 0 if overdue else Loan.days_past_due == 0)
    if officer:
        where.append(Loan.officer == officer)
    total = session.scalar(select(func.count()).select_from(Loan).where(*where))
    loans = list(session.scalars(select(Loan).where(*where).order_by(Loan.id.desc()).limit(limit).offset(offset)
                                 .options(lazyload(Loan.schedule))))
    return loans, total
