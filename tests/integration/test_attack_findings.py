"""Attack findings against issue 11 (security model): each test reproduces a bypass found by an attacker's
pass; they were marked xfail(strict=True) while open and pass since their fixes."""

from tests.integration.driver import GOOD_REPORT, Driver


def test_an_admin_cannot_act_as_an_officer_by_resetting_their_password(container, api):
    d = Driver(container)
    app_id = d.submit("NONGHU", "500000", 12, income="900000")
    d.investigate(app_id, {**GOOD_REPORT, "annual_income": "900000"})
    approve = d.task(app_id, "approve")
    assert approve.assignee == "approver_hq"
    # the admin may neither take nor complete this task himself ...
    assert api.post(f"/tasks/{approve.id}/complete", "admin", json={"data": {"decision": "approve"}}).status_code == 403
    # ... nor set the approver's password and sign in as the approver: the reset waits for a second person
    r = api.post("/users/approver_hq/password", "admin", json={"password": "takeover-123"})
    assert r.status_code == 202, r.get_json()
    assert api.post("/users/approver_hq/password/confirm", "admin").status_code == 403
    r = api.client.post("/api/v1/auth/token", json={"username": "approver_hq", "password": "takeover-123"})
    token = r.get_json().get("token") if r.status_code == 200 else None
    done = None
    if token:
        done = api.client.post(f"/api/v1/tasks/{approve.id}/complete", headers={"Authorization": f"Bearer {token}"},
                               json={"data": {"decision": "approve"}})
    # and once confirmed it would be one-time: replacing it is the user's own sign-in, never the admin's token
    assert done is None or done.status_code in (401, 403), done.get_json()
    assert d.application(app_id).status == "approving"


def test_the_last_active_admin_cannot_deactivate_itself(api):
    """Nothing (API or CLI) reactivates a user: losing the last admin would lose user administration."""
    r = api.post("/users/admin/deactivate", "admin")
    assert r.status_code == 409, r.get_json()
    assert "last active admin" in r.get_json()["message"]
    assert api.get("/products", "admin").status_code == 200  # still signed in, still active
