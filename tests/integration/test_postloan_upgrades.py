"""An upgrade is never automatic: the nightly run raises a task for the branch head, whose decision applies."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from credit.models import Loan
from credit.postloan.models import ClassificationChange, UpgradeProposal
from credit.postloan.repayments import Payment
from engine.models import ProcessInstance
from tests.integration.driver import Driver
from webapp import postloan


@pytest.fixture
def d(container):
    return Driver(container)


def late_then_paid(d):
    """A loan 10 days late (关注), then paid up: the next run proposes `normal`."""
    app_id = d.submit("SHANDAI", "30000", 12, income="150000")
    loan = d.loan(app_id)
    first = loan.schedule[0]
    late = first.due_date + timedelta(days=10)
    postloan.run(d.c, as_of=late)
    postloan.record_repayment(d.c, Payment(loan.id, "T1", late, first.total), "admin")
    s = postloan.run(d.c, as_of=late + timedelta(days=1))
    assert s.tasks == 1
    return app_id, loan.id, late + timedelta(days=1)


def state(d, loan_id):
    with d.c.uow() as uow:
        loan = uow.session.get(Loan, loan_id)
        [p] = uow.session.scalars(select(UpgradeProposal).where(UpgradeProposal.loan_id == loan_id)).all()
        changes = [(c.from_code, c.to_code, c.kind, c.decided_by) for c in uow.session.scalars(
            select(ClassificationChange).where(ClassificationChange.loan_id == loan_id).order_by(ClassificationChange.id))]
        return loan.classification, p.status, p.decided_by, changes


def test_the_branch_head_approves_an_upgrade(d):
    app_id, loan_id, _ = late_then_paid(d)
    task = d.task(app_id, "approve_upgrade")
    assert task.post == "branch_head" and task.form_key == "classification_upgrade"
    assert state(d, loan_id)[:2] == ("special_mention", "pending")
    d.do(app_id, "approve_upgrade", {"decision": "approve"}, user="head1")
    assert state(d, loan_id) == ("normal", "approved", "head1", [
        ("normal", "special_mention", "downgrade", None), ("special_mention", "normal", "upgrade", "head1")])


def test_a_rejected_upgrade_keeps_the_grade_and_is_asked_again_only_after_a_rest(d):
    from credit.postloan.nightly import UPGRADE_REST

    app_id, loan_id, day = late_then_paid(d)
    d.do(app_id, "approve_upgrade", {"decision": "reject", "reason": "还款意愿存疑"}, user="head1")
    assert state(d, loan_id)[:3] == ("special_mention", "rejected", "head1")
    postloan.run(d.c, as_of=day + timedelta(days=1))  # not the next night, nor every night after
    assert [t.spec_name for t in d.tasks(app_id) if t.spec_name == "approve_upgrade"] == []
    second = d.loan(app_id).schedule[1]  # the borrower stays current meanwhile
    assert day < second.due_date < day + UPGRADE_REST
    postloan.run(d.c, as_of=second.due_date)
    postloan.record_repayment(d.c, Payment(loan_id, "T2", second.due_date, second.total), "admin")
    postloan.run(d.c, as_of=day + UPGRADE_REST)
    assert [t.spec_name for t in d.tasks(app_id) if t.spec_name == "approve_upgrade"] == []
    postloan.run(d.c, as_of=day + UPGRADE_REST + timedelta(days=1))
    assert d.task(app_id, "approve_upgrade").state == "ready"
    with d.c.uow() as uow:
        assert [p.status for p in uow.session.scalars(select(UpgradeProposal).where(
            UpgradeProposal.loan_id == loan_id).order_by(UpgradeProposal.id))] == ["rejected", "pending"]


def test_a_pending_upgrade_is_withdrawn_when_the_loan_is_paid_off(d):
    app_id, loan_id, day = late_then_paid(d)
    with d.c.uow() as uow:
        owed = postloan.repayments.payoff(uow.session.get(Loan, loan_id), day)
    postloan.record_repayment(d.c, Payment(loan_id, "ALL", day, owed), "admin")
    with d.c.uow() as uow:
        [p] = uow.session.scalars(select(UpgradeProposal)).all()
        assert p.status == "withdrawn"
        assert uow.session.get(ProcessInstance, p.instance_id).status == "complete"
    assert d.tasks(app_id) == []


def test_officers_other_than_the_branch_head_cannot_decide(d):
    from engine.errors import Forbidden
    from engine.runtime import Actor

    app_id, _, _ = late_then_paid(d)
    task = d.task(app_id, "approve_upgrade")
    with d.c.uow() as uow, pytest.raises(Forbidden):
        d.c.runtime.complete(uow.session, task.id, Actor("postloan1", frozenset({"postloan"})), {"decision": "approve"})


def test_a_pending_upgrade_is_withdrawn_when_the_loan_falls_behind_again(d):
    app_id, loan_id, day = late_then_paid(d)
    second = d.loan(app_id).schedule[1]
    postloan.run(d.c, as_of=second.due_date + timedelta(days=1))  # the second instalment is late now
    assert state(d, loan_id)[:2] == ("special_mention", "withdrawn")
    assert [t for t in d.tasks(app_id) if t.process_id != "post_loan_inspection"] == []  # inspections go on
