"""Simplified Chinese by default, English on request (?lang=en, remembered in a cookie).

Message ids are English; the zh catalogue translates them. Form labels and validation
messages from forms/ are message ids too and are translated here, at the edge.
"""
from __future__ import annotations

import pathlib
import re
from typing import Any

from flask import Flask, request
from flask_babel import Babel, gettext

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
TRANSLATIONS = pathlib.Path(__file__).parent / "translations"


def select_locale() -> str:
    wanted = request.args.get("lang") or request.cookies.get("lang")
    if wanted in LANGUAGES:
        return wanted
    return DEFAULT


def compile_catalogues() -> None:
    """Compile .po to .mo when the .mo is missing or older, so a checkout needs no build step."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as fh:
                catalog = read_po(fh)
            with mo.open("wb") as fh:
                write_mo(fh, catalog)


def init_app(app: Flask) -> None:
    compile_catalogues()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)

    @app.after_request
    def remember_language(response):
        lang = request.args.get("lang")
        if lang in LANGUAGES:
            response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                                secure=bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure)
        return response


_PATTERNS = [
    (re.compile(r"^Must be at least (.+)\.$"), "Must be at least %(value)s."),
    (re.compile(r"^Must be at most (.+)\.$"), "Must be at most %(value)s."),
]


def message(text: str) -> str:
    for pattern, msgid in _PATTERNS:
        m = pattern.match(text)
        if m:
            return gettext(msgid, value=m.group(1))
    return gettext(text)


def errors(tree: Any) -> Any:
    """Translate a marshmallow-style error tree, keeping its shape."""
    if isinstance(tree, dict):
        return {k: errors(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [errors(v) for v in tree]
    return message(tree) if isinstance(tree, str) else tree


def schema(tree: Any) -> Any:
    """Translate the titles and choice labels of a JSON Schema."""
    if isinstance(tree, dict):
        out = {}
        for k, v in tree.items():
            if k == "title" and isinstance(v, str):
                out[k] = gettext(v)
            elif k == "x-labels" and isinstance(v, dict):
                out[k] = {key: gettext(label) for key, label in v.items()}
            else:
                out[k] = schema(v)
        return out
    if isinstance(tree, list):
        return [schema(v) for v in tree]
    return tree
