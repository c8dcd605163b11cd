"""Risk signals through the nightly run (issue 12): each signal of post_loan_signals.dmn raised once, on
crossing a threshold, with the rule that fired and its evidence; a re-run raises nothing new; a catch-up
raises each signal on its own date; the DEPLOYED version of the table is the one that runs."""
from __future__ import annotations

import json
import pathlib
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from credit.models import Loan
from credit.postloan.models import RiskSignal
from engine.models import AuditEvent, ProcessDefinition
from tests.integration.driver import Driver
from webapp import postloan

PROCESSES = pathlib.Path(__file__).resolve().parents[2] / "processes"


@pytest.fixture
def d(container):
    return Driver(container)


def shandai(d, amount="30000", term=12, **person) -> Loan:
    return d.loan(d.submit("SHANDAI", amount, term, income="150000", **person))


def signals(d, loan_id=None):
    with d.c.uow() as uow:
        q = select(RiskSignal).order_by(RiskSignal.as_of, RiskSignal.id)
        if loan_id is not None:
            q = q.where(RiskSignal.loan_id == loan_id)
        return list(uow.session.scalars(q))


def codes(d, loan_id=None):
    return [(s.as_of, s.code) for s in signals(d, loan_id)]


def test_95_days_past_due_in_one_run_raises_the_90_day_onsite_signal_once(d):
    loan = shandai(d)
    day = loan.first_due_date + timedelta(days=95)
    summary = postloan.run(d.c, as_of=day)
    got = signals(d, loan.id)
    assert [(s.code, s.rule_id, s.severity, s.onsite, s.status) for s in got] == [
        ("overdue_90", "sig_overdue_90", "alert", True, "open"),
        ("downgrade", "sig_downgrade_npl", "alert", False, "open")]
    assert all(s.as_of == day for s in got) and summary.signals == 2
    overdue = got[0].evidence
    assert overdue["inputs"] == {"days_past_due": 95} and overdue["previous"] == {"days_past_due": 0}
    assert overdue["sources"]["days_past_due"]["table"] == "loan"
    assert overdue["sources"]["days_past_due"]["id"] == loan.id
    assert overdue["rule"] and overdue["decision"].startswith("post_loan_signals v1")
    downgrade = got[1].evidence
    assert downgrade["inputs"] == {"downgraded": True, "classification": "substandard"}
    assert downgrade["sources"]["downgraded"]["from"] == "normal"
    assert downgrade["sources"]["downgraded"]["to"] == "substandard"
    with d.c.uow() as uow:
        [onsite] = uow.session.scalars(select(AuditEvent).where(AuditEvent.type == "risk_signal_raised"))
        [batch] = uow.session.scalars(select(AuditEvent).where(AuditEvent.type == "risk_signals_raised"))
    assert onsite.business_key == str(loan.application_id) and onsite.data["code"] == "overdue_90"
    assert onsite.data["signal_id"] == got[0].id and onsite.data["rule_id"] == "sig_overdue_90"
    assert batch.data["count"] == 2 and batch.data["by_code"] == {"overdue_90": 1, "downgrade": 1}
    assert [s[3] for s in batch.data["signals"]] == ["overdue_90", "downgrade"]

    again = postloan.run(d.c, as_of=day)
    assert again.signals == 0 and len(signals(d, loan.id)) == 2


def test_a_catch_up_raises_each_threshold_on_the_date_it_is_crossed(d):
    loan = shandai(d)
    first = loan.first_due_date
    postloan.run(d.c, as_of=first)
    assert codes(d) == []
    postloan.run(d.c, as_of=first + timedelta(days=40))
    assert codes(d, loan.id) == [(first + timedelta(days=1), "overdue_1"), (first + timedelta(days=1), "downgrade"),
                                 (first + timedelta(days=30), "overdue_30")]
    postloan.run(d.c, as_of=first + timedelta(days=92))
    assert codes(d, loan.id)[3:] == [(first + timedelta(days=90), "overdue_90"),
                                     (first + timedelta(days=91), "downgrade")]
    assert [s.rule_id for s in signals(d, loan.id)] == [
        "sig_overdue_1", "sig_downgrade_watch", "sig_overdue_30", "sig_overdue_90", "sig_downgrade_npl"]
    assert postloan.run(d.c, as_of=first + timedelta(days=92)).signals == 0
    assert len(signals(d)) == 5


def test_paying_the_arrears_then_missing_again_is_a_new_overdue(d):
    from decimal import Decimal

    from credit.postloan.repayments import Payment

    loan = shandai(d)
    first = loan.first_due_date
    postloan.run(d.c, as_of=first + timedelta(days=3))
    line = loan.schedule[0]
    postloan.record_repayment(d.c, Payment(loan.id, "T1", first + timedelta(days=3), line.total), "admin")
    second = loan.schedule[1].due_date
    postloan.run(d.c, as_of=second + timedelta(days=1))
    assert [c for _, c in codes(d, loan.id)] == ["overdue_1", "downgrade", "overdue_1"]
    assert codes(d, loan.id)[-1][0] == second + timedelta(days=1)


def test_nothing_is_raised_when_the_table_is_not_deployed(d):
    loan = shandai(d)
    with d.c.uow() as uow:
        uow.session.execute(delete(ProcessDefinition).where(ProcessDefinition.process_id == "post_loan_signals"))
        uow.commit()
    assert postloan.run(d.c, as_of=loan.first_due_date + timedelta(days=95)).signals == 0
    assert signals(d) == []


def test_the_deployed_version_runs_and_its_rule_ids_are_stored(d):
    loan = shandai(d)
    dmn = (PROCESSES / "post_loan_signals.dmn").read_text()
    changed = dmn.replace("[30..90)", "[30..60)").replace("&gt;= 90", "&gt;= 60").replace(
        'rule id="sig_overdue_90"', 'rule id="sig_overdue_60"')
    assert changed != dmn
    cases = {"decision": "post_loan_signals", "cases": [
        {"name": "60 days", "data": {"facts": {"days_past_due": 60}}, "fires": ["sig_overdue_60"]}]}
    with d.c.uow() as uow:
        result = d.c.definitions.deploy(uow.session, {"post_loan_signals.dmn": changed.encode(),
                                                      "post_loan_signals.tests.json": json.dumps(cases).encode()},
                                        "designer1", d.c.clock.now())
        uow.commit()
    assert [x.process_id for x in result.definitions] == ["post_loan_signals"]
    first = loan.first_due_date
    postloan.run(d.c, as_of=first + timedelta(days=59))
    postloan.run(d.c, as_of=first + timedelta(days=61))
    got = [s for s in signals(d, loan.id) if s.code == "overdue_90"]
    assert [(s.as_of, s.rule_id, s.onsite) for s in got] == [(first + timedelta(days=60), "sig_overdue_60", True)]
    assert got[0].evidence["decision"].startswith("post_loan_signals v2")


def test_each_signal_is_counted_in_the_run_summary(d):
    a, b = shandai(d), shandai(d)
    day = max(a.first_due_date, b.first_due_date) + timedelta(days=1)
    s = postloan.run(d.c, as_of=day)
    with d.c.uow() as uow:
        assert s.signals == uow.session.scalar(select(func.count()).select_from(RiskSignal)) == 4
