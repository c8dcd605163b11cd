"""The JSON shapes of DESIGN.md's interfaces. Money as decimal strings, rates as fractions."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import object_session

from credit.models import Application, CreditDecision, Loan
from credit.services import rejection_explanations
from credit.money import as_str, rate_str
from engine.models import AuditEvent, HumanTask, ProcessDefinition

from ..postloan_signals import loan_signals


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def task_json(t: HumanTask) -> dict[str, Any]:
    return {
        "id": t.id, "name": t.spec_name, "title": t.title, "form_key": t.form_key,
        "application_id": int(t.business_key) if t.business_key and t.business_key.isdigit() else None,
        "process_id": t.process_id, "instance_id": t.instance_id, "post": t.post, "duty": t.duty,
        "assignee": t.assignee, "state": t.state, "due_at": _iso(t.due_at), "created_at": _iso(t.created_at),
        "completed_at": _iso(t.completed_at), "completed_by": t.completed_by,
    }


def decision_json(d: CreditDecision) -> dict[str, Any]:
    return {"table": d.table, "version": d.version, "inputs": d.inputs, "outputs": d.outputs,
            "matched_rules": d.matched_rules, "explanations": d.descriptions, "at": _iso(d.at)}


def application_json(app: Application, tasks: list[HumanTask], decisions: list[CreditDecision],
                     loan_id: int | None) -> dict[str, Any]:
    c = app.customer
    return {
        "id": app.id, "status": app.status, "product_code": app.product_code, "amount": as_str(app.amount),
        "term_months": app.term_months, "purpose": app.purpose, "channel": app.channel,
        "applicant": {"name": c.name, "id_number": c.id_number, "phone": c.phone, "birth_date": _iso(c.birth_date),
                      "annual_income": as_str(c.annual_income), "village_code": app.village_code},
        "tasks": [task_json(t) for t in tasks], "loan_id": loan_id,
        "decisions": [decision_json(d) for d in decisions],
        "score": app.score, "band": app.band, "proposed_limit": as_str(app.proposed_limit),
        "annual_rate": rate_str(app.annual_rate), "spread_bp": app.spread_bp,
        "approved_amount": as_str(app.approved_amount), "payment_mode": app.payment_mode,
        "contract_no": app.contract_no, "rejection_reasons": app.rejection_reasons,
        "rejection_explanations": rejection_explanations(app, decisions),
        "intake_user": app.intake_user, "assignments": app.assignments, "allocation_reasons": app.allocation_reasons,
        "instance_id": app.instance_id, "created_at": _iso(app.created_at), "updated_at": _iso(app.updated_at),
    }


def loan_json(loan: Loan, detail: bool = True) -> dict[str, Any]:
    """A loan; `detail` adds its schedule (with what was paid), classification history and signals."""
    out = {
        "id": loan.id, "application_id": loan.application_id, "product_code": loan.product_code,
        "principal": as_str(loan.principal),
        "annual_rate": rate_str(loan.annual_rate), "term_months": loan.term_months,
        "repayment_method": loan.repayment_method, "payment_mode": loan.payment_mode,
        "disbursed_at": _iso(loan.disbursed_at), "maturity_date": _iso(loan.maturity_date),
        "outstanding_principal": as_str(loan.outstanding_principal), "status": loan.status,
        "closed_at": _iso(loan.closed_at), "classification": loan.classification,
        "days_past_due": loan.days_past_due, "overdue_principal": as_str(loan.overdue_principal),
        "overdue_interest": as_str(loan.overdue_interest), "officer": loan.officer,
    }
    if not detail:
        return out
    out["schedule"] = [{"period": s.period, "due_date": _iso(s.due_date), "principal": as_str(s.principal),
                        "interest": as_str(s.interest), "total": as_str(s.total),
                        "remaining_principal": as_str(s.remaining_principal), "paid_principal": as_str(s.paid_principal),
                        "paid_interest": as_str(s.paid_interest), "paid_at": _iso(s.paid_at)} for s in loan.schedule]
    out["classification_history"] = [
        {"as_of": _iso(h.as_of), "from": h.from_code, "to": h.to_code, "days_past_due": h.days_past_due,
         "kind": h.kind, "decided_by": h.decided_by} for h in loan.classification_history]
    out["signals"] = loan_signals(object_session(loan), loan.id)  # risk signals, with their rule and evidence
    return out


def event_json(e: AuditEvent) -> dict[str, Any]:
    return {"seq": e.seq, "at": _iso(e.at), "actor": e.actor, "type": e.type, "instance_id": e.instance_id,
            "task_id": e.task_id, "data": e.data, "model_version": e.model_version, "rule_ids": e.rule_ids,
            "hash": e.hash}


def definition_json(d: ProcessDefinition, deployment_version: int | None = None) -> dict[str, Any]:
    return {"process_id": d.process_id, "name": d.name, "version": d.version, "kind": d.kind,
            "file": d.filename, "sha256": d.sha256, "deployment_id": d.deployment_id,
            "deployment_version": deployment_version, "created_at": _iso(d.created_at)}
