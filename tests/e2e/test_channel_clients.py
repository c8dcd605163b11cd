"""Channel clients: client credentials for a token, scopes, their own channel, their own applications
only (anything else a 404), a rate limit each; officers keep naming any channel."""
from sqlalchemy import select, update

from credit.demo import CLIENTS
from credit.models import ApiClient, Application
from engine.models import AuditEvent
from tests.conftest import applicant

SECRETS = {client_id: secret for client_id, _, _, _, secret in CLIENTS}


def client_token(api, client_id, secret=None):
    r = api.client.post("/api/v1/auth/token", json={"client_id": client_id,
                                                     "client_secret": secret or SECRETS[client_id]})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def as_client(api, tok, method, path, **kw):
    return api.client.open(f"/api/v1{path}", method=method, headers={"Authorization": f"Bearer {tok}",
                                                                      **kw.pop("headers", {})}, **kw)


def body(seq, **extra):
    return {"product_code": "RUYI", "amount": "30000", "term_months": 12, "purpose": "装修",
            "applicant": applicant(seq), **extra}


def test_client_credentials_give_a_token_with_the_clients_scopes(api, container):
    out = client_token(api, "mobile-banking-demo")
    assert out["token_type"] == "Bearer" and out["expires_in"] == 3600
    assert out["client"] == {"client_id": "mobile-banking-demo", "name": "手机银行", "channel": "mobile_banking",
                             "scopes": ["applications:read-own", "applications:submit"]}
    assert client_token(api, "core-banking-demo")["client"]["scopes"] == ["repayments:write"]
    for creds in ({"client_id": "wechat-demo", "client_secret": "wrong"},
                  {"client_id": "no-such-client", "client_secret": "demo-wechat-secret"}):
        r = api.client.post("/api/v1/auth/token", json=creds)
        assert r.status_code == 401 and "client_secret" in r.get_json()["message"]
    assert api.client.post("/api/v1/auth/token", json={"client_id": "wechat-demo"}).status_code == 400
    assert api.token("manager1")  # username and password keep working on the same endpoint
    with container.uow() as uow:
        secret_hash = uow.session.scalars(select(ApiClient.secret_hash)
                                          .where(ApiClient.client_id == "wechat-demo")).one()
        kinds = [(e.type, e.actor) for e in uow.session.scalars(
            select(AuditEvent).where(AuditEvent.type.in_(["login", "login_failed"])).order_by(AuditEvent.seq))]
    assert secret_hash.startswith("$argon2id$") and "demo-wechat-secret" not in secret_hash
    assert kinds[:4] == [("login", "client:mobile-banking-demo"), ("login", "client:core-banking-demo"),
                         ("login_failed", "client:wechat-demo"), ("login_failed", "anonymous")]


def test_a_client_submits_on_its_own_channel_and_reads_only_what_it_submitted(api, container):
    mobile = client_token(api, "mobile-banking-demo")["token"]
    wechat = client_token(api, "wechat-demo")["token"]
    r = as_client(api, mobile, "POST", "/applications", json=body(1))
    assert r.status_code == 201, r.get_json()
    mine = r.get_json()
    assert mine["channel"] == "mobile_banking" and mine["status"]
    assert mine["tasks"] == [] and mine["decisions"] == []  # the bank's internals stay inside
    r = as_client(api, mobile, "POST", "/applications", json=body(2, channel="wechat"))
    assert r.status_code == 422 and "channel" in r.get_json()["fields"]
    r = as_client(api, mobile, "POST", "/applications", json=body(3, channel="mobile_banking"))
    assert r.status_code == 201 and r.get_json()["channel"] == "mobile_banking"
    theirs = as_client(api, wechat, "POST", "/applications", json=body(4)).get_json()
    assert theirs["channel"] == "wechat"
    officer = api.post("/applications", "manager1", json=body(5, channel="wechat"))
    assert officer.status_code == 201 and officer.get_json()["channel"] == "wechat"  # an officer names any channel
    officers = officer.get_json()["id"]

    r = as_client(api, mobile, "GET", f"/applications/{mine['id']}")
    assert r.status_code == 200 and r.get_json()["id"] == mine["id"]
    for other in (theirs["id"], officers, 999_999):
        r = as_client(api, mobile, "GET", f"/applications/{other}")
        assert r.status_code == 404, (other, r.get_json())
    assert as_client(api, wechat, "GET", f"/applications/{mine['id']}").status_code == 404
    assert api.get(f"/applications/{mine['id']}", "auditor1").status_code == 200  # people are unaffected
    with container.uow() as uow:
        recorded = dict(uow.session.execute(select(Application.id, Application.client_id)).all())
    assert recorded[mine["id"]] == "mobile-banking-demo" and recorded[theirs["id"]] == "wechat-demo"
    assert recorded[officers] is None


def test_a_client_reaches_only_what_its_scopes_name(api):
    mobile = client_token(api, "partner-demo")["token"]
    core = client_token(api, "core-banking-demo")["token"]
    app_id = as_client(api, mobile, "POST", "/applications", json=body(1)).get_json()["id"]
    assert as_client(api, mobile, "GET", "/products").status_code == 200
    for method, path in (("GET", "/tasks"), ("GET", f"/applications/{app_id}/history"),
                         ("GET", f"/applications/{app_id}/contract.pdf"), ("GET", "/process-definitions"),
                         ("POST", f"/applications/{app_id}/comments"), ("POST", "/users/manager1/deactivate"),
                         ("POST", "/auth/logout")):
        r = as_client(api, mobile, method, path, json={"body": "x"})
        assert r.status_code == 403, (method, path, r.status_code)
    assert as_client(api, core, "POST", "/applications", json=body(2)).status_code == 403
    assert as_client(api, core, "GET", f"/applications/{app_id}").status_code == 403


def test_a_repeated_idempotency_key_gives_the_clients_same_application(api):
    tok = client_token(api, "wechat-demo")["token"]
    first = as_client(api, tok, "POST", "/applications", json=body(1), headers={"Idempotency-Key": "k-1"})
    again = as_client(api, tok, "POST", "/applications", json=body(1), headers={"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]


def test_each_client_has_a_rate_limit(api, container):
    with container.uow() as uow:
        uow.session.execute(update(ApiClient).where(ApiClient.client_id == "wechat-demo")
                            .values(rate_limit="3 per minute"))
        uow.commit()
    tok = client_token(api, "wechat-demo")["token"]
    other = client_token(api, "partner-demo")["token"]
    for _ in range(3):
        assert as_client(api, tok, "GET", "/products").status_code == 200
    r = as_client(api, tok, "GET", "/products")
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 60
    assert r.get_json()["error"] == "too_many_requests"
    assert as_client(api, other, "GET", "/products").status_code == 200  # another client is not held up


def test_a_deactivated_clients_token_dies(api, container):
    tok = client_token(api, "partner-demo")["token"]
    with container.uow() as uow:
        uow.session.execute(update(ApiClient).where(ApiClient.client_id == "partner-demo").values(active=False))
        uow.commit()
    assert as_client(api, tok, "GET", "/products").status_code == 401
    r = api.client.post("/api/v1/auth/token", json={"client_id": "partner-demo",
                                                     "client_secret": SECRETS["partner-demo"]})
    assert r.status_code == 401
