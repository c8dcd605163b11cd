"""Sign-in: Argon2id hashes (old ones rehashed), throttled failures, unknown users as slow as known
ones, tokens and sessions that die at once on a password change, a deactivation or a sign-out."""
import re
import statistics
import time

import pytest
from sqlalchemy import select

from credit import passwords
from credit.models import User
from engine.models import AuditEvent
from tests.helpers import DEMO_PASSWORD, ui_login
from webapp import accounts


def token(client, username, password=DEMO_PASSWORD, address="127.0.0.1"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def bearer(tok):
    return {"Authorization": f"Bearer {tok}"}


def events(container, *types):
    with container.uow() as uow:
        return [(e.type, e.actor, e.data) for e in uow.session.scalars(
            select(AuditEvent).where(AuditEvent.type.in_(types)).order_by(AuditEvent.seq))]


def test_ten_failures_for_one_user_then_429_with_retry_after_while_others_behind_the_same_router_sign_in(api):
    client = api.client
    for _ in range(10):
        assert token(client, "approver1", "wrong-password").status_code == 401
    r = token(client, "approver1", "wrong-password")
    assert r.status_code == 429, r.get_json()
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    r = token(client, "approver1")  # the right password too, until the window ends
    assert r.status_code == 429
    for user in ("manager1", "investigator1", "investigator2", "disburser1", "auditor1"):  # same address
        for _ in range(3):
            assert token(client, user).status_code == 200
    # the web page shares the count
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": "approver1", "password": DEMO_PASSWORD, "csrf_token": csrf})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in r.get_data(as_text=True)


def test_successful_sign_ins_never_count_and_the_window_ends(api, container):
    client = api.client
    for _ in range(9):
        assert token(client, "approver1", "nope-nope").status_code == 401
    for _ in range(30):
        assert token(client, "approver1").status_code == 200
    assert token(client, "approver1", "nope-nope").status_code == 401  # the 10th failure
    assert token(client, "approver1", "nope-nope").status_code == 429
    storage = accounts.limits_of(container).storage
    storage.now = lambda: time.time() + 15 * 60 + 1
    assert token(client, "approver1").status_code == 200


def test_web_login_page_is_throttled_after_ten_failures(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for _ in range(10):
        r = client.post("/login", data={"username": "manager1", "password": "bad", "csrf_token": csrf})
        assert r.status_code == 401
    r = client.post("/login", data={"username": "manager1", "password": DEMO_PASSWORD, "csrf_token": csrf})
    assert r.status_code == 429 and r.headers["Retry-After"].isdigit()
    assert token(client, "manager1").status_code == 429  # and the API agrees
    ui_login(app.test_client(), "approver1")  # another officer from the same address signs in


def test_failures_per_address_are_limited_too(api):
    client = api.client
    for i in range(100):  # a hundred different names, none over its own limit
        assert token(client, f"nobody{i}", "x", address="10.1.1.1").status_code == 401
    r = token(client, "nobody-else", "x", address="10.1.1.1")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert token(client, "manager1", address="10.2.2.2").status_code == 200


@pytest.fixture
def real_cost():
    """Argon2id with parameters large enough that the check dominates the sign-in's time."""
    passwords.use_cost(passwords.Cost(time_cost=2, memory_cost=32 * 1024, parallelism=1))
    yield
    passwords.use_cost(passwords.CHEAP)


def _medians_ms(calls: dict, rounds=9) -> dict:
    """Median time of each call, the calls interleaved round by round so that the machine's load
    meanwhile weighs on all of them alike."""
    times = {name: [] for name in calls}
    for _ in range(rounds):
        for name, fn in calls.items():
            t = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t) * 1000)
    return {name: statistics.median(ts) for name, ts in times.items()}


def test_an_unknown_user_takes_as_long_as_a_known_one(api, container, real_cost):
    with container.uow() as uow:
        for u in uow.session.scalars(select(User).where(User.username.in_(["approver1", "manager1"]))):
            u.password_hash = passwords.hash_password(DEMO_PASSWORD)
        uow.commit()
    client = api.client
    token(client, "manager1")  # warm up
    t = _medians_ms({
        "known_wrong": lambda: token(client, "approver1", "wrong-password", address="10.0.0.1"),
        "known_right": lambda: token(client, "manager1", address="10.0.0.2"),
        "unknown": lambda: token(client, "no-such-user", "wrong-password", address="10.0.0.3"),
    })
    for known in (t["known_wrong"], t["known_right"]):
        assert known / 2 <= t["unknown"] <= known * 2, t


def test_an_old_pbkdf2_hash_signs_in_once_and_is_rehashed_with_argon2(api, container):
    with container.uow() as uow:
        user = uow.session.scalars(select(User).where(User.username == "postloan1")).one()
        user.password_hash = passwords.legacy_pbkdf2(DEMO_PASSWORD, b"0123456789abcdef", 1000)
        uow.commit()
    assert token(api.client, "postloan1").status_code == 200
    with container.uow() as uow:
        stored = uow.session.scalars(select(User.password_hash).where(User.username == "postloan1")).one()
    assert stored.startswith("$argon2id$") and not passwords.needs_rehash(stored)
    assert token(api.client, "postloan1").status_code == 200
    assert token(api.client, "postloan1", "demo1234").status_code == 401
    assert events(container, "login")[-2][2]["rehashed"] is True


def test_a_password_change_ends_tokens_and_sessions_at_once(api, app, container):
    old = api.token("manager1")
    web = app.test_client()
    ui_login(web, "manager1")
    assert web.get("/inbox").status_code == 200
    r = api.client.post("/api/v1/auth/password", json={"username": "manager1", "current_password": DEMO_PASSWORD,
                                                       "new_password": "a-new-password"})
    assert r.status_code == 200, r.get_json()
    r = api.client.get("/api/v1/products", headers=bearer(old))
    assert r.status_code == 401 and "no longer valid" in r.get_json()["message"]
    assert web.get("/inbox").status_code == 302
    assert token(api.client, "manager1").status_code == 401
    new = token(api.client, "manager1", "a-new-password")
    assert new.status_code == 200
    assert api.client.get("/api/v1/products", headers=bearer(new.get_json()["token"])).status_code == 200
    assert [e[:2] for e in events(container, "password_changed")] == [("password_changed", "manager1")]


def test_deactivation_ends_tokens_and_sessions_and_sign_in(api, app):
    old = api.token("investigator2")
    web = app.test_client()
    ui_login(web, "investigator2")
    assert api.post("/users/investigator2/deactivate", "admin").get_json() == {"username": "investigator2",
                                                                               "active": False}
    assert api.client.get("/api/v1/tasks", headers=bearer(old)).status_code == 401
    assert web.get("/inbox").status_code == 302
    assert token(api.client, "investigator2").status_code == 401


def test_web_logout_ends_the_replayed_cookie_and_the_users_tokens(api, app, container):
    tok = api.token("approver1")
    browser = app.test_client()
    csrf = ui_login(browser, "approver1")
    stolen = browser.get_cookie("session").value
    assert browser.post("/logout", data={"csrf_token": csrf}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    r = replay.get("/inbox")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert api.client.get("/api/v1/tasks", headers=bearer(tok)).status_code == 401
    assert [e[:2] for e in events(container, "logout")] == [("logout", "approver1")]


def test_api_logout_ends_the_token_and_the_web_session(api, app):
    web = app.test_client()
    ui_login(web, "disburser1")
    tok = api.token("disburser1")
    assert api.client.post("/api/v1/auth/logout", headers=bearer(tok)).status_code == 200
    assert api.client.get("/api/v1/tasks", headers=bearer(tok)).status_code == 401
    assert web.get("/inbox").status_code == 302
    assert token(api.client, "disburser1").status_code == 200  # signing in again works


def test_user_administration_is_for_admins_only(api):
    for user in ("manager1", "auditor1", "designer1", "approver1"):
        assert api.post("/users/approver1/password", user, json={"password": "another-password"}).status_code == 403
        assert api.post("/users/approver1/deactivate", user).status_code == 403
    assert api.post("/users/nobody/deactivate", "admin").status_code == 404
    assert api.post("/users/nobody/password", "admin", json={"password": "long enough"}).status_code == 404
    r = api.post("/users/approver1/password", "admin", json={"password": "short"})
    assert r.status_code == 422 and "password" in r.get_json()["fields"]
    assert api.post("/users/approver1/password", "admin", json=["x"]).status_code == 400
    assert token(api.client, "approver1").status_code == 200


def test_every_sign_in_failure_logout_and_password_change_is_audited(api, app, container):
    token(api.client, "manager1")
    token(api.client, "manager1", "wrong-password")
    token(api.client, "ghost", "wrong-password")
    web = app.test_client()
    csrf = ui_login(web, "approver1")
    web.post("/logout", data={"csrf_token": csrf})
    api.post("/users/investigator1/password", "admin", json={"password": "new-investigator-pw"})
    assert api.post("/users/investigator1/password/confirm", "head1").status_code == 200
    api.post("/users/postloan1/deactivate", "admin")
    seen = events(container, "login", "login_failed", "logout", "password_reset_requested", "password_changed",
                  "user_deactivated")
    assert [(t, a) for t, a, _ in seen] == [
        ("login", "manager1"), ("login_failed", "manager1"), ("login_failed", "anonymous"), ("login", "approver1"),
        ("logout", "approver1"), ("login", "admin"), ("password_reset_requested", "admin"), ("login", "head1"),
        ("password_changed", "head1"), ("user_deactivated", "admin")]
    assert seen[1][2] == {"username": "manager1", "reason": "wrong_password", "address": "127.0.0.1", "via": "api"}
    assert seen[2][2]["username"] == "ghost" and seen[2][2]["reason"] == "unknown_user"
    assert seen[3][2]["via"] == "web"
    assert seen[9][2]["username"] == "postloan1"
