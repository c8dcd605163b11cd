"""Flask application: officer workbench, designer studio, auditor console, REST API, CLI.

The only package that imports Flask. Views parse, call one service, render.
"""
from __future__ import annotations

import json
import os
import secrets
from typing import Any, Mapping

from flask import Flask


def _secret_key(instance_path: str) -> str:
    key = os.environ.get("CREDITFACTORY_SECRET_KEY")
    if key:
        return key
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        with open(path, "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        return fh.read().strip()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    from . import security

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        DATABASE_URL=None,  # None: CREDITFACTORY_DATABASE_URL or SQLite under instance/
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        TOKEN_MAX_AGE=12 * 3600,
        JSON_AS_ASCII=False,
        # the bank's account number schemes (forms.accounts), e.g. {"card": {"min_length": 16, "max_length": 19,
        # "luhn": true}}; the defaults when unset
        ACCOUNT_SCHEMES=json.loads(os.environ.get("CREDITFACTORY_ACCOUNT_SCHEMES") or "{}"),
        **security.defaults(),
    )
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    from forms import accounts

    from . import extensions, filters, health, i18n
    from .api import bp as api_bp
    from .api import errors
    from .portfolio import bp as portfolio_bp
    from .workbench import bp as ui_bp

    accounts.configure(app.config["ACCOUNT_SCHEMES"])
    extensions.factory.init_app(app)
    i18n.init_app(app)
    filters.init_app(app)
    errors.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(ui_bp)
    app.register_blueprint(portfolio_bp)
    _vendor(app)

    @app.get("/favicon.ico")
    def favicon():  # browsers ask for it at the root, whatever the page links
        return app.redirect(app.url_for("static", filename="favicon.svg"), 301)
    security.init_app(app)
    return app


def _vendor(app: Flask) -> None:
    """Front-end packages come from npm (package.json); served straight from node_modules."""
    import pathlib

    from flask import send_from_directory

    htmx = pathlib.Path(app.root_path).parent / "node_modules" / "htmx.org" / "dist"

    @app.get("/vendor/htmx.min.js")
    def vendor_htmx():
        return send_from_directory(htmx, "htmx.min.js", max_age=86400)

    bpmn_js = pathlib.Path(app.root_path).parent / "node_modules" / "bpmn-js" / "dist"

    @app.get("/vendor/bpmn-js/<path:name>")
    def vendor_bpmn_js(name: str):
        """The bpmn-js viewer and its stylesheets, from our own origin (the CSP allows no other)."""
        return send_from_directory(bpmn_js, name, max_age=86400)

    echarts = pathlib.Path(app.root_path).parent / "node_modules" / "echarts" / "dist"

    @app.get("/vendor/echarts.min.js")
    def vendor_echarts():
        """ECharts for the portfolio page's charts, from our own origin like htmx."""
        return send_from_directory(echarts, "echarts.min.js", max_age=86400)
