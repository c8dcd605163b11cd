"""Cookie sessions for people at a browser, with a CSRF token on every form and htmx call."""
from __future__ import annotations

import secrets
from functools import wraps

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from .. import principal as principals
from ..extensions import container
from . import bp


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.before_request
def check_csrf():
    if request.method == "POST":
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
        if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
            abort(400, description=_("The form expired. Reload the page and try again."))


@bp.app_context_processor
def inject():
    return {"csrf_token": csrf_token, "me": g.get("me")}


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        who = principals.load(container(), session.get("uid"), session.get("u"))
        if who is None:
            session.pop("uid", None)
            return redirect(url_for("ui.login", next=request.full_path))
        g.me = who
        return view(*args, **kwargs)

    return wrapped


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        who = principals.authenticate(container(), request.form.get("username", ""), request.form.get("password", ""))
        if who is None:
            error = _("Wrong user name or password.")
        else:
            session.clear()
            session["uid"], session["u"] = who.id, who.username
            target = request.args.get("next") or ""
            return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("ui.inbox"))
    return render_template("login.html", error=error), 401 if error else 200


@bp.post("/logout")
def logout():
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("ui.login"))


@bp.get("/")
def home():
    return redirect(url_for("ui.inbox"))
