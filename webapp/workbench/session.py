"""Cookie sessions for people at a browser, with a CSRF token on every form and htmx call.

The signed cookie carries the user, the token epoch it was issued under and when: it dies on a
password change, deactivation or sign-out (the epoch moves on) and after SESSION_MAX_AGE."""
from __future__ import annotations

import secrets
import time
from functools import wraps

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from engine.errors import InvalidData

from .. import accounts, principal as principals, resets
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


def _signed_in():
    """The session's user while its token epoch is current and it is younger than SESSION_MAX_AGE."""
    issued = session.get("t")
    if not isinstance(issued, (int, float)) or time.time() - issued > current_app.config["SESSION_MAX_AGE"]:
        return None
    return principals.load(container(), session.get("uid"), session.get("u"), session.get("e"))


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        who = _signed_in()
        if who is None:
            for key in ("uid", "u", "e", "t"):
                session.pop(key, None)
            return redirect(url_for("ui.login", next=request.full_path))
        g.me = who
        return view(*args, **kwargs)

    return wrapped


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status, headers = None, 200, {}
    if request.method == "POST":
        try:
            who, epoch = accounts.sign_in(container(), request.form.get("username", ""),
                                          request.form.get("password", ""), request.remote_addr or "?", "web")
        except accounts.Throttled as exc:
            error, status = _("Too many failed sign-ins. Try again in %(minutes)s min.",
                              minutes=-(-exc.retry_after // 60)), 429
            headers["Retry-After"] = str(exc.retry_after)
        except accounts.SignInFailed:
            error, status = _("Wrong user name or password."), 401
        except accounts.PasswordChangeRequired:
            return _password_page(request.form.get("username", ""), None, 403)
        else:
            session.clear()
            session["uid"], session["u"], session["e"], session["t"] = who.id, who.username, epoch, int(time.time())
            return redirect(_local(request.args.get("next") or "") or url_for("ui.inbox"))
    return render_template("login.html", error=error), status, headers


def _local(target: str) -> str | None:
    """`target` if it is a path on this site, else None. Browsers drop tabs and newlines from a URL and read
    a backslash as a slash, so a slash, a tab and another slash would leave the site as "//" does; a CR or
    LF cannot go into a Location header at all (a 500)."""
    if not target.startswith("/") or any(ch == "\\" or ch.isspace() or not ch.isprintable() for ch in target):
        return None
    return None if target.startswith("//") else target


def _password_page(username: str, error: str | None, status: int):
    return render_template("password.html", username=username, error=error), status


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    """Replace one's own password, a one-time one included; then sign in with the new one."""
    if request.method == "GET":
        return _password_page(request.args.get("username", "")[:64], None, 200)
    form = request.form
    username, new = form.get("username", ""), form.get("new_password", "")
    if new != form.get("confirm_password", ""):
        return _password_page(username, _("The two new passwords differ."), 422)
    try:
        resets.change_own(container(), username, form.get("current_password", ""), new,
                          request.remote_addr or "?", "web")
    except accounts.Throttled as exc:
        return _password_page(username, _("Too many failed sign-ins. Try again in %(minutes)s min.",
                                          minutes=-(-exc.retry_after // 60)), 429)
    except accounts.SignInFailed:
        return _password_page(username, _("Wrong user name or password."), 401)
    except InvalidData:
        return _password_page(username, _("A password needs 8 to 1024 characters on one line, and must differ "
                                          "from the current one."), 422)
    flash(_("Your password is changed. Sign in with the new one."))
    return redirect(url_for("ui.login"))


@bp.post("/logout")
def logout():
    """Ends every session and token of the user, on every device."""
    who = _signed_in()
    if who is not None:
        accounts.sign_out(container(), who, "web")
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("ui.login"))


@bp.get("/")
def home():
    return redirect(url_for("ui.inbox"))
