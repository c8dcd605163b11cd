"""The app's own error pages, in the reader's language, instead of Flask's English ones.

A page shows a title and a sentence for its status; the service's own message only when the
catalogue has it in the reader's language (an untranslated English sentence, or an internal code,
never reaches a Chinese page)."""
from __future__ import annotations

import re

from flask import render_template
from flask_babel import get_locale, gettext as _, lazy_gettext as L_

CJK = re.compile(r"[\u4e00-\u9fff]")
TITLES = {
    400: (L_("The request could not be read"), L_("Check what you entered and try again.")),
    403: (L_("Not allowed"), L_("Your posts do not allow this. Ask your branch head if you need it.")),
    404: (L_("Not found"), L_("The page or record does not exist, or is not yours to see.")),
    405: (L_("Not allowed here"), L_("This address does not take that kind of request.")),
    409: (L_("Changed meanwhile"), L_("Someone else changed this first. Reload the page and try again.")),
    413: (L_("Too large"), L_("A file or form is over 10 MB.")),
    422: (L_("Not accepted"), L_("Some of what you entered was refused. Go back and check it.")),
    429: (L_("Too many attempts"), L_("Wait a little, then try again.")),
    500: (L_("Something went wrong"), L_("Nothing was changed. Try again; if it happens again, tell the administrator.")),
    503: (L_("Busy"), L_("The system is busy. Try again in a moment.")),
}


def detail(message: str | None) -> str | None:
    """The service's message if the reader can read it: translated by the catalogue, already in Chinese
    (a message made from translated parts), or the reader reads English."""
    if not message:
        return None
    translated = _(message)
    if translated != message or CJK.search(message) or str(get_locale() or "zh").startswith("en"):
        return translated
    return None


def render(status: int, message: str | None = None, headers: dict | None = None):
    title, hint = TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])
    body = render_template("error.html", status=status, title=title, hint=hint, detail=detail(message))
    return body, status, {**(headers or {}), "Content-Type": "text/html; charset=utf-8"}
