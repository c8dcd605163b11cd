"""The work carries forward (issue 13): each task, on its page and at GET /api/v1/tasks/{id}, shows what the
earlier steps produced, to those who may see the application, and a returned task says who returned it,
when and why, starting from the values entered before."""
import re

from tests.conftest import applicant
from tests.helpers import ui_login

REPORT = {"site_rating": "good", "annual_income": "200000", "guarantee": "guarantee", "guarantor_name": "王保证",
          "household_members": [{"name": "李梅", "relation": "spouse"}], "findings": "养殖场运转正常,存栏三百头"}


def submit(api, seq, product="NONGHU", amount="100000", income="120000", term=12):
    body = {"product_code": product, "amount": amount, "term_months": term, "purpose": "养殖",
            "channel": "manager_app", "applicant": applicant(seq, village="V01", income=income)}
    r = api.post("/applications", "manager1", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def detail(api, user, task_id):
    r = api.get(f"/tasks/{task_id}", user)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def page(client, task_id):
    r = client.get(f"/tasks/{task_id}")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def section(html, testid):
    m = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', html, re.S)
    return m.group(0) if m else ""


def test_cosigner_sees_the_report_and_a_disagreement_returns_it_to_the_lead(app, api):
    app_id = submit(api, 1)
    lead = api.my_task("investigator1", app_id, "investigate")
    assert detail(api, "investigator1", lead["id"])["carried"]["returned"] is None  # a first visit: nothing before
    api.complete("investigator1", lead["id"], REPORT)

    cosign = api.my_task("investigator2", app_id, "cosign")
    carried = detail(api, "investigator2", cosign["id"])["carried"]
    assert carried["report"]["by"] == "investigator1" and carried["report"]["by_name"] == "李调查"
    assert carried["report"]["data"]["findings"] == REPORT["findings"]
    assert carried["votes"] == [] and carried["terms"] == []
    client = app.test_client()
    ui_login(client, "investigator2")
    report = section(page(client, cosign["id"]), "carried-report")
    assert "养殖场运转正常" in report and "李调查" in report and "王保证" in report and "李梅" in report
    assert "配偶" in report and "好" in report  # choices as their labels, not codes
    api.complete("investigator2", cosign["id"], {"agree": False, "opinion": "收入未核实,请补充流水"})

    again = api.my_task("investigator1", app_id, "investigate")
    body = detail(api, "investigator1", again["id"])["carried"]
    assert body["returned"]["by"] == "investigator2" and body["returned"]["reason"] == "收入未核实,请补充流水"
    assert body["returned"]["step"] == "cosign" and body["returned"]["at"]
    assert body["prefill"]["findings"] == REPORT["findings"]
    lead_client = app.test_client()
    ui_login(lead_client, "investigator1")
    html = page(lead_client, again["id"])
    returned = section(html, "returned")
    assert "收入未核实,请补充流水" in returned and "张调查" in returned  # by name, not username
    assert 'data-testid="prefilled"' in html
    assert re.search(r'name="findings"[^>]*>养殖场运转正常', html)  # the form starts from the earlier report
    assert re.search(r'name="annual_income" value="200000.00"', html)
    assert re.search(r'name="household_members-0-name" value="李梅"', html)
    assert re.search(r'<option value="good" selected', html)


def test_approver_sees_report_opinion_and_terms_with_their_rules(app, api):
    app_id = submit(api, 2)
    api.complete("investigator1", api.my_task("investigator1", app_id, "investigate")["id"], REPORT)
    api.complete("investigator2", api.my_task("investigator2", app_id, "cosign")["id"],
                 {"agree": True, "opinion": "同意主调意见"})
    approve = api.my_task("approver1", app_id, "approve")
    carried = detail(api, "approver1", approve["id"])["carried"]
    assert carried["report"]["data"]["findings"] == REPORT["findings"]
    assert carried["cosign"]["data"] == {"agree": True, "opinion": "同意主调意见"}
    assert [t["table"] for t in carried["terms"]] == ["scorecard", "risk_band", "limit_policy", "pricing"]
    assert all(t["explanations"] for t in carried["terms"]), carried["terms"]
    application = api.get(f"/applications/{app_id}", "approver1").get_json()
    values = {t["table"]: t["value"] for t in carried["terms"]}
    assert values["risk_band"] == application["band"] and values["limit_policy"] == application["proposed_limit"]
    assert carried["returned"] is None

    client = app.test_client()
    ui_login(client, "approver1")
    html = page(client, approve["id"])
    assert "养殖场运转正常" in section(html, "carried-report")
    assert "同意主调意见" in section(html, "carried-cosign")
    terms = section(html, "carried-terms")
    for t in carried["terms"]:
        assert t["explanations"][0] in terms
    assert "评分、风险等级、额度与定价" in terms
    english = page(client, approve["id"] + "?lang=en")
    assert "The lead investigator's report" in english and "Score, band, limit and price" in english
    assert "Risk band" in section(english, "carried-terms")
    client.get("/inbox?lang=zh")
    # The approver returns it: the lead gets it back, with the reason, by the approver's name.
    api.complete("approver1", approve["id"], {"decision": "return", "reason": "请补充担保人收入证明"})
    again = api.my_task("investigator1", app_id, "investigate")
    body = detail(api, "investigator1", again["id"])["carried"]
    assert body["returned"]["by"] == "approver1" and body["returned"]["reason"] == "请补充担保人收入证明"
    assert body["prefill"]["guarantor_name"] == "王保证"


def test_after_the_committee_each_vote_and_the_tally_are_shown_but_never_to_a_fellow_member(app, api):
    app_id = submit(api, 3, product="JINGYING", amount="1500000", income="600000", term=36)
    api.complete("investigator1", api.my_task("investigator1", app_id, "investigate")["id"],
                 {**REPORT, "annual_income": "600000"})
    api.complete("investigator2", api.my_task("investigator2", app_id, "cosign")["id"], {"agree": True})
    votes = {n: api.my_task(u, app_id, n) for n, u in
             (("vote_1", "committee1"), ("vote_2", "committee2"), ("vote_3", "committee3"))}
    api.complete("committee1", votes["vote_1"]["id"], {"decision": "approve", "reason": "经营稳定"})
    # The second member sees the report and the terms, never the first member's vote.
    second = detail(api, "committee2", votes["vote_2"]["id"])["carried"]
    assert second["votes"] == [] and second["tally"] is None and second["report"] is not None
    api.complete("committee2", votes["vote_2"]["id"], {"decision": "reject", "reason": "行业风险"})
    api.complete("committee3", votes["vote_3"]["id"], {"decision": "approve"})

    sign = api.my_task("manager1", app_id, "sign_contract") if _has(api, "manager1", app_id, "sign_contract") \
        else _any_task(api, app_id)
    user = sign["assignee"]
    carried = detail(api, user, sign["id"])["carried"]
    assert [(v["by"], v["data"]["decision"]) for v in carried["votes"]] == [
        ("committee1", "approve"), ("committee2", "reject"), ("committee3", "approve")]
    assert carried["tally"] == {"approve": 2, "reject": 1, "return": 0, "decision": "approve", "complete": True}
    client = app.test_client()
    ui_login(client, user)
    html = section(page(client, sign["id"]), "carried-votes")
    assert "行业风险" in html and "经营稳定" in html and 'data-testid="tally"' in html


def _has(api, user, app_id, name):
    r = api.get(f"/tasks?application_id={app_id}", user).get_json()["tasks"]
    return any(t["name"] == name for t in r)


def _any_task(api, app_id):
    tasks = [t for t in api.get(f"/applications/{app_id}", "auditor1").get_json()["tasks"] if t["state"] == "ready"]
    assert tasks, "no open task after the committee"
    return tasks[0]


def test_nothing_is_carried_to_whom_may_not_see_the_application(app, api):
    app_id = submit(api, 4)
    api.complete("investigator1", api.my_task("investigator1", app_id, "investigate")["id"], REPORT)
    cosign = api.my_task("investigator2", app_id, "cosign")
    # An auditor reads everything, a designer sees no customer's data (and not the task at all).
    assert detail(api, "auditor1", cosign["id"])["carried"]["report"]["data"]["findings"] == REPORT["findings"]
    assert api.get(f"/tasks/{cosign['id']}", "designer1").status_code == 404
    client = app.test_client()
    ui_login(client, "designer1")
    assert client.get(f"/tasks/{cosign['id']}").status_code == 404


def test_a_file_the_committee_returns_says_so_with_the_members_reasons(app, api):
    app_id = submit(api, 5, product="JINGYING", amount="1500000", income="600000", term=36)
    api.complete("investigator1", api.my_task("investigator1", app_id, "investigate")["id"],
                 {**REPORT, "annual_income": "600000"})
    api.complete("investigator2", api.my_task("investigator2", app_id, "cosign")["id"], {"agree": True})
    for n, u, data in (("vote_1", "committee1", {"decision": "return", "reason": "补充购销合同"}),
                       ("vote_2", "committee2", {"decision": "approve"}),
                       ("vote_3", "committee3", {"decision": "return", "reason": "核实上下游账款"})):
        api.complete(u, api.my_task(u, app_id, n)["id"], data)
    again = api.my_task("investigator1", app_id, "investigate")
    carried = detail(api, "investigator1", again["id"])["carried"]
    assert carried["returned"]["step"] == "tally" and carried["returned"]["by"] is None
    assert carried["returned"]["by_name"] == "贷审会"
    assert carried["returned"]["reason"] == "补充购销合同; 核实上下游账款"
    # The lead comes after a committee too: each vote with its reason, and the tally.
    assert [v["data"]["decision"] for v in carried["votes"]] == ["return", "approve", "return"]
    assert carried["tally"]["decision"] == "return" and carried["tally"]["return"] == 2
    assert carried["prefill"]["annual_income"] in ("600000", "600000.00")
    client = app.test_client()
    ui_login(client, "investigator1")
    returned = section(page(client, again["id"]), "returned")
    assert "贷审会" in returned and "核实上下游账款" in returned
