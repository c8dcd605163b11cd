"""Risk signals from the feeds (issue 12): provider events imported from files (court enforcement, tax
arrears, bureau overdue, blacklist, deposit balances), a guarantor's own overdue loan, fund usage found
diverted at an inspection, maturity within 30 days; and `creditfactory postloan events import`, all rows or
none, every bad row by its line."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from credit.models import Application, Customer, Loan
from credit.postloan.models import LoanInspection, ProviderEvent, RiskSignal
from engine.models import AuditEvent
from tests.conftest import database_url
from tests.integration.driver import Driver
from webapp import cli, postloan, postloan_signals

HEADER = "id_number,kind,observed_on,source,reference,amount,detail\n"


@pytest.fixture
def d(container):
    return Driver(container)


def shandai(d, amount="30000", term=12) -> Loan:
    return d.loan(d.submit("SHANDAI", amount, term, income="150000"))


def id_number(d, loan) -> str:
    with d.c.uow() as uow:
        return uow.session.get(Customer, loan.customer_id).id_number


def at(d, day: date) -> None:
    """The wall clock at 20:00 in Beijing on `day`."""
    d.c.clock.set(datetime.combine(day, time(12, 0), timezone.utc))


def signals(d, loan_id, code=None):
    with d.c.uow() as uow:
        q = select(RiskSignal).where(RiskSignal.loan_id == loan_id).order_by(RiskSignal.as_of, RiskSignal.id)
        if code:
            q = q.where(RiskSignal.code == code)
        return list(uow.session.scalars(q))


def feed(d, *rows: str):
    result = postloan_signals.import_events(d.c, HEADER + "".join(r + "\n" for r in rows), "admin", "feed.csv")
    assert result.errors == [], result.errors
    return result


def test_external_events_raise_their_signals_once_with_the_event_as_evidence(d):
    loan = shandai(d)
    day = loan.first_due_date - timedelta(days=5)
    at(d, day - timedelta(days=1))
    postloan.run(d.c, as_of=day - timedelta(days=1))
    at(d, day)
    who = id_number(d, loan)
    feed(d, f"{who},court_enforcement,{day},court,(2026)浙0327执123号,50000.00,失信被执行人",
         f"{who},tax_arrears,{day},tax,,1200.00,",
         f"{who},bureau_overdue,{day},pboc,,,",
         f"{who},blacklist,{day},netcheck,,,网络查控平台")
    assert postloan.run(d.c, as_of=day).signals == 4
    got = {s.code: s for s in signals(d, loan.id)}
    assert {c: (s.rule_id, s.severity, s.onsite) for c, s in got.items()} == {
        "court_enforcement": ("sig_court_enforcement", "alert", True),
        "tax_arrears": ("sig_tax_arrears", "warning", False),
        "bureau_overdue": ("sig_bureau_overdue", "warning", False),
        "blacklist": ("sig_blacklist", "alert", True)}
    court = got["court_enforcement"].evidence
    assert court["inputs"] == {"court_enforcement": True} and court["previous"] == {"court_enforcement": False}
    [event] = court["sources"]["court_enforcement"]["events"]
    assert event["source"] == "court" and event["observed_on"] == day.isoformat() and event["amount"] == 50000
    assert event["reference"] == "(2026)浙0327执123号"
    at(d, day + timedelta(days=1))
    assert postloan.run(d.c, as_of=day + timedelta(days=1)).signals == 0
    assert postloan.run(d.c, as_of=day + timedelta(days=1)).signals == 0


def test_an_event_imported_late_is_raised_by_the_next_run(d):
    loan = shandai(d)
    day = loan.first_due_date - timedelta(days=10)
    at(d, day)
    postloan.run(d.c, as_of=day)
    d.c.clock.advance(hours=1)  # after that run finished: the file came late
    feed(d, f"{id_number(d, loan)},blacklist,{day - timedelta(days=1)},netcheck,,,")
    at(d, day + timedelta(days=1))
    postloan.run(d.c, as_of=day + timedelta(days=1))
    assert [(s.as_of, s.code) for s in signals(d, loan.id)] == [(day + timedelta(days=1), "blacklist")]
    # an event older than the lookback is history, not news
    feed(d, f"{id_number(d, loan)},court_enforcement,{day - timedelta(days=200)},court,,,")
    at(d, day + timedelta(days=2))
    assert postloan.run(d.c, as_of=day + timedelta(days=2)).signals == 0


def test_a_large_drop_in_the_deposit_balance(d):
    loan = shandai(d)
    day = loan.first_due_date - timedelta(days=3)
    who = id_number(d, loan)
    at(d, day - timedelta(days=1))
    feed(d, f"{who},deposit_balance,{day - timedelta(days=40)},core_banking,,100000.00,",
         f"{who},deposit_balance,{day - timedelta(days=10)},core_banking,,80000.00,")
    postloan.run(d.c, as_of=day - timedelta(days=1))
    assert signals(d, loan.id) == []  # 20 % below the peak: not large
    at(d, day)
    feed(d, f"{who},deposit_balance,{day},core_banking,,40000.00,")
    postloan.run(d.c, as_of=day)
    [s] = signals(d, loan.id)
    assert (s.code, s.rule_id, s.as_of) == ("deposit_drop", "sig_deposit_drop", day)
    assert s.evidence["inputs"] == {"deposit_drop": "0.6", "deposit_baseline": 100000}
    source = s.evidence["sources"]["deposit_drop"]
    assert source["balance"] == 40000 and source["baseline_observed_on"] == (day - timedelta(days=40)).isoformat()
    at(d, day + timedelta(days=1))
    feed(d, f"{who},deposit_balance,{day + timedelta(days=1)},core_banking,,39000.00,")
    postloan.run(d.c, as_of=day + timedelta(days=1))
    assert len(signals(d, loan.id)) == 1  # still low: no news


def test_a_guarantors_own_loan_overdue(d):
    borrower, guarantor = shandai(d), shandai(d)
    with d.c.uow() as uow:
        uow.session.execute(update(Application).where(Application.id == borrower.application_id)
                            .values(guarantor_id_number=id_number(d, guarantor)))
        uow.commit()
    day = guarantor.first_due_date
    postloan.run(d.c, as_of=day)
    postloan.run(d.c, as_of=day + timedelta(days=3))
    [s] = signals(d, borrower.id, "guarantor_overdue")
    assert (s.as_of, s.rule_id) == (day + timedelta(days=1), "sig_guarantor_overdue")
    assert s.evidence["inputs"] == {"guarantor_days_past_due": 1}
    assert s.evidence["sources"]["guarantor_days_past_due"]["loans"] == [{"id": guarantor.id, "days_past_due": 1}]
    assert signals(d, guarantor.id, "guarantor_overdue") == []


def test_fund_usage_diverted_at_the_last_inspection_raises_an_onsite_signal(d):
    loan = shandai(d)
    day = loan.first_due_date - timedelta(days=20)
    at(d, day)
    postloan.run(d.c, as_of=day)

    def inspected(result, on):
        at(d, on)
        d.c.clock.advance(hours=2)
        with d.c.uow() as uow:
            uow.session.add(LoanInspection(loan_id=loan.id, kind="periodic", mode="onsite", due_on=on, raised_on=on,
                                           status="done", officer="postloan1", result=result,
                                           completed_at=d.c.clock.now()))
            uow.commit()

    inspected({"fund_usage": "as_agreed", "business_status": "normal"}, day)
    at(d, day + timedelta(days=1))
    postloan.run(d.c, as_of=day + timedelta(days=1))
    assert signals(d, loan.id) == []
    inspected({"fund_usage": "diverted", "business_status": "declining"}, day + timedelta(days=1))
    at(d, day + timedelta(days=2))
    postloan.run(d.c, as_of=day + timedelta(days=3))
    [s] = signals(d, loan.id)
    assert (s.code, s.rule_id, s.onsite, s.severity, s.as_of) == (
        "fund_diverted", "sig_fund_diverted", True, "alert", day + timedelta(days=2))
    assert s.evidence["inputs"] == {"fund_usage": "diverted"}
    assert s.evidence["sources"]["fund_usage"]["table"] == "loan_inspection"
    assert s.evidence["sources"]["fund_usage"]["business_status"] == "declining"


def test_maturity_within_30_days_once(d):
    loan = shandai(d, term=3)
    maturity = loan.maturity_date
    postloan.run(d.c, as_of=maturity - timedelta(days=32))  # unpaid: overdue signals too, not looked at here
    postloan.run(d.c, as_of=maturity - timedelta(days=20))
    [s] = signals(d, loan.id, "maturity_30")
    assert (s.as_of, s.rule_id, s.severity) == (maturity - timedelta(days=30), "sig_maturity_30", "info")
    assert s.evidence["inputs"] == {"days_to_maturity": 30}
    assert s.evidence["sources"]["days_to_maturity"]["maturity_date"] == maturity.isoformat()


def test_cli_events_import_all_or_nothing(d, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CREDITFACTORY_DATABASE_URL", database_url(tmp_path))
    loan = shandai(d)
    who = id_number(d, loan)
    today = d.c.clock.now().date()
    wrong = who[:-1] + ("1" if who[-1] != "1" else "2")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER +
                   f"{who},court_enforcement,{today},court,C-1,,\n"
                   f"11010519491231002X,court_enforcement,{today},court,,,\n"
                   f"{who},earthquake,{today},court,,,\n"
                   f"{who},deposit_balance,{today},core_banking,,,\n"
                   f"{who},tax_arrears,2099-01-01,tax,,,\n"
                   f"{who},tax_arrears,2026-02-30,TAX OFFICE,,-3,\n"
                   f"{wrong},blacklist,{today},netcheck,,,\n"
                   f"{who},blacklist,{today},netcheck,,,,extra\n"
                   f"{who},court_enforcement,{today},court,C-2,,\n", encoding="utf-8")
    assert cli.main(["postloan", "events", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3: id_number: not a customer of the bank" in err
    assert f"{bad}:4: kind: one of" in err
    assert f"{bad}:5: amount: a deposit balance needs its amount" in err
    assert f"{bad}:6: observed_on: after today" in err
    assert f"{bad}:7: observed_on: not a date" in err and "source: 1 to 32" in err and "amount: negative" in err
    assert f"{bad}:8: id_number: check digit" in err
    assert f"{bad}:9: more fields than the header" in err
    assert f"{bad}:10: court_enforcement of {today} from court is already recorded with other details" in err
    assert f"{bad}:2:" not in err and "nothing imported: 8 bad row(s)" in err, err
    with d.c.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ProviderEvent)) == 0
    good = tmp_path / "good.csv"
    good.write_text(HEADER + f"{who},court_enforcement,{today},court,C-1,,\n"
                    f"{who.lower()},deposit_balance,{today},core_banking,,12345.60,\n", encoding="utf-8")
    assert cli.main(["postloan", "events", "import", str(good)]) == 0
    assert "2 provider event(s) imported, 0 already recorded" in capsys.readouterr().out
    assert cli.main(["postloan", "events", "import", str(good)]) == 0
    assert "0 provider event(s) imported, 2 already recorded" in capsys.readouterr().out
    with d.c.uow() as uow:
        audit = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.type == "provider_events_imported")))
        assert [e.data["imported"] for e in audit] == [2]
        assert audit[0].data["kinds"] == {"court_enforcement": 1, "deposit_balance": 1}
    header = tmp_path / "header.csv"
    header.write_text("who,what\n")
    assert cli.main(["postloan", "events", "import", str(header)]) == 1
    assert "the header must have id_number,kind,observed_on,source" in capsys.readouterr().err
    assert cli.main(["postloan", "events", "import", str(tmp_path / "missing.csv")]) == 2
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert cli.main(["postloan", "events", "import", str(binary)]) == 1
    minimal = tmp_path / "minimal.csv"
    minimal.write_text(f"kind,id_number,source,observed_on\nbureau_overdue,{who},pboc,{today}\n")
    assert cli.main(["postloan", "events", "import", str(minimal)]) == 0


def test_an_event_recorded_while_the_previous_run_ran_is_raised_once(d):
    from credit.postloan.models import NightlyRun

    early, late = shandai(d), shandai(d)
    day = early.first_due_date - timedelta(days=10)
    at(d, day)
    postloan.run(d.c, as_of=day)
    started = d.c.clock.now()
    with d.c.uow() as uow:  # the run took an hour; the file came in half-way through it
        uow.session.get(NightlyRun, day).finished_at = started + timedelta(hours=1)
        uow.commit()
    d.c.clock.advance(minutes=30)
    feed(d, f"{id_number(d, early)},blacklist,{day},netcheck,,,", f"{id_number(d, late)},blacklist,{day},netcheck,,,")
    with d.c.uow() as uow:  # the early loan's partition ran after the file came in and raised it already
        uow.session.add(RiskSignal(loan_id=early.id, as_of=day, code="blacklist", rule_id="sig_blacklist",
                                   severity="alert", onsite=True, evidence={}, status="open",
                                   created_at=d.c.clock.now()))
        uow.commit()
    at(d, day + timedelta(days=1))
    postloan.run(d.c, as_of=day + timedelta(days=1))
    assert [s.as_of for s in signals(d, early.id)] == [day]
    assert [(s.as_of, s.code) for s in signals(d, late.id)] == [(day + timedelta(days=1), "blacklist")]
