"""Inspections raised by the nightly run as of its business date (issue 12): the first tracking inspection,
periodic inspections and the batch's off-site reviews, on-site inspections raised by signals, SLA escalation
to the branch head, the managing officer by grid or workload, allocation blocked for officers behind on
their inspections, results fed back (diverted funds stored, business stopped proposes a downgrade), and a
closed loan's inspections ending. Every instance round-trips through the serializer after each step."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from io import BytesIO

import pytest
from sqlalchemy import func, select, update

from credit import documents
from credit.models import Loan, Product
from credit.postloan.models import ClassificationChange, LoanInspection, NightlyRun, RiskSignal
from credit.postloan.repayments import Payment
from engine.models import AuditEvent, HumanTask, ProcessInstance
from tests.integration.driver import Driver
from webapp import postloan

FINDINGS = {"fund_usage": "as_agreed", "business_status": "normal", "risk_signal": False, "findings": "资金用于购买化肥"}


@pytest.fixture
def d(container):
    return Driver(container)


def disbursed(d, product="NONGHU", village="V01", amount="100000", term=12) -> Loan:
    app_id = d.submit(product, amount, term, village=village)
    if product != "SHANDAI":
        d.investigate(app_id)
        d.do(app_id, "approve", {"decision": "approve"})
        d.sign_and_disburse(app_id)
    return d.loan(app_id)


def run(d, on):
    return postloan.run(d.c, as_of=on)


def rows(d, loan_id):
    with d.c.uow() as uow:
        return list(uow.session.scalars(select(LoanInspection).where(LoanInspection.loan_id == loan_id)
                                        .order_by(LoanInspection.id)))


def tasks(d, app_id, name):
    return [t for t in d.tasks(app_id) if t.spec_name == name]


def events(d, app_id, type_):
    with d.c.uow() as uow:
        return list(uow.session.scalars(select(AuditEvent).where(
            AuditEvent.business_key == str(app_id), AuditEvent.type == type_).order_by(AuditEvent.seq)))


def counts(d):
    with d.c.uow() as uow:
        s = uow.session
        return (s.scalar(select(func.count()).select_from(LoanInspection)),
                s.scalar(select(func.count()).select_from(ProcessInstance)),
                s.scalar(select(func.count()).select_from(HumanTask)),
                s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.type == "inspection_escalated")))


def signal(d, loan_id, on, code="overdue_90", onsite=True):
    """A risk signal as post_loan_signals.dmn stores one (inserted directly: the rules are another part)."""
    with d.c.uow() as uow:
        uow.session.add(RiskSignal(loan_id=loan_id, as_of=on, code=code, rule_id=f"test_{code}", severity="alert",
                                   onsite=onsite, evidence={"days_past_due": 95}, status="open",
                                   created_at=datetime.now(timezone.utc)))
        uow.commit()


def test_a_nonghu_loan_gets_one_first_inspection_from_a_run_20_days_later_even_twice(d):
    loan = disbursed(d)
    app_id = loan.application_id
    today = postloan.today(d.c)
    assert d.tasks(app_id) == []  # disbursement starts no timer-driven inspection any more
    first = run(d, today + timedelta(days=20))
    again = run(d, today + timedelta(days=20))
    [task] = tasks(d, app_id, "onsite_inspection")
    assert task.assignee == "postloan1" and task.form_key == "onsite_inspection" and task.business_key == str(app_id)
    [row] = rows(d, loan.id)
    assert (row.kind, row.mode, row.status, row.officer) == ("first", "onsite", "open", "postloan1")
    assert row.due_on == row.sla_due_on == today + timedelta(days=15) and row.raised_on == today + timedelta(days=20)
    # already past its SLA when first raised: escalated once, to the branch's head
    assert row.escalated_on == today + timedelta(days=20) and row.escalated_to == "head1"
    assert [t.assignee for t in tasks(d, app_id, "supervise_inspection")] == ["head1"]
    assert first.tasks == 2 and again.tasks == 0
    d.check(app_id)


def test_the_first_inspection_records_its_result_and_report(d):
    loan = disbursed(d)
    app_id = loan.application_id
    run(d, postloan.today(d.c))
    d.do(app_id, "onsite_inspection", FINDINGS)
    [row] = rows(d, loan.id)
    assert row.status == "done" and row.completed_at is not None
    assert {k: row.result[k] for k in ("fund_usage", "business_status", "findings")} == {
        "fund_usage": "as_agreed", "business_status": "normal", "findings": "资金用于购买化肥"}
    from pypdf import PdfReader

    with d.c.uow() as uow:
        [report] = documents.of_application(uow.session, app_id)[1]
        text = "".join(p.extract_text() for p in PdfReader(BytesIO(documents.content_of(uow.session, report))).pages)
    assert report.filename.startswith("首次跟踪检查报告") and "资金用于购买化肥" in text and "按约定用途" in text
    assert row.result["report_attachment_id"] == report.id
    assert d.tasks(app_id) == []
    d.check(app_id)


def test_diverted_funds_are_stored_for_the_signal_rules(d):
    loan = disbursed(d)
    run(d, postloan.today(d.c))
    d.do(loan.application_id, "onsite_inspection", {**FINDINGS, "fund_usage": "diverted", "risk_signal": True})
    [row] = rows(d, loan.id)
    assert row.result["fund_usage"] == "diverted" and row.result["risk_signal"] is True


def test_paying_everything_closes_the_loan_and_its_inspection_process_ends(d):
    loan = disbursed(d)
    app_id = loan.application_id
    today = postloan.today(d.c)
    run(d, today)
    [task] = tasks(d, app_id, "onsite_inspection")
    [row] = rows(d, loan.id)
    with d.c.uow() as uow:
        owed = postloan.repayments.payoff(uow.session.get(Loan, loan.id), today)
    postloan.record_repayment(d.c, Payment(loan.id, "NH-ALL", today, Decimal(owed)), "admin")
    with d.c.uow() as uow:
        assert uow.session.get(Loan, loan.id).status == "closed"
        assert uow.session.get(HumanTask, task.id).state == "cancelled"
        assert uow.session.get(ProcessInstance, row.instance_id).status == "complete"
    assert [r.status for r in rows(d, loan.id)] == ["cancelled"]
    assert events(d, app_id, "inspections_cancelled")[0].data["inspection_ids"] == [row.id]
    assert d.tasks(app_id) == []
    before = counts(d)
    run(d, today + timedelta(days=200))  # a closed loan is inspected no more
    assert counts(d) == before and d.tasks(app_id) == []


def test_95_days_without_repayments_is_substandard_and_raises_an_onsite_inspection_for_its_officer(d):
    import pathlib

    if not (pathlib.Path(__file__).resolve().parents[2] / "processes" / "post_loan_signals.dmn").exists():
        pytest.skip("needs processes/post_loan_signals.dmn (the signals part: overdue_90 with onsite = true)")
    loan = disbursed(d, village="V07")  # 河湾镇: postloan2's grid
    on = loan.first_due_date + timedelta(days=95)
    run(d, on)
    with d.c.uow() as uow:
        assert uow.session.get(Loan, loan.id).classification == "substandard"
        fired = list(uow.session.scalars(select(RiskSignal).where(RiskSignal.loan_id == loan.id,
                                                                  RiskSignal.onsite.is_(True))))
    assert fired, "no risk signal asked for an on-site inspection"
    [alert] = [r for r in rows(d, loan.id) if r.kind == "alert"]
    assert (alert.mode, alert.status, alert.officer, alert.due_on) == ("onsite", "open", "postloan2", on)
    assert alert.signal_id in {s.id for s in fired}
    task = next(t for t in tasks(d, loan.application_id, "onsite_inspection")
                if t.instance_id == alert.instance_id)
    assert task.assignee == "postloan2" and task.form_key == "onsite_inspection"
    d.check(loan.application_id)


def test_an_onsite_signal_raises_one_alert_inspection_while_one_is_open(d):
    loan = disbursed(d)
    app_id = loan.application_id
    today = postloan.today(d.c)
    run(d, today)
    d.do(app_id, "onsite_inspection", FINDINGS)  # the first inspection, done
    on = today + timedelta(days=3)
    signal(d, loan.id, on, "court_enforcement")
    signal(d, loan.id, on, "blacklist", onsite=False)
    run(d, on)
    [alert] = [r for r in rows(d, loan.id) if r.kind == "alert"]
    assert (alert.officer, alert.due_on, alert.sla_due_on) == ("postloan1", on, on + timedelta(days=7))
    signal(d, loan.id, on + timedelta(days=1), "tax_arrears")
    run(d, on + timedelta(days=1))  # the open alert inspection covers it
    assert len([r for r in rows(d, loan.id) if r.kind == "alert"]) == 1
    assert len(tasks(d, app_id, "onsite_inspection")) == 1
    d.check(app_id)


def test_sla_escalation_happens_once_and_its_follow_up_ends_when_the_inspection_is_done(d):
    loan = disbursed(d)
    app_id = loan.application_id
    today = postloan.today(d.c)
    run(d, today)
    run(d, today + timedelta(days=15))  # due today: not yet overdue
    assert tasks(d, app_id, "supervise_inspection") == [] and events(d, app_id, "inspection_escalated") == []
    run(d, today + timedelta(days=17))  # catches up days 16 and 17: escalated on 16, once
    [escalated] = events(d, app_id, "inspection_escalated")
    assert escalated.data["notified"] == "head1" and escalated.data["officer"] == "postloan1"
    [row] = rows(d, loan.id)
    assert row.escalated_on == today + timedelta(days=16)
    [follow_up] = tasks(d, app_id, "supervise_inspection")
    assert follow_up.assignee == "head1" and follow_up.post == "branch_head"
    d.check(app_id)
    d.do(app_id, "onsite_inspection", FINDINGS)
    run(d, today + timedelta(days=18))  # the next run withdraws the follow-up
    assert tasks(d, app_id, "supervise_inspection") == [] and d.tasks(app_id) == []
    assert len(events(d, app_id, "inspection_escalated")) == 1


def test_the_follow_up_can_be_marked_done_by_the_head(d):
    loan = disbursed(d)
    app_id = loan.application_id
    run(d, postloan.today(d.c) + timedelta(days=16))
    d.do(app_id, "supervise_inspection", {"remarks": "已督促"})
    assert tasks(d, app_id, "supervise_inspection") == []
    assert len(tasks(d, app_id, "onsite_inspection")) == 1
    d.check(app_id)


def test_catch_up_raises_each_inspection_once(d):
    loan = disbursed(d)  # NONGHU: first within 15 days, then quarterly
    app_id = loan.application_id
    today = postloan.today(d.c)
    run(d, today)
    d.do(app_id, "onsite_inspection", FINDINGS)
    run(d, today + timedelta(days=100))  # 100 business dates, each once
    kinds = [(r.kind, r.due_on) for r in rows(d, loan.id)]
    periodic_due = [r.due_on for r in rows(d, loan.id) if r.kind == "periodic"]
    assert kinds[0] == ("first", today + timedelta(days=15)) and len(periodic_due) == 1
    assert (periodic_due[0].month - today.month) % 12 == 3 and periodic_due[0].day == today.day
    before = counts(d)
    run(d, today + timedelta(days=100))
    assert counts(d) == before
    with d.c.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(NightlyRun)) == 101


def test_periodic_inspection_of_a_low_risk_loan_is_an_offsite_review_with_its_evidence(d):
    with d.c.uow() as uow:  # a monthly review cycle for the consumer product, to see one soon
        uow.session.execute(update(Product).where(Product.code == "RUYI").values(periodic_months=1))
        uow.commit()
    loan = disbursed(d, "RUYI", amount="50000", term=12)
    app_id = loan.application_id
    today = postloan.today(d.c)
    run(d, today)
    d.do(app_id, "onsite_inspection", FINDINGS)
    month = [r for r in rows(d, loan.id)][0]
    on = loan.first_due_date  # one month after disbursement, nothing due before it yet
    with d.c.uow() as uow:
        uow.session.add(NightlyRun(as_of=on - timedelta(days=1), started_at=datetime.now(timezone.utc),
                                   finished_at=datetime.now(timezone.utc), summary={}))
        uow.commit()
    before = counts(d)
    s = run(d, on)
    [review] = [r for r in rows(d, loan.id) if r.kind == "periodic"]
    assert (review.mode, review.status, review.instance_id) == ("offsite", "offsite", None)
    assert review.result == {"basis": "low_risk", "classification": "normal", "days_past_due": 0, "open_signals": 0,
                             "last_inspection_id": month.id, "last_fund_usage": "as_agreed",
                             "last_business_status": "normal"}
    assert counts(d)[1:3] == before[1:3] and s.tasks == 0  # a row: no process, no task
    # a month later, with the first instalment unpaid: not low-risk, a review task for the officer (consumer)
    later = on + timedelta(days=31)
    run(d, later)
    [task] = tasks(d, app_id, "offsite_review")
    assert task.assignee == "postloan1" and task.form_key == "offsite_inspection"
    d.do(app_id, "offsite_review", {"repayment_normal": False, "risk_signal": True, "findings": "电话联系,承诺月底还款"})
    done = [r for r in rows(d, loan.id) if r.kind == "periodic"][-1]
    assert done.status == "done" and done.result["repayment_normal"] is False
    d.check(app_id)


def test_periodic_inspection_of_a_business_loan_behind_is_onsite(d):
    loan = disbursed(d)
    app_id = loan.application_id
    today = postloan.today(d.c)
    run(d, today)
    d.do(app_id, "onsite_inspection", FINDINGS)
    on = today + timedelta(days=95)
    with d.c.uow() as uow:  # skip the days between: the business date jumps (an outage caught up elsewhere)
        uow.session.add(NightlyRun(as_of=on - timedelta(days=1), started_at=datetime.now(timezone.utc),
                                   finished_at=datetime.now(timezone.utc), summary={}))
        uow.commit()
    run(d, on)
    [periodic] = [r for r in rows(d, loan.id) if r.kind == "periodic"]
    assert (periodic.mode, periodic.status, periodic.sla_due_on) == (
        "onsite", "open", periodic.due_on + timedelta(days=15))
    assert [t.instance_id for t in tasks(d, app_id, "onsite_inspection")] == [periodic.instance_id]


def test_business_stopped_proposes_a_downgrade_the_branch_head_approves(d):
    loan = disbursed(d)
    app_id = loan.application_id
    run(d, postloan.today(d.c))
    d.do(app_id, "onsite_inspection", {**FINDINGS, "business_status": "stopped", "findings": "养殖场已停产"})
    [review] = tasks(d, app_id, "review_downgrade")
    assert review.post == "branch_head" and review.candidates == ["head1"] and review.form_key == "classification_downgrade"
    assert events(d, app_id, "downgrade_proposed")[0].data["to"] == "substandard"
    d.do(app_id, "review_downgrade", {"decision": "approve"}, user="head1")
    with d.c.uow() as uow:
        assert uow.session.get(Loan, loan.id).classification == "substandard"
        [change] = uow.session.scalars(select(ClassificationChange).where(ClassificationChange.loan_id == loan.id))
    assert (change.from_code, change.to_code, change.kind, change.decided_by) == ("normal", "substandard", "downgrade",
                                                                                  "head1")
    [row] = rows(d, loan.id)
    assert row.result["downgrade"]["status"] == "approved" and row.result["downgrade"]["applied"] is True
    assert d.tasks(app_id) == []
    d.check(app_id)
    # the head's grade rests: 0 days past due calls for `normal`, but no upgrade is proposed the next night
    run(d, postloan.today(d.c) + timedelta(days=1))
    assert tasks(d, app_id, "approve_upgrade") == [] and d.loan(app_id).classification == "substandard"


def test_a_rejected_downgrade_keeps_the_grade(d):
    loan = disbursed(d)
    app_id = loan.application_id
    run(d, postloan.today(d.c))
    d.do(app_id, "onsite_inspection", {**FINDINGS, "business_status": "stopped"})
    d.do(app_id, "review_downgrade", {"decision": "reject", "reason": "已复产"}, user="head1")
    assert d.loan(app_id).classification == "normal"
    [row] = rows(d, loan.id)
    assert row.result["downgrade"]["status"] == "rejected" and row.result["downgrade"]["reason"] == "已复产"
    d.check(app_id)


def test_the_managing_officer_is_chosen_by_grid_then_by_workload_with_the_reason(d):
    grid = disbursed(d, village="V01")
    assert grid.officer == "postloan1"
    [why] = events(d, grid.application_id, "loan_officer_assigned")
    assert why.data["officer"] == "postloan1" and "网格贷后经理" in why.data["reason"]
    run(d, postloan.today(d.c))  # postloan1 now has an open first inspection
    load = disbursed(d, village="V04")  # 东风乡: no post-loan officer in its grid
    assert load.officer == "postloan2"
    [why] = events(d, load.application_id, "loan_officer_assigned")
    assert "按工作量分配" in why.data["reason"] and "在途检查0件" in why.data["reason"]


def overdue_inspection(d, officer, loan_id, sla):
    with d.c.uow() as uow:
        uow.session.add(LoanInspection(loan_id=loan_id, kind="alert", mode="onsite", due_on=sla, raised_on=sla,
                                       sla_due_on=sla, status="open", officer=officer, result={}))
        uow.commit()


def test_an_officer_overdue_two_periods_running_is_allocated_nothing_new_until_caught_up(d):
    loan = disbursed(d)
    today = postloan.today(d.c)
    run(d, today)
    d.do(loan.application_id, "onsite_inspection", FINDINGS)
    overdue_inspection(d, "investigator1", loan.id, today + timedelta(days=1))
    run(d, today + timedelta(days=2))  # overdue as of one run: not yet blocked
    app = d.submit("NONGHU", "100000", 12, village="V01")
    assert d.task(app, "investigate").assignee == "investigator1"
    run(d, today + timedelta(days=3))  # overdue as of two runs running
    blocked = d.submit("NONGHU", "100000", 12, village="V01")
    assert d.task(blocked, "investigate").assignee == "investigator2"
    [chosen] = events(d, blocked, "allocation_made") or events(d, blocked, "allocated")
    assert "investigator1 贷后检查连续两期逾期未完成(1件)" in str(chosen.data)
    with d.c.uow() as uow:  # caught up
        uow.session.execute(update(LoanInspection).where(LoanInspection.officer == "investigator1")
                            .values(status="done"))
        uow.commit()
    again = d.submit("NONGHU", "100000", 12, village="V01")
    assert d.task(again, "investigate").assignee == "investigator1"


def test_a_blocked_postloan_officer_manages_no_new_loan(d):
    first = disbursed(d)
    today = postloan.today(d.c)
    run(d, today)
    run(d, today + timedelta(days=16))
    run(d, today + timedelta(days=17))  # postloan1's first inspection: overdue on 16 and 17
    assert rows(d, first.id)[0].status == "open"
    loan = disbursed(d, village="V02")
    assert loan.officer == "postloan2"
    [why] = events(d, loan.application_id, "loan_officer_assigned")
    assert "postloan1 贷后检查连续两期逾期未完成" in why.data["reason"]


def test_inspections_wait_for_the_process_model_and_are_raised_for_loans_without_an_officer(d):
    loan = disbursed(d)
    with d.c.uow() as uow:
        uow.session.execute(update(Loan).where(Loan.id == loan.id).values(officer=None))
        uow.commit()
    run(d, postloan.today(d.c))
    [task] = tasks(d, loan.application_id, "onsite_inspection")
    assert task.assignee == "postloan1"
    assert rows(d, loan.id)[0].officer == "postloan1" and d.loan(loan.application_id).officer == "postloan1"


@pytest.mark.parametrize("start,months,expected", [("2026-01-31", 1, "2026-02-28"), ("2024-01-31", 1, "2024-02-29"),
                                                   ("2026-03-15", 3, "2026-06-15"), ("2026-11-30", 3, "2027-02-28"),
                                                   ("2026-05-31", 12, "2027-05-31")])
def test_calendar_months_are_clamped_to_the_month_end_on_both_databases(d, start, months, expected):
    from datetime import date

    from sqlalchemy import select as sql_select

    from credit.postloan import dates

    with d.c.uow() as uow:
        conn = uow.session.connection()
        got = conn.execute(sql_select(dates.add_months(conn, dates.day(conn, date.fromisoformat(start)), months))).scalar()
        between = conn.execute(sql_select(dates.months_between(
            conn, dates.day(conn, date.fromisoformat(start)), dates.day(conn, date.fromisoformat(expected))))).scalar()
    assert str(got) == expected
    assert between == (months if date.fromisoformat(expected).day >= date.fromisoformat(start).day else months - 1)
