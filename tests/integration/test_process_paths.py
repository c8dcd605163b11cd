"""Every path through the six models, with a serializer round trip after every step."""
from datetime import date

import pytest
from sqlalchemy import select, update

from decimal import Decimal
from functools import partial

from credit.providers import BureauReport, FakeProviders
from credit.steps import assessment

from credit.models import Application, CreditDecision, User
from engine.models import AuditEvent, HumanTask
from tests.integration.driver import GOOD_REPORT, Driver


@pytest.fixture
def d(container):
    return Driver(container)


def events(d, app_id, type_):
    with d.c.uow() as uow:
        return list(uow.session.scalars(select(AuditEvent).where(
            AuditEvent.business_key == str(app_id), AuditEvent.type == type_).order_by(AuditEvent.seq)))


def test_approve_path_books_the_loan(d):
    app_id = d.submit("RUYI", "100000", 24, income="150000")
    assert [t.spec_name for t in d.tasks(app_id)] == ["investigate"]
    d.investigate(app_id, {**GOOD_REPORT, "guarantee": "credit", "guarantor_name": None})
    assert d.task(app_id, "approve").assignee == "approver1"
    d.do(app_id, "approve", {"decision": "approve"})
    d.sign_and_disburse(app_id)
    app = d.application(app_id)
    assert app.status == "disbursed"
    loan = d.loan(app_id)
    assert loan.principal == app.approved_amount and len(loan.schedule) == 24


def test_reject_at_admission_names_the_rule(d):
    born = date(2026 - 63, 1, 10)  # 63 years old, 36 months: 66 at maturity
    app_id = d.submit("RUYI", "50000", 36, born=born)
    app = d.application(app_id)
    assert app.status == "rejected"
    assert app.rejection_reasons == ["AGE_AT_MATURITY_OVER_65"]
    assert d.tasks(app_id) == []
    with d.c.uow() as uow:
        admission = uow.session.scalars(select(CreditDecision).where(
            CreditDecision.application_id == app_id, CreditDecision.table == "admission")).one()
    assert admission.matched_rules == ["adm_age_maturity"]
    assert admission.outputs == {"admission_refusals": ["AGE_AT_MATURITY_OVER_65"]}


def test_return_for_more_material_goes_back_to_the_same_investigators(d):
    app_id = d.submit("NONGHU", "200000", 12, village="V02")
    d.investigate(app_id)
    d.do(app_id, "approve", {"decision": "return", "reason": "补充经营流水"})
    assert d.application(app_id).status == "investigating"
    assert d.task(app_id, "investigate").assignee == "investigator1"
    d.investigate(app_id)
    assert d.task(app_id, "approve").assignee == "approver1"
    d.do(app_id, "approve", {"decision": "approve"})
    assert d.application(app_id).status == "contracting"


def test_escalation_above_branch_authority_goes_to_head_office(d):
    app_id = d.submit("NONGHU", "400000", 24, income="300000")
    d.investigate(app_id)
    approve = d.task(app_id, "approve")
    assert approve.assignee == "approver_hq"
    allocated = [e for e in events(d, app_id, "allocated") if "approver" in e.data["assignees"]]
    assert "总行" in allocated[-1].data["reasons"]["approver"]
    d.do(app_id, "approve", {"decision": "approve"})
    assert d.application(app_id).status == "contracting"


def test_credit_committee_votes_by_majority(d):
    app_id = d.submit("JINGYING", "1500000", 36, income="600000")
    d.investigate(app_id, {**GOOD_REPORT, "annual_income": "600000"})
    votes = sorted(t.spec_name for t in d.tasks(app_id))
    assert votes == ["vote_1", "vote_2", "vote_3"]
    assert {t.assignee for t in d.tasks(app_id)} == {"committee1", "committee2", "committee3"}
    d.do(app_id, "vote_1", {"decision": "approve"})
    d.do(app_id, "vote_2", {"decision": "reject", "reason": "行业风险"})
    d.do(app_id, "vote_3", {"decision": "approve"})
    assert d.application(app_id).status == "contracting"


def test_approver_rejects(d):
    app_id = d.submit("RUYI", "80000", 12)
    d.investigate(app_id, {**GOOD_REPORT, "guarantee": "credit", "guarantor_name": None})
    d.do(app_id, "approve", {"decision": "reject", "reason": "用途不明"})
    app = d.application(app_id)
    assert app.status == "rejected" and app.rejection_reasons == ["用途不明"]
    assert d.tasks(app_id) == []


class WeakBureau(FakeProviders):
    """A thin, slightly troubled file: admitted, but scoring in band E."""

    def bureau(self, id_number, name, declared_income):
        return BureauReport(True, overdue_max_days=20, queries_3m=5, credit_history_months=6, loans_open=3,
                            verified_income=declared_income)

    def deposits(self, id_number):
        return Decimal(0)


def test_investigation_declines_band_e(d):
    d.c.services.override("credit.investigation_facts", partial(assessment.investigation_facts, providers=WeakBureau()))
    app_id = d.submit("RUYI", "20000", 12, born=date(2005, 3, 1), income="30000")
    with d.c.uow() as uow:  # the credit bureau reports debt found during the investigation
        customer = uow.session.get(Application, app_id).customer
        customer.existing_debt = Decimal("15000")
        uow.commit()
    d.investigate(app_id, {"site_rating": "poor", "annual_income": "30000", "guarantee": "credit", "findings": "无稳定收入"})
    app = d.application(app_id)
    assert app.band == "E" and app.status == "rejected" and app.rejection_reasons == ["BAND_E"]


def test_cosigner_disagreeing_sends_the_report_back(d):
    app_id = d.submit("NONGHU", "100000", 12)
    d.do(app_id, "investigate", GOOD_REPORT)
    d.do(app_id, "cosign", {"agree": False, "opinion": "收入需再核实"})
    assert [t.spec_name for t in d.tasks(app_id)] == ["investigate"]


def test_failed_disbursement_check_returns_to_signing(d):
    app_id = d.submit("NONGHU", "100000", 12)
    d.investigate(app_id)
    d.do(app_id, "approve", {"decision": "approve"})
    d.do(app_id, "sign_contract", {"signed": True, "signing_place": "河湾"})
    d.do(app_id, "disbursement_check", {"passed": False, "account_no": "6228480012345671", "remarks": "担保合同缺签字"})
    assert [t.spec_name for t in d.tasks(app_id)] == ["sign_contract"]
    d.sign_and_disburse(app_id)
    assert d.application(app_id).status == "disbursed"


def test_shandai_straight_through_has_no_human_task(d):
    app_id = d.submit("SHANDAI", "30000", 12, income="150000")
    app = d.application(app_id)
    assert app.status == "disbursed", app.rejection_reasons
    with d.c.uow() as uow:
        assert uow.session.scalars(select(HumanTask).where(HumanTask.business_key == str(app_id))).all() == []
    loan = d.loan(app_id)
    assert loan.principal == app.approved_amount and loan.payment_mode == "self"


def test_no_investigator_available_goes_to_manual_allocation(d):
    with d.c.uow() as uow:
        uow.session.execute(update(User).where(User.username.in_(["investigator1", "investigator2"])).values(on_leave=True))
        uow.commit()
    app_id = d.submit("NONGHU", "100000", 12, village="V03")
    manual = d.task(app_id, "manual_allocation")
    assert manual.post == "branch_head" and manual.assignee is None
    d.do(app_id, "manual_allocation", {"assignees": {"lead_investigator": "multi1", "assistant_investigator": "investigator2"},
                                       "reason": "李调查休假"}, user="head1")
    assert d.task(app_id, "investigate").assignee == "multi1"
    failed = events(d, app_id, "allocation_failed")
    assert "休假" in failed[0].data["problem"]


def test_sla_timer_escalates_without_cancelling_the_task(d):
    app_id = d.submit("NONGHU", "100000", 12)
    assert d.wake_due() == 0
    d.c.clock.advance(days=2, minutes=1)
    assert d.wake_due() == 1
    d.check(app_id)
    assert [e.data["task"] for e in events(d, app_id, "sla_breached")] == ["escalate_investigation"]
    assert [t.spec_name for t in d.tasks(app_id)] == ["investigate"]


def test_post_loan_inspections_are_raised_by_the_nightly_run_not_by_timers(d):
    """Every path of post_loan_inspection.bpmn: on-site (first) with its report, the branch head's follow-up
    of an overdue one, an off-site review, and a downgrade proposed by a stopped business."""
    from datetime import timedelta

    from webapp import postloan

    app_id = d.submit("NONGHU", "100000", 12)
    d.investigate(app_id)
    d.do(app_id, "approve", {"decision": "approve"})
    d.sign_and_disburse(app_id)
    assert d.tasks(app_id) == []
    d.c.clock.advance(days=30)
    assert d.wake_due() == 0 and d.tasks(app_id) == []  # no wall-clock timers any more
    today = postloan.today(d.c)
    postloan.run(d.c, as_of=today - timedelta(days=30))  # the business date of disbursement
    first = d.task(app_id, "onsite_inspection")
    assert first.assignee == "postloan1" and first.form_key == "onsite_inspection"
    d.check(app_id)
    postloan.run(d.c, as_of=today - timedelta(days=14))  # one day past its 15-day SLA: the head follows up
    d.check(app_id)
    d.do(app_id, "supervise_inspection", {"remarks": "已督促"}, user="head1")
    d.do(app_id, "onsite_inspection", {"fund_usage": "as_agreed", "business_status": "stopped", "risk_signal": False,
                                       "findings": "资金用于购买化肥"})
    from io import BytesIO

    from pypdf import PdfReader

    from credit import documents

    with d.c.uow() as uow:
        [report] = documents.of_application(uow.session, app_id)[1]
        text = "".join(p.extract_text() for p in PdfReader(BytesIO(documents.content_of(uow.session, report))).pages)
    assert report.filename.startswith("首次跟踪检查报告") and "资金用于购买化肥" in text and "按约定用途" in text
    d.do(app_id, "review_downgrade", {"decision": "approve"}, user="head1")
    assert d.loan(app_id).classification == "substandard" and d.tasks(app_id) == []


def test_every_step_is_in_one_hash_chain(d):
    from engine.audit import verify

    app_id = d.submit("SHANDAI", "10000", 6)
    assert d.application(app_id).status == "disbursed"
    with d.c.uow() as uow:
        report = verify(uow.session)
    assert report.ok and report.events >= 20


@pytest.mark.parametrize("code,refusal", [(995, "COURT_ENFORCEMENT"), (975, "BUREAU_SEVERE_DELINQUENCY"),
                                          (955, "PHONE_NUMBER_NEW"), (945, "FRAUD_WATCHLIST")])
def test_external_data_refuses_at_admission(d, code, refusal):
    from credit import idnumber

    d.seq = code - 1  # the fake providers read signals from the ID's sequence code
    app_id = d.submit("RUYI", "50000", 12)
    app = d.application(app_id)
    assert idnumber.problem(app.customer.id_number) is None and app.customer.id_number[14:17] == str(code)
    assert app.status == "rejected" and refusal in app.rejection_reasons
