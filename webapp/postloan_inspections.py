"""Inspections in the nightly run: first and periodic inspections due by the business date, off-site reviews
for low-risk loans, on-site inspections raised by signals, and SLA escalation (issue 12).

The plan is set-based (credit.postloan.inspections: INSERT … SELECT per partition); a process instance of
post_loan_inspection is started only for an inspection that becomes someone's task that day, with the
loan's application id as its business key. Off-site reviews of the batch are rows, never processes.
An inspection past its SLA is escalated once: an `inspection_escalated` audit event and a follow-up task
(督办) for the branch head of the loan's branch, which the next run withdraws once the loan has no overdue
inspection left open.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import String, and_, cast, exists, select, update
from sqlalchemy.orm import Session

from credit.models import Application, Loan
from credit.postloan import inspections, officers
from credit.postloan.models import LoanInspection
from credit.postloan.nightly import PartitionResult
from credit.steps.postloan import branch_heads
from engine.ending import end_instance
from engine.models import HumanTask

from .bootstrap import Container

PROCESS = "post_loan_inspection"
SUPERVISE = "supervise_inspection"
li = LoanInspection.__table__


def after_partition(c: Container, s: Session, day: date, result: PartitionResult, actor: str) -> int:
    """Raise what is due by `day` for the partition's loans, in its transaction; the number of tasks raised
    (inspections that became a task, and escalations to a branch head)."""
    conn = s.connection()
    planned = inspections.plan(conn, day, result.lo, result.hi)
    deployed = c.definitions.latest_definition(s, PROCESS) is not None
    raised = _start(c, s, planned.tasks, actor) if deployed else 0
    escalated = _escalate(c, s, inspections.overdue(conn, day, result.lo, result.hi), actor, deployed)
    _withdraw_followups(c, s, result.lo, result.hi, actor)
    return raised + escalated


def _loans(s: Session, loan_ids: set[int]) -> dict[int, Loan]:
    return {l.id: l for l in s.scalars(select(Loan).where(Loan.id.in_(loan_ids)))} if loan_ids else {}


def _start(c: Container, s: Session, rows, actor: str) -> int:
    loans = _loans(s, {r.loan_id for r in rows})
    for r in rows:
        loan = loans[r.loan_id]
        officer = r.officer or loan.officer
        if officer is None:  # a loan booked before managing officers were assigned: choose one now
            officer, why = officers.choose(s, s.get(Application, loan.application_id))
            loan.officer = officer
            c.runtime.record(s, actor, "loan_officer_assigned", str(loan.application_id),
                             {"loan_id": loan.id, "officer": officer, "reason": why})
        instance = c.runtime.start(s, PROCESS, {
            "loan_id": loan.id, "inspection_id": r.id, "kind": r.kind, "mode": r.mode, "officer": officer,
            "due_on": r.due_on.isoformat(), "sla_due_on": r.sla_due_on.isoformat() if r.sla_due_on else None,
        }, actor, str(loan.application_id))
        s.execute(update(li).where(li.c.id == r.id).values(instance_id=instance.id, officer=officer))
    return len(rows)


def _escalate(c: Container, s: Session, rows, actor: str, deployed: bool) -> int:
    loans = _loans(s, {r.loan_id for r in rows})
    heads_of: dict[int, list[str]] = {}
    raised = 0
    for r in rows:
        loan = loans[r.loan_id]
        key = str(loan.application_id)
        if loan.application_id not in heads_of:
            heads_of[loan.application_id] = branch_heads(s, key)
        heads = heads_of[loan.application_id]
        to = heads[0] if heads else "admin"  # as the SLA job does: the administrator when the branch has no head
        s.execute(update(li).where(li.c.id == r.id).values(escalated_to=to))
        c.runtime.record(s, actor, "inspection_escalated", key, {
            "inspection_id": r.id, "loan_id": loan.id, "kind": r.kind, "officer": r.officer,
            "sla_due_on": r.sla_due_on.isoformat() if r.sla_due_on else None, "notified": ",".join(heads) or "admin"})
        if heads and deployed:
            c.runtime.start(s, PROCESS, {"loan_id": loan.id, "inspection_id": r.id, "kind": r.kind,
                                         "mode": "escalation", "officer": r.officer, "head": to, "heads": heads,
                                         "sla_due_on": r.sla_due_on.isoformat() if r.sla_due_on else None},
                            actor, key)
            raised += 1
    return raised


def _withdraw_followups(c: Container, s: Session, lo: int, hi: int, actor: str) -> None:
    """A branch head's follow-up ends once the loan has no escalated inspection left open."""
    still_overdue = exists().where(li.c.loan_id == Loan.id, li.c.status == "open", li.c.escalated_on.is_not(None))
    stale = s.scalars(select(HumanTask.instance_id).join(
        Loan, HumanTask.business_key == cast(Loan.application_id, String)).where(
        HumanTask.state == "ready", HumanTask.post == "branch_head", HumanTask.process_id == PROCESS,
        HumanTask.spec_name == SUPERVISE, and_(Loan.id >= lo, Loan.id < hi), ~still_overdue))
    for instance_id in list(stale):
        end_instance(c.runtime, s, instance_id, actor, "inspection done")


def loan_closed(c: Container, s: Session, loan_id: int, actor: str) -> None:
    """A closed loan's open inspections are cancelled (webapp.postloan.closed ends their processes)."""
    cancelled = inspections.cancel_open(s, loan_id)
    if cancelled:
        loan = s.get(Loan, loan_id)
        c.runtime.record(s, actor, "inspections_cancelled", str(loan.application_id),
                         {"loan_id": loan_id, "inspection_ids": cancelled, "reason": "loan closed"})
