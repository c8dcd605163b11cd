"""Password resets under dual control: an admin asks, a second person confirms, and the password is
one-time, so that no admin ever works under a password they know (webapp.resets)."""
from datetime import timedelta

from sqlalchemy import select

from credit.models import User
from engine.models import AuditEvent
from tests.helpers import DEMO_PASSWORD, ui_login


def token(client, username, password=DEMO_PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def change(client, username, current, new):
    return client.post("/api/v1/auth/password", json={"username": username, "current_password": current,
                                                      "new_password": new})


def bearer(tok):
    return {"Authorization": f"Bearer {tok}"}


def test_a_reset_changes_nothing_until_a_second_person_confirms_and_then_must_be_replaced(api, app, container):
    old = api.token("manager1")
    web = app.test_client()
    ui_login(web, "manager1")
    r = api.post("/users/manager1/password", "admin", json={"password": "temporary-123"})
    assert r.status_code == 202 and r.get_json() == {"username": "manager1", "password_changed": False,
                                                     "pending_confirmation": True}
    # nothing changed yet: the old password, token and session still work; the new one does not
    assert api.client.get("/api/v1/products", headers=bearer(old)).status_code == 200
    assert web.get("/inbox").status_code == 200
    assert token(api.client, "manager1", "temporary-123").status_code == 401
    # the admin who asked cannot confirm, nor can the user
    assert api.post("/users/manager1/password/confirm", "admin").status_code == 403
    assert api.post("/users/manager1/password/confirm", "manager1").status_code == 403  # not admin nor head
    r = api.post("/users/manager1/password/confirm", "head1")  # 城关支行行长: manager1 is in his branch
    assert r.status_code == 200, r.get_json()
    # every token and session ends; the one-time password signs nobody in
    assert api.client.get("/api/v1/products", headers=bearer(old)).status_code == 401
    assert web.get("/inbox").status_code == 302
    assert token(api.client, "manager1").status_code == 401
    r = token(api.client, "manager1", "temporary-123")
    assert r.status_code == 403 and r.get_json()["error"] == "password_change_required"
    assert "token" not in r.get_json()
    # the user replaces it with their own, and works under that one only
    assert change(api.client, "manager1", "temporary-123", "temporary-123").status_code == 422
    assert change(api.client, "manager1", "temporary-123", "mine-and-only-mine").status_code == 200
    assert token(api.client, "manager1", "temporary-123").status_code == 401
    assert token(api.client, "manager1", "mine-and-only-mine").status_code == 200
    with container.uow() as uow:
        seen = [(e.type, e.actor, e.data) for e in uow.session.scalars(select(AuditEvent).where(
            AuditEvent.type.in_(["password_reset_requested", "password_changed"])).order_by(AuditEvent.seq))]
    assert [(t, a) for t, a, _ in seen] == [("password_reset_requested", "admin"), ("password_changed", "head1"),
                                            ("password_changed", "manager1")]
    assert seen[1][2] == {"username": "manager1", "requested_by": "admin", "confirmed_by": "head1", "one_time": True}
    assert seen[2][2]["by_self"] is True


def test_who_may_confirm(api):
    # a branch head confirms only for people of their branch; approver_hq sits at the head office
    assert api.post("/users/approver_hq/password", "admin", json={"password": "temporary-123"}).status_code == 202
    assert api.post("/users/approver_hq/password/confirm", "head1").status_code == 403
    for user in ("auditor1", "designer1", "approver1", "postloan1"):
        assert api.post("/users/approver_hq/password/confirm", user).status_code == 403
    assert api.post("/users/approver_hq/password/confirm", "admin").status_code == 403  # who asked
    assert token(api.client, "approver_hq").status_code == 200  # unchanged
    # nothing waiting: 409; unknown user: 404 (for those who may confirm at all)
    assert api.post("/users/approver1/password/confirm", "head1").status_code == 409
    assert api.post("/users/nobody/password/confirm", "head1").status_code == 404


def test_a_reset_lapses_after_a_day(api, container):
    assert api.post("/users/investigator1/password", "admin", json={"password": "temporary-123"}).status_code == 202
    with container.uow() as uow:
        user = uow.session.scalars(select(User).where(User.username == "investigator1")).one()
        user.pending_password_at = user.pending_password_at - timedelta(hours=25)
        uow.commit()
    r = api.post("/users/investigator1/password/confirm", "head1")
    assert r.status_code == 409 and "lapsed" in r.get_json()["message"]
    assert api.post("/users/investigator1/password/confirm", "head1").status_code == 409  # and is gone
    assert token(api.client, "investigator1").status_code == 200


def test_an_admin_sets_their_own_password_at_once(api):
    r = api.post("/users/admin/password", "admin", json={"password": "admins-own-pw"})
    assert r.status_code == 200 and r.get_json()["password_changed"] is True
    assert token(api.client, "admin", "admins-own-pw").status_code == 200


def test_changing_ones_own_password_needs_the_current_one_and_is_throttled(api):
    for _ in range(10):
        assert change(api.client, "approver1", "wrong-password", "another-password").status_code == 401
    r = change(api.client, "approver1", DEMO_PASSWORD, "another-password")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert change(api.client, "ghost", "whatever-1", "another-password").status_code == 401
    assert change(api.client, "approver2", DEMO_PASSWORD, "short").status_code == 422
    for body in ([], {"username": "approver2"}, {"username": "approver2", "current_password": 1, "new_password": "x"}):
        assert api.client.post("/api/v1/auth/password", json=body).status_code in (400, 422)


def test_the_sign_in_page_asks_for_a_new_password_when_the_current_one_is_one_time(api, app):
    assert api.post("/users/investigator2/password", "admin", json={"password": "temporary-123"}).status_code == 202
    assert api.post("/users/investigator2/password/confirm", "head1").status_code == 200
    web = app.test_client()
    page = web.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = web.post("/login", data={"csrf_token": csrf, "username": "investigator2", "password": "temporary-123"})
    assert r.status_code == 403
    html = r.get_data(as_text=True)
    assert 'name="new_password"' in html and web.get("/inbox").status_code == 302
    r = web.post("/password", data={"csrf_token": csrf, "username": "investigator2", "current_password": "temporary-123",
                                    "new_password": "investigators-own", "confirm_password": "investigators-other"})
    assert r.status_code == 422  # the two entries differ
    r = web.post("/password", data={"csrf_token": csrf, "username": "investigator2", "current_password": "temporary-123",
                                    "new_password": "investigators-own", "confirm_password": "investigators-own"})
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert token(api.client, "investigator2", "investigators-own").status_code == 200
