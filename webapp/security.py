"""Response headers and cookie flags for every response, bound in create_app.

- CSP: scripts, styles, fonts and XHR from our own origin only (htmx and our JS are files, the
  bpmn-js viewer is served from /vendor too); inline styles are allowed because bpmn-js and
  htmx's indicator set them; no plugins, no framing (frame-ancestors 'none').
- nosniff, Referrer-Policy, HSTS when on HTTPS (directly, or through a proxy trusted by
  CREDITFACTORY_PROXIES), `Cache-Control: no-store` on every API response (they carry personal data).
- The session cookie is HttpOnly and SameSite=Lax, and Secure when CREDITFACTORY_SECURE_COOKIES is
  set or the request came over HTTPS.
"""
from __future__ import annotations

import os

from flask import Flask, jsonify, request
from flask.sessions import SecureCookieSessionInterface

from .ratelimit import Throttled

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HSTS = "max-age=31536000; includeSubDomains"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure also whenever the request itself is HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (bool(request) and request.is_secure)


def defaults() -> dict:
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("CREDITFACTORY_SECURE_COOKIES"),
        "SESSION_MAX_AGE": 12 * 3600,
        "CLIENT_TOKEN_MAX_AGE": 3600,
    }


def secure(app: Flask) -> bool:
    return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    proxies = os.environ.get("CREDITFACTORY_PROXIES", "").strip()
    if proxies.isdigit() and int(proxies) > 0:  # behind N reverse proxies: trust their X-Forwarded-For/-Proto
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(proxies)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    @app.errorhandler(Throttled)
    def throttled(exc: Throttled):
        response = jsonify({"error": "too_many_requests",
                            "message": f"too many attempts; retry after {exc.retry_after} s"})
        response.status_code = 429
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.after_request
    def headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        if secure(app):
            h.setdefault("Strict-Transport-Security", HSTS)
        if request.path.startswith("/api/"):
            h["Cache-Control"] = "no-store"
            h.setdefault("Pragma", "no-cache")
        return response
