"""GET /api/v1/loans/{id} carries the loan's risk signals (issue 12), as the OpenAPI document says."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.driver import Driver
from webapp import postloan


@pytest.fixture
def d(container):
    return Driver(container)


def test_a_loan_shows_its_signals_with_rule_and_evidence(api, d):
    app_id = d.submit("SHANDAI", "30000", 12, income="150000")
    loan = d.loan(app_id)
    assert api.get(f"/loans/{loan.id}", "admin").get_json()["signals"] == []
    postloan.run(d.c, as_of=loan.first_due_date + timedelta(days=95))
    r = api.get(f"/loans/{loan.id}", "admin")
    assert r.status_code == 200
    got = r.get_json()["signals"]
    assert [(s["code"], s["rule_id"], s["severity"], s["onsite"], s["status"]) for s in got] == [
        ("overdue_90", "sig_overdue_90", "alert", True, "open"), ("downgrade", "sig_downgrade_npl", "alert", False, "open")]
    first = got[0]
    assert set(first) == {"id", "as_of", "code", "rule_id", "severity", "onsite", "status", "evidence"}
    assert first["as_of"] == (loan.first_due_date + timedelta(days=95)).isoformat()
    assert first["evidence"]["inputs"] == {"days_past_due": 95}
    assert api.get(f"/loans/{loan.id}", "designer1").status_code == 404  # out of scope, signals and all


def test_the_document_describes_the_signals(api):
    doc = api.client.get("/api/v1/openapi.json").get_json()
    components = doc["components"]["schemas"]
    items = components["Loan"]["properties"]["signals"]["items"]
    assert items == {"$ref": "#/components/schemas/RiskSignal"}
    signal = components["RiskSignal"]
    assert set(signal["required"]) == {"id", "as_of", "code", "rule_id", "severity", "onsite", "status", "evidence"}
    assert signal["properties"]["severity"]["enum"] == ["info", "warning", "alert"]
