"""Attack findings against issue 11 (security model): each test reproduces a bypass that still gets through.
Marked xfail(strict=True) while the finding is open, so the suite stays green and flags the fix."""
import pytest

from tests.integration.driver import GOOD_REPORT, Driver


@pytest.mark.xfail(strict=True, reason="open: an admin resets an officer's password, signs in as them and "
                                       "completes a task outside the admin's posts (four eyes bypassed)")
def test_an_admin_cannot_act_as_an_officer_by_resetting_their_password(container, api):
    d = Driver(container)
    app_id = d.submit("NONGHU", "500000", 12, income="900000")
    d.investigate(app_id, {**GOOD_REPORT, "annual_income": "900000"})
    approve = d.task(app_id, "approve")
    assert approve.assignee == "approver_hq"
    # the admin may neither take nor complete this task himself ...
    assert api.post(f"/tasks/{approve.id}/complete", "admin", json={"data": {"decision": "approve"}}).status_code == 403
    # ... but may set the approver's password and sign in as the approver
    r = api.post("/users/approver_hq/password", "admin", json={"password": "takeover-123"})
    assert r.status_code == 200, r.get_json()
    r = api.client.post("/api/v1/auth/token", json={"username": "approver_hq", "password": "takeover-123"})
    token = r.get_json().get("token") if r.status_code == 200 else None
    done = None
    if token:
        done = api.client.post(f"/api/v1/tasks/{approve.id}/complete", headers={"Authorization": f"Bearer {token}"},
                               json={"data": {"decision": "approve"}})
    # expected: a password an admin sets is a one-time one the user must replace before working
    # (or the reset needs a second person); today the approval goes through under approver_hq's name
    assert done is None or done.status_code in (401, 403), done.get_json()
    assert d.application(app_id).status == "approving"


def test_the_last_active_admin_cannot_deactivate_itself(api):
    """Nothing (API or CLI) reactivates a user: losing the last admin would lose user administration."""
    r = api.post("/users/admin/deactivate", "admin")
    assert r.status_code == 409, r.get_json()
    assert "last active admin" in r.get_json()["message"]
    assert api.get("/products", "admin").status_code == 200  # still signed in, still active
