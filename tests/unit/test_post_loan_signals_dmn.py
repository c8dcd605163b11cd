"""post_loan_signals.dmn as the nightly run reads it (issue 12): the thresholds the candidate queries
watch, the facts each rule reads (its evidence), and what a fired rule becomes. The table's own cases
(post_loan_signals.tests.json) run in test_decision_tables.py, as at every deployment."""
from __future__ import annotations

import pathlib
from datetime import date
from decimal import Decimal

import pytest

from credit.postloan import signal_feeds, signals
from engine.dmn import load_model
from webapp.postloan_signals import read_rules

DMN = (pathlib.Path(__file__).resolve().parents[2] / "processes" / "post_loan_signals.dmn").read_text()
CLEAN = {"days_past_due": 0, "downgraded": False, "classification": "normal", "court_enforcement": False,
         "tax_arrears": False, "bureau_overdue": False, "blacklist": False, "guarantor_days_past_due": 0,
         "deposit_drop": Decimal(0), "deposit_baseline": Decimal(0), "fund_usage": None, "days_to_maturity": 200}


def rules_of(text: str):
    return read_rules(load_model(text.encode(), "post_loan_signals.dmn").decision("post_loan_signals"), "v")


def test_the_thresholds_the_candidate_queries_watch_come_from_the_cells():
    watch = rules_of(DMN).watch
    assert watch.days_past_due == (1, 30, 90)
    assert watch.days_to_maturity == (0, 30)
    assert watch.guarantor_days_past_due == (1,)


def test_a_cell_comparing_with_another_fact_makes_every_loan_a_candidate_for_it():
    changed = DMN.replace("<text>[30..90)</text>", "<text>&lt; facts.days_to_maturity</text>")
    watch = rules_of(changed).watch
    assert watch.days_past_due is None and watch.days_to_maturity == (0, 30)
    through = DMN.replace("<text>facts.days_past_due</text>", "<text>facts.days_past_due / 30</text>")
    assert rules_of(through).watch.days_past_due is None


def test_each_rule_reads_the_facts_of_its_cells():
    reads = rules_of(DMN).reads
    assert reads["sig_overdue_90"] == ("days_past_due",)
    assert reads["sig_downgrade_npl"] == ("downgraded", "classification")
    assert reads["sig_deposit_drop"] == ("deposit_drop", "deposit_baseline")
    assert reads["sig_fund_diverted"] == ("fund_usage",)


@pytest.mark.parametrize("facts, want", [
    ({}, []),
    ({"days_past_due": 95, "downgraded": True, "classification": "substandard"},
     [("sig_overdue_90", "overdue_90", "alert", True), ("sig_downgrade_npl", "downgrade", "alert", False)]),
    ({"fund_usage": "diverted", "blacklist": True},
     [("sig_blacklist", "blacklist", "alert", True), ("sig_fund_diverted", "fund_diverted", "alert", True)]),
])
def test_what_fires_becomes_code_severity_and_onsite(facts, want):
    fired = rules_of(DMN).decide({**CLEAN, **facts})
    assert [(f.rule_id, f.code, f.severity, f.onsite) for f in fired] == want
    assert all(f.description for f in fired)


def test_an_unknown_severity_is_a_warning_and_a_missing_onsite_is_false():
    changed = DMN.replace('<outputEntry id="sig_overdue_1_o1"><text>"info"</text>',
                          '<outputEntry id="sig_overdue_1_o1"><text>"urgent"</text>').replace(
        '<outputEntry id="sig_overdue_1_o2"><text>false</text>', '<outputEntry id="sig_overdue_1_o2"><text>null</text>')
    [f] = rules_of(changed).decide({**CLEAN, "days_past_due": 3})
    assert (f.severity, f.onsite) == ("warning", False)


def test_the_deposit_drop_is_measured_from_the_highest_balance_of_the_90_days_before():
    history = [(date(2026, 1, 1), Decimal(500000)), (date(2026, 3, 1), Decimal(100000)),
               (date(2026, 4, 1), Decimal(80000))]
    drop, baseline, seen = signal_feeds.drop(Decimal(40000), history, date(2026, 5, 1))
    assert (drop, baseline, seen) == (Decimal("0.6"), Decimal(100000), date(2026, 3, 1))  # January is too old
    assert signal_feeds.drop(Decimal(40000), [], date(2026, 5, 1)) == (0, 0, None)
    assert signal_feeds.drop(Decimal(120000), history, date(2026, 5, 1))[0] == 0  # a rise is no drop


def test_evidence_is_plain_json():
    cand = signals.Candidate(1, 2, {**CLEAN, "days_past_due": 95}, {**CLEAN}, {"days_past_due": {"table": "loan"}})
    fired = signals.Fired("sig_overdue_90", "overdue_90", "alert", True, "逾期90天", ("days_past_due",))
    assert signals.evidence(cand, fired, "post_loan_signals v1") == {
        "decision": "post_loan_signals v1", "rule": "逾期90天", "inputs": {"days_past_due": 95},
        "previous": {"days_past_due": 0}, "sources": {"days_past_due": {"table": "loan"}}}
    assert signals.plain(Decimal("0.6000")) == "0.6" and signals.plain(Decimal("100000.00")) == 100000


def test_a_candidate_whose_facts_stay_between_the_same_thresholds_is_not_evaluated():
    watch = rules_of(DMN).watch
    assert watch.deposit_drop == (Decimal("0.5"),) and watch.deposit_baseline == (10000,)
    same = {**CLEAN, "deposit_drop": Decimal("0.1"), "deposit_baseline": Decimal(50000)}
    assert watch.same_answer(same, {**CLEAN, "deposit_drop": Decimal("0.05"), "deposit_baseline": Decimal(40000)})
    assert not watch.same_answer({**same, "deposit_drop": Decimal("0.5")}, same)  # reaches the threshold
    assert watch.same_answer({**CLEAN, "days_past_due": 45}, {**CLEAN, "days_past_due": 44})
    assert not watch.same_answer({**CLEAN, "days_past_due": 30}, {**CLEAN, "days_past_due": 29})
    assert not watch.same_answer({**CLEAN, "days_to_maturity": 30}, {**CLEAN, "days_to_maturity": None})
    assert not watch.same_answer({**CLEAN, "blacklist": True}, CLEAN)
    assert not signals.Watch(days_past_due=None).same_answer({**CLEAN, "days_past_due": 45},
                                                            {**CLEAN, "days_past_due": 44})
