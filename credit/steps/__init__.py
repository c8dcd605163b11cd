"""Service-task functions the BPMN models call, by operator name.

Each takes the engine's service context (`ctx`: session, business_key, data, now,
duties(), workload(), start_process(), audit()) and returns JSON-able task data.
"""
from __future__ import annotations

from functools import partial

from ..postloan.upgrades import decide_upgrade
from ..providers import Providers
from . import approval, assessment, disbursement, intake, postloan, staffing

STEPS = {
    "credit.admission_facts": intake.admission_facts,
    "credit.set_status": intake.set_status,
    "credit.reject": intake.reject,
    "credit.mark_returned": intake.mark_returned,
    "credit.allocate": staffing.allocate,
    "credit.apply_manual_allocation": staffing.apply_manual_allocation,
    "credit.investigation_facts": assessment.investigation_facts,
    "credit.propose_terms": assessment.propose_terms,
    "credit.approval_facts": approval.approval_facts,
    "credit.auto_decision": approval.auto_decision,
    "credit.record_decision": approval.record_decision,
    "credit.tally_votes": approval.tally_votes,
    "credit.prepare_contract": disbursement.prepare_contract,
    "credit.esign": disbursement.esign,
    "credit.record_signing": disbursement.record_signing,
    "credit.disburse": disbursement.disburse,
    "credit.inspection_plan": postloan.inspection_plan,
    "credit.record_inspection": postloan.record_inspection,
    "credit.sla_escalation": postloan.sla_escalation,
    "credit.decide_inspection_downgrade": postloan.decide_downgrade,
    "credit.decide_upgrade": decide_upgrade,
}


def make_steps(providers: Providers, to_pdf=None) -> dict:
    """The steps, with the external data providers and the PDF renderer bound in."""
    steps = dict(STEPS)
    steps["credit.disburse"] = partial(disbursement.disburse, to_pdf=to_pdf)
    steps["credit.record_inspection"] = partial(postloan.record_inspection, to_pdf=to_pdf)
    steps["credit.admission_facts"] = partial(intake.admission_facts, providers=providers)
    steps["credit.investigation_facts"] = partial(assessment.investigation_facts, providers=providers)
    return steps
