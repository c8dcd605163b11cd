"""The disbursement account is checked as an account number (forms.accounts): "abc" and a card number
with a wrong check digit are refused beside the field, and nothing moves (issue 13)."""
from tests.integration.driver import Driver


def test_the_disbursement_check_refuses_abc_and_a_wrong_check_digit(api, container):
    d = Driver(container)
    app_id = d.submit("RUYI", "100000", 24, income="150000")
    d.investigate(app_id)
    d.do(app_id, "approve", {"decision": "approve"})
    d.do(app_id, "sign_contract", {"signed": True, "signing_place": "城关支行"})
    task = api.my_task("disburser1", app_id, "disbursement_check")
    for bad, message in [("abc", "账号只能由数字组成。"), ("6228480012345678", "校验位不符，请重新核对卡号。"),
                         ("6228", "账号位数不符合该类账户的要求。")]:
        r = api.post(f"/tasks/{task['id']}/complete", "disburser1", json={"data": {"passed": True, "account_no": bad}})
        assert r.status_code == 422, r.get_json()
        assert r.get_json()["fields"] == {"account_no": [message]}
    assert d.application(app_id).status == "contracting" and d.application(app_id).disbursement_account is None
    api.complete("disburser1", task["id"], {"passed": True, "account_no": "6228 4800 1234 5671"})
    assert d.application(app_id).disbursement_account == "6228480012345671"
