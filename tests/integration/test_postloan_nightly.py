"""Repayments and the nightly run (issue 12, first part): days past due, overdue amounts, five-grade
classification with history, closure that ends the inspection process, catch-up, idempotent re-runs."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from credit.models import Loan, ScheduleLine
from credit.postloan.models import ClassificationChange, NightlyRun, Repayment, UpgradeProposal
from credit.postloan.repayments import Payment
from engine.errors import InvalidData
from engine.models import HumanTask, ProcessInstance, Timer
from tests.integration.driver import Driver
from webapp import postloan


@pytest.fixture
def d(container):
    return Driver(container)


def shandai(d, amount="30000", term=12) -> Loan:
    app_id = d.submit("SHANDAI", amount, term, income="150000")
    return d.loan(app_id)


def fresh(d, loan_id) -> Loan:
    with d.c.uow() as uow:
        loan = uow.session.get(Loan, loan_id)
        _ = loan.schedule
        return loan


def history(d, loan_id):
    with d.c.uow() as uow:
        return [(h.as_of, h.from_code, h.to_code, h.days_past_due) for h in uow.session.scalars(
            select(ClassificationChange).where(ClassificationChange.loan_id == loan_id)
            .order_by(ClassificationChange.id))]


def snapshot(d):
    """Everything the nightly run writes, to show a re-run changes nothing."""
    with d.c.uow() as uow:
        s = uow.session
        loans = [tuple(r) for r in s.execute(select(
            Loan.id, Loan.status, Loan.classification, Loan.days_past_due, Loan.overdue_principal,
            Loan.overdue_interest, Loan.closed_at).order_by(Loan.id))]
        return (loans, s.scalar(select(func.count()).select_from(ClassificationChange)),
                s.scalar(select(func.count()).select_from(UpgradeProposal)),
                [tuple(r) for r in s.execute(select(NightlyRun.as_of, NightlyRun.finished_at).order_by(NightlyRun.as_of))])


def pay(d, loan_id, txn, on, amount):
    return postloan.record_repayment(d.c, Payment(loan_id, txn, on, Decimal(amount)), "admin")


def test_no_repayments_95_days_after_first_due_date_is_substandard(d):
    loan = shandai(d)
    first_due = loan.first_due_date
    s = postloan.run(d.c, as_of=first_due + timedelta(days=95))
    got = fresh(d, loan.id)
    assert got.classification == "substandard" and got.days_past_due == 95
    # instalments 1-3 fell due before the date (the 4th falls due on day ~92 after the first one)
    due = [l for l in got.schedule if l.due_date < first_due + timedelta(days=95)]
    assert got.overdue_principal == sum(l.principal for l in due)
    assert got.overdue_interest == sum(l.interest for l in due)
    assert history(d, loan.id) == [(first_due + timedelta(days=95), "normal", "substandard", 95)]
    assert s.downgraded == 1 and s.scanned == 1 and s.closed == 0


def test_classification_bounds_by_days_past_due(d):
    loan = shandai(d)
    first_due = loan.first_due_date
    for days, grade in [(0, "normal"), (1, "special_mention"), (90, "special_mention"), (91, "substandard"),
                        (270, "substandard"), (271, "doubtful"), (360, "doubtful"), (361, "loss")]:
        postloan.run(d.c, as_of=first_due + timedelta(days=days))
        got = fresh(d, loan.id)
        assert (got.days_past_due, got.classification) == (days, grade)


def test_paying_the_due_instalment_clears_the_overdue_but_upgrades_wait_for_approval(d):
    loan = shandai(d)
    first = loan.schedule[0]
    postloan.run(d.c, as_of=first.due_date + timedelta(days=10))
    assert fresh(d, loan.id).classification == "special_mention"
    pay(d, loan.id, "T1", first.due_date + timedelta(days=10), str(first.total))
    got = fresh(d, loan.id)
    assert got.schedule[0].paid_interest == first.interest and got.schedule[0].paid_principal == first.principal
    assert got.schedule[0].paid_at == first.due_date + timedelta(days=10)
    postloan.run(d.c, as_of=first.due_date + timedelta(days=11))
    got = fresh(d, loan.id)
    assert (got.days_past_due, got.overdue_principal, got.overdue_interest) == (0, 0, 0)
    assert got.classification == "special_mention"  # an upgrade is never automatic
    with d.c.uow() as uow:
        [p] = uow.session.scalars(select(UpgradeProposal)).all()
    assert (p.from_code, p.to_code, p.status) == ("special_mention", "normal", "pending")
    postloan.run(d.c, as_of=first.due_date + timedelta(days=12))
    with d.c.uow() as uow:  # one proposal at a time
        assert uow.session.scalar(select(func.count()).select_from(UpgradeProposal)) == 1


def test_partial_payment_goes_interest_first_oldest_instalment_first(d):
    loan = shandai(d)
    l1, l2 = loan.schedule[0], loan.schedule[1]
    on = l2.due_date + timedelta(days=3)
    postloan.run(d.c, as_of=on)
    amount = l1.total + l2.interest + Decimal("1.00")
    out, created = pay(d, loan.id, "P1", on, str(amount))
    assert created and out["interest"] == str(l1.interest + l2.interest)
    assert out["principal"] == str(l1.principal + Decimal("1.00")) and out["prepaid"] == "0.00"
    got = fresh(d, loan.id)
    assert got.schedule[1].paid_interest == l2.interest and got.schedule[1].paid_principal == Decimal("1.00")
    assert got.schedule[1].paid_at is None and got.schedule[0].paid_at == on
    assert got.outstanding_principal == loan.principal - l1.principal - Decimal("1.00")
    postloan.run(d.c, as_of=on + timedelta(days=1))
    got = fresh(d, loan.id)
    assert got.days_past_due == (on + timedelta(days=1) - l2.due_date).days
    assert got.overdue_principal == l2.principal - Decimal("1.00") and got.overdue_interest == 0


def test_prepaying_part_reamortises_the_rest(d):
    loan = shandai(d)
    on = loan.schedule[0].due_date
    postloan.run(d.c, as_of=on)
    out, _ = pay(d, loan.id, "PRE", on, str(loan.schedule[0].total + Decimal("10000")))
    assert out["prepaid"] == "10000.00"
    got = fresh(d, loan.id)
    later = got.schedule[1:]
    assert sum(l.principal for l in later) == got.outstanding_principal == loan.principal - loan.schedule[0].principal - 10000
    assert later[0].total < loan.schedule[1].total  # smaller instalments, same due dates
    assert [l.due_date for l in later] == [l.due_date for l in loan.schedule[1:]]
    assert sum(l.principal for l in got.schedule) + Decimal("10000") == loan.principal


def test_paying_everything_closes_the_loan_and_ends_its_inspection(d):
    loan = shandai(d)
    app_id = loan.application_id
    on = loan.first_due_date + timedelta(days=5)
    postloan.run(d.c, as_of=postloan.today(d.c))  # raises the first inspection (SHANDAI: within 30 days)
    with d.c.uow() as uow:
        [inst] = uow.session.scalars(select(ProcessInstance).where(
            ProcessInstance.business_key == str(app_id), ProcessInstance.process_id == "post_loan_inspection")).all()
        assert inst.status == "running"
    postloan.run(d.c, as_of=on)
    with d.c.uow() as uow:
        owed = postloan.repayments.payoff(uow.session.get(Loan, loan.id), on)
    with pytest.raises(InvalidData) as refused:
        pay(d, loan.id, "OVER", on, str(owed + Decimal("0.01")))
    assert "overpayment" in str(refused.value.errors["amount"])
    out, _ = pay(d, loan.id, "ALL", on, str(owed))
    assert out["loan_status"] == "closed" and out["outstanding_principal"] == "0.00"
    got = fresh(d, loan.id)
    assert got.status == "closed" and got.closed_at == on
    with d.c.uow() as uow:
        inst = uow.session.get(ProcessInstance, inst.id)
        assert inst.status == "complete" and inst.ended_at is not None
        assert uow.session.scalars(select(Timer).where(Timer.instance_id == inst.id)).all() == []
    assert d.wake_due() == 0
    d.c.clock.advance(days=200)
    assert d.wake_due() == 0 and d.tasks(app_id) == []
    s = postloan.run(d.c, as_of=on + timedelta(days=1))
    assert s.scanned == 0
    with pytest.raises(InvalidData) as refused:
        pay(d, loan.id, "LATE", on, "1.00")
    assert "closed" in str(refused.value.errors["loan_id"])


def test_a_closed_inspection_with_an_open_task_cancels_the_task(d):
    app_id = d.submit("NONGHU", "100000", 12)
    d.investigate(app_id)
    d.do(app_id, "approve", {"decision": "approve"})
    d.sign_and_disburse(app_id)
    postloan.run(d.c, as_of=postloan.today(d.c))  # the nightly run raises the first inspection
    first = d.task(app_id, "onsite_inspection")
    loan = d.loan(app_id)
    on = postloan.today(d.c)
    with d.c.uow() as uow:
        owed = postloan.repayments.payoff(uow.session.get(Loan, loan.id), on)
    pay(d, loan.id, "NH-ALL", on, str(owed))
    with d.c.uow() as uow:
        assert uow.session.get(HumanTask, first.id).state == "cancelled"
    assert d.tasks(app_id) == []


def test_repayment_after_the_business_date_is_refused_and_txn_id_is_idempotent(d):
    loan = shandai(d)
    postloan.run(d.c, as_of=loan.first_due_date)
    with pytest.raises(InvalidData) as refused:
        pay(d, loan.id, "FUT", loan.first_due_date + timedelta(days=1), "100.00")
    assert refused.value.errors == {"paid_at": [f"dated after the business date {loan.first_due_date.isoformat()}"]}
    first, created = pay(d, loan.id, "SAME", loan.first_due_date, "100.00")
    again, created_again = pay(d, loan.id, "SAME", loan.first_due_date, "100.00")
    assert created and not created_again and first == again
    with d.c.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Repayment)) == 1
    from engine.errors import Conflict

    with pytest.raises(Conflict):
        pay(d, loan.id, "SAME", loan.first_due_date, "200.00")


def test_a_three_day_outage_is_caught_up_one_run_per_missed_date(d):
    loan = shandai(d)
    day0 = loan.first_due_date + timedelta(days=89)
    postloan.run(d.c, as_of=day0)
    s = postloan.run(d.c, as_of=day0 + timedelta(days=3))
    assert s.dates == [day0 + timedelta(days=n) for n in (1, 2, 3)]
    with d.c.uow() as uow:
        runs = [r.as_of for r in uow.session.scalars(select(NightlyRun).order_by(NightlyRun.as_of))]
    assert runs == [day0 + timedelta(days=n) for n in range(4)]
    # the downgrade to substandard took effect on the missed date where the loan reached 91 days
    assert history(d, loan.id) == [(day0, "normal", "special_mention", 89),
                                   (day0 + timedelta(days=2), "special_mention", "substandard", 91)]


def test_running_the_same_date_twice_changes_nothing(d):
    loans = [shandai(d) for _ in range(3)]
    on = loans[0].first_due_date + timedelta(days=100)
    postloan.run(d.c, as_of=on, partition_size=2)
    before = snapshot(d)
    s = postloan.run(d.c, as_of=on, partition_size=2)
    assert snapshot(d) == before
    assert (s.dates, s.scanned, s.classified, s.downgraded, s.closed, s.tasks) == ([on], 3, 0, 0, 0, 0)
    with pytest.raises(InvalidData):
        postloan.run(d.c, as_of=on - timedelta(days=1))


def test_progress_is_reported_per_partition(d):
    loans = [shandai(d) for _ in range(3)]
    seen = []
    postloan.run(d.c, as_of=loans[0].first_due_date + timedelta(days=1), partition_size=2,
                 progress=lambda day, r, n, total: seen.append((n, total, r.scanned, r.downgraded)))
    assert seen == [(1, 2, 2, 2), (2, 2, 1, 1)]


def test_business_date_is_today_in_beijing_before_any_run(d):
    from datetime import datetime, timezone

    d.c.clock.set(datetime(2026, 3, 2, 17, 0, tzinfo=timezone.utc))  # 01:00 on 3 March in Beijing
    with d.c.uow() as uow:
        assert postloan.business_date(d.c, uow.session) == date(2026, 3, 3)
