"""POST /api/v1/repayments (admins and the core-banking client), GET /api/v1/loans[/{id}] with the
post-loan fields, and `creditfactory postloan import|run`."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, inspect, select

from credit.postloan.models import Repayment
from tests.conftest import applicant, database_url
from tests.integration.driver import Driver
from webapp import cli, postloan


@pytest.fixture
def d(container):
    return Driver(container)


def client_token(api, client_id, secret):
    r = api.client.post("/api/v1/auth/token", json={"client_id": client_id, "client_secret": secret})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def shandai_loan(d):
    app_id = d.submit("SHANDAI", "30000", 12, income="150000")
    return d.loan(app_id)


def test_core_banking_posts_repayments_idempotently_by_txn_id(api, d):
    loan = shandai_loan(d)
    postloan.run(d.c, as_of=loan.first_due_date)
    core = client_token(api, "core-banking-demo", "demo-core-banking-secret")
    body = {"loan_id": loan.id, "txn_id": "CB-0001", "paid_at": loan.first_due_date.isoformat(),
            "amount": str(loan.schedule[0].total)}
    r = api.client.post("/api/v1/repayments", json=body, headers=core)
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    assert first["interest"] == str(loan.schedule[0].interest) and first["principal"] == str(loan.schedule[0].principal)
    r = api.client.post("/api/v1/repayments", json=body, headers=core)
    assert r.status_code == 200 and r.get_json() == first
    r = api.client.post("/api/v1/repayments", json={**body, "amount": "1.00"}, headers=core)
    assert r.status_code == 409
    with d.c.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Repayment)) == 1
    r = api.post("/repayments", "admin", json={**body, "txn_id": "ADM-1", "amount": "10.00"})
    assert r.status_code == 201 and r.get_json()["prepaid"] == "10.00"  # nothing else is due: a prepayment
    got = api.get(f"/loans/{loan.id}", "admin").get_json()
    row = got["schedule"][1]
    assert row["paid_interest"] == "0.00" and row["paid_principal"] == "0.00" and row["paid_at"] is None
    assert Decimal(row["principal"]) < loan.schedule[1].principal  # re-amortised
    assert got["schedule"][0]["paid_at"] == loan.first_due_date.isoformat()


def test_repayments_refusals(api, d):
    loan = shandai_loan(d)
    postloan.run(d.c, as_of=loan.first_due_date)
    core = client_token(api, "core-banking-demo", "demo-core-banking-secret")
    good = {"loan_id": loan.id, "txn_id": "CB-9", "paid_at": loan.first_due_date.isoformat(), "amount": "100.00"}

    def post(body, headers=core):
        return api.client.post("/api/v1/repayments", json=body, headers=headers)

    r = post({**good, "paid_at": (loan.first_due_date + timedelta(days=1)).isoformat()})
    assert r.status_code == 422
    assert r.get_json()["fields"]["paid_at"] == [f"dated after the business date {loan.first_due_date.isoformat()}"]
    assert post({**good, "loan_id": 999999}).status_code == 404
    r = post({**good, "amount": "999999.00"})
    assert r.status_code == 422 and "overpayment" in r.get_json()["fields"]["amount"][0]
    for bad in ({"loan_id": "1"}, {"loan_id": True}, {"amount": "-5"}, {"amount": "1.001"}, {"paid_at": "2026-13-01"},
                {"paid_at": "20260301"}, {"txn_id": ""}, {"txn_id": "x" * 65}, {"extra": 1}):
        r = post({**good, **bad})
        assert r.status_code == 422, (bad, r.get_json())
        assert set(r.get_json()["fields"]) == set(bad), (bad, r.get_json())
    assert api.post("/repayments", "manager1", json=good).status_code == 403
    wechat = client_token(api, "wechat-demo", "demo-wechat-secret")
    assert post(good, wechat).status_code == 403
    with d.c.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Repayment)) == 0


def test_loan_shows_status_overdue_and_history_and_the_list_filters(api, d):
    overdue = shandai_loan(d)
    paid = shandai_loan(d)
    on = overdue.first_due_date + timedelta(days=95)
    postloan.run(d.c, as_of=overdue.first_due_date)
    first = paid.schedule[0]
    assert api.post("/repayments", "admin", json={"loan_id": paid.id, "txn_id": "P-1", "paid_at": first.due_date.isoformat(),
                                                 "amount": str(first.total)}).status_code == 201
    postloan.run(d.c, as_of=on)
    got = api.get(f"/loans/{overdue.id}", "admin").get_json()
    assert got["status"] == "active" and got["classification"] == "substandard" and got["days_past_due"] == 95
    assert Decimal(got["overdue_principal"]) > 0 and Decimal(got["overdue_interest"]) > 0
    first_due = overdue.first_due_date  # the run caught up every date: the history names the day of each change
    assert got["classification_history"] == [
        {"as_of": (first_due + timedelta(days=1)).isoformat(), "from": "normal", "to": "special_mention",
         "days_past_due": 1, "kind": "downgrade", "decided_by": None},
        {"as_of": (first_due + timedelta(days=91)).isoformat(), "from": "special_mention", "to": "substandard",
         "days_past_due": 91, "kind": "downgrade", "decided_by": None}]
    assert [(s["as_of"], s["code"]) for s in got["signals"]] == [  # tests/e2e/test_postloan_signals_api.py
        ((first_due + timedelta(days=n)).isoformat(), code) for n, code in
        [(1, "overdue_1"), (1, "downgrade"), (30, "overdue_30"), (90, "overdue_90"), (91, "downgrade")]]
    r = api.get("/loans?classification=substandard&overdue=true", "admin")
    assert r.status_code == 200
    assert [l["id"] for l in r.get_json()["loans"]] == [overdue.id]
    assert r.get_json()["loans"][0]["overdue_principal"] == got["overdue_principal"]
    r = api.get("/loans?overdue=true", "admin").get_json()  # the paid one is late with its 2nd instalment
    assert [(l["id"], l["classification"]) for l in r["loans"]] == [(paid.id, "special_mention"),
                                                                   (overdue.id, "substandard")]
    assert api.get("/loans?overdue=false", "admin").get_json()["total"] == 0
    assert api.get("/loans?classification=normal", "admin").get_json()["total"] == 0
    assert api.get("/loans?officer=nobody", "admin").get_json() == {"loans": [], "total": 0, "limit": 50, "offset": 0}
    assert api.get("/loans?classification=bad", "admin").status_code == 422
    assert api.get("/loans?overdue=yes", "admin").status_code == 422
    core = client_token(api, "core-banking-demo", "demo-core-banking-secret")
    assert api.client.get("/api/v1/loans", headers=core).status_code == 403


def test_officer_filter_and_scope(api, d):
    app_id = d.submit("NONGHU", "100000", 12)
    d.investigate(app_id)
    d.do(app_id, "approve", {"decision": "approve"})
    d.sign_and_disburse(app_id)
    loan = d.loan(app_id)
    assert loan.officer is not None  # the managing post-loan officer, chosen at disbursement
    r = api.get(f"/loans?officer={loan.officer}", "admin").get_json()
    assert [l["id"] for l in r["loans"]] == [loan.id] and r["loans"][0]["status"] == "active"
    assert r["loans"][0]["officer"] == loan.officer
    assert api.get("/loans?officer=manager1", "admin").get_json()["total"] == 0  # not the intake officer
    assert [l["id"] for l in api.get("/loans", "manager1").get_json()["loans"]] == [loan.id]
    assert api.get("/loans", "designer1").get_json()["loans"] == []


def test_cli_import_all_or_nothing_and_run(d, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CREDITFACTORY_DATABASE_URL", database_url(tmp_path))
    loan = shandai_loan(d)
    assert cli.main(["postloan", "run", "--as-of", loan.first_due_date.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "partition 1/1" in out and "1 loans scanned" in out and "0 downgraded" in out
    on = loan.first_due_date.isoformat()
    bad = tmp_path / "bad.csv"
    bad.write_text("loan_id,txn_id,paid_at,amount\n"
                   f"{loan.id},F-1,{on},100.00\n"
                   f"999999,F-2,{on},100.00\n"
                   f"{loan.id},F-3,{on},-5.00\n"
                   f"{loan.id},F-4,{on},99999999.00\n"
                   f"{loan.id},F-5,{on},100.00\n")
    assert cli.main(["postloan", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3: loan_id: unknown loan 999999" in err
    assert f"{bad}:4: amount: negative amount" in err
    assert f"{bad}:5: amount: overpayment" in err
    assert ":2:" not in err and ":6:" not in err and "nothing imported: 3 bad row(s)" in err
    with d.c.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Repayment)) == 0
    good = tmp_path / "good.csv"
    good.write_text(f"loan_id,txn_id,paid_at,amount\n{loan.id},G-1,{on},100.00\n{loan.id},G-2,{on},50.00\n")
    assert cli.main(["postloan", "import", str(good)]) == 0
    assert "2 repayment(s) imported, 0 already recorded" in capsys.readouterr().out
    assert cli.main(["postloan", "import", str(good)]) == 0
    assert "0 repayment(s) imported, 2 already recorded" in capsys.readouterr().out
    assert cli.main(["postloan", "run", "--as-of", "not-a-date"]) == 2
    assert cli.main(["postloan", "import", str(tmp_path / "missing.csv")]) == 2
    header = tmp_path / "header.csv"
    header.write_text("loan,txn,when,amount\n")
    assert cli.main(["postloan", "import", str(header)]) == 1
    assert "header must be loan_id,txn_id,paid_at,amount" in capsys.readouterr().err
