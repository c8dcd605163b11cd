"""Done-when of the engine issue: a RUYI loan from submission to disbursement through the REST API alone."""
from decimal import Decimal, localcontext

from tests.conftest import applicant


def annuity(principal: Decimal, annual_rate: Decimal, n: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 50
        r = annual_rate / 12
        return (principal * r * (1 + r) ** n / ((1 + r) ** n - 1)).quantize(Decimal("0.01"))


def submission(seq=1, **over):
    body = {"product_code": "RUYI", "amount": "100000", "term_months": 24, "purpose": "房屋装修",
            "channel": "manager_app", "applicant": applicant(seq)}
    body.update(over)
    return body


def test_ruyi_application_to_disbursed_loan_through_the_api(api):
    r = api.post("/applications", "manager1", json=submission(), headers={"Idempotency-Key": "ruyi-001"})
    assert r.status_code == 201, r.get_json()
    app = r.get_json()
    app_id = app["id"]
    assert app["status"] == "investigating"
    assert [d["table"] for d in app["decisions"]][:3] == ["admission", "anti_fraud", "product_route"]

    again = api.post("/applications", "manager1", json=submission(), headers={"Idempotency-Key": "ruyi-001"})
    assert again.status_code == 200
    assert again.get_json()["id"] == app_id

    task = api.my_task("investigator1", app_id, "investigate")
    detail = api.get(f"/tasks/{task['id']}", "investigator1").get_json()
    assert detail["form"]["properties"]["site_rating"]["enum"] == ["good", "fair", "poor"]
    api.complete("investigator1", task["id"], {"site_rating": "good", "annual_income": "120000.00",
                                               "guarantee": "credit", "findings": "收入稳定,用途真实"})
    task = api.my_task("investigator2", app_id, "cosign")
    api.complete("investigator2", task["id"], {"agree": True})

    state = api.get(f"/applications/{app_id}", "manager1").get_json()
    assert state["status"] == "approving"
    assert state["band"] in "ABC" and Decimal(state["proposed_limit"]) >= Decimal("100000")
    task = api.my_task("approver1", app_id, "approve")
    api.complete("approver1", task["id"], {"decision": "approve"})

    task = api.my_task("manager1", app_id, "sign_contract")
    api.complete("manager1", task["id"], {"signed": True, "signing_place": "城关支行"})
    task = api.my_task("disburser1", app_id, "disbursement_check")
    api.complete("disburser1", task["id"], {"passed": True, "account_no": "6228480012345671"})

    final = api.get(f"/applications/{app_id}", "manager1").get_json()
    assert final["status"] == "disbursed", final
    assert final["tasks"] == []
    loan = api.get(f"/loans/{final['loan_id']}", "manager1").get_json()
    assert loan["principal"] == "100000.00"
    assert loan["repayment_method"] == "equal_instalment"
    schedule = loan["schedule"]
    assert len(schedule) == 24
    assert sum(Decimal(s["principal"]) for s in schedule) == Decimal("100000.00")
    payment = annuity(Decimal("100000"), Decimal(loan["annual_rate"]), 24)
    assert all(Decimal(s["total"]) == payment for s in schedule[:-1])
    # The last instalment repays exactly what remains, with its interest, so it absorbs the rounding.
    last, before = schedule[-1], schedule[-2]
    monthly = Decimal(loan["annual_rate"]) / 12
    assert Decimal(last["principal"]) == Decimal(before["remaining_principal"])
    assert Decimal(last["interest"]) == (Decimal(before["remaining_principal"]) * monthly).quantize(Decimal("0.01"))
    assert abs(Decimal(last["total"]) - payment) <= Decimal("0.01") * 24
    assert last["remaining_principal"] == "0.00"

    history = api.get(f"/applications/{app_id}/history", "auditor1").get_json()["events"]
    completed = [e for e in history if e["type"] == "task_completed"]
    assert [e["actor"] for e in completed] == ["investigator1", "investigator2", "approver1", "manager1", "disburser1"]
    assert any(e["type"] == "decision_evaluated" and e["rule_ids"] for e in history)


def test_idempotency_key_with_a_different_body_is_refused(api):
    r = api.post("/applications", "manager1", json=submission(), headers={"Idempotency-Key": "k-2"})
    assert r.status_code == 201
    r = api.post("/applications", "manager1", json=submission(amount="90000"), headers={"Idempotency-Key": "k-2"})
    assert r.status_code == 409
    assert r.get_json()["error"] == "idempotency_key_reused"


def test_forged_id_check_digit_is_refused_at_submission(api):
    body = submission()
    good = body["applicant"]["id_number"]
    body["applicant"]["id_number"] = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = api.post("/applications", "manager1", json=body)
    assert r.status_code == 422
    assert "id_number" in r.get_json()["fields"]["applicant"]


def test_unauthenticated_and_wrong_post(api):
    assert api.post("/applications", json=submission()).status_code == 401
    assert api.post("/applications", "investigator1", json=submission()).status_code == 403
    bad = api.client.get("/api/v1/tasks", headers={"Authorization": "Bearer forged.token.value"})
    assert bad.status_code == 401


def test_a_63_year_old_over_36_months_is_refused_at_intake_with_the_rule_in_words(api):
    """The admission table's age rule answers before anything starts (issue 13): a 422 on the term."""
    from datetime import date

    body = submission(31)
    body["term_months"] = 36
    body["applicant"] = applicant(31, born=date(1963, 1, 5))  # 63 on the demo clock's date
    r = api.post("/applications", "manager1", json=body)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["fields"] == {"term_months": ["年龄加贷款期限超过65岁"]}
