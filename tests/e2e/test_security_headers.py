"""Headers on every response and the session cookie's flags."""
import re

import pytest

from tests.helpers import DEMO_PASSWORD


def _login(client, base_url="http://localhost"):
    page = client.get("/login", base_url=base_url).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": "manager1", "password": DEMO_PASSWORD, "csrf_token": csrf},
                       base_url=base_url)


@pytest.mark.parametrize("path", ["/login", "/healthz", "/api/v1/openapi.json", "/api/v1/products",
                                  "/api/v1/no-such-thing", "/static/app.css", "/vendor/htmx.min.js", "/inbox"])
def test_every_response_carries_the_security_headers(app, path):
    r = app.test_client().get(path)
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp
    assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in r.headers  # plain HTTP
    if path.startswith("/api/"):
        assert r.headers["Cache-Control"] == "no-store"


def test_api_responses_with_personal_data_are_not_stored(api):
    r = api.get("/products", "manager1")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    r = api.client.post("/api/v1/auth/token", json={"username": "manager1", "password": DEMO_PASSWORD})
    assert r.headers["Cache-Control"] == "no-store"


def test_hsts_over_https(app):
    r = app.test_client().get("/login", base_url="https://localhost")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_session_cookie_is_httponly_and_samesite_and_secure_over_https(app):
    r = _login(app.test_client())
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    r = _login(app.test_client(), base_url="https://localhost")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    lang = app.test_client().get("/login?lang=en").headers["Set-Cookie"]
    assert "lang=en" in lang and "HttpOnly" in lang and "SameSite=Lax" in lang


def test_secure_cookies_when_configured(container, monkeypatch):
    from webapp import create_app

    monkeypatch.setenv("CREDITFACTORY_SECURE_COOKIES", "1")
    app = create_app({"TESTING": True, "CONTAINER": container, "SECRET_KEY": "t"})
    r = _login(app.test_client())
    assert "Secure" in r.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in r.headers


def test_behind_a_trusted_proxy_https_is_recognised(container, monkeypatch):
    from webapp import create_app

    monkeypatch.setenv("CREDITFACTORY_PROXIES", "1")
    app = create_app({"TESTING": True, "CONTAINER": container, "SECRET_KEY": "t"})
    r = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.9.8.7"})
    assert "Strict-Transport-Security" in r.headers
