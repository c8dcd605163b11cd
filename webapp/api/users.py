"""Account administration: a password reset (asked for by an admin, confirmed by a second person: see
webapp.resets) and deactivation. Both end the user's tokens and sessions once they take effect."""
from __future__ import annotations

from .. import accounts, resets
from ..extensions import container
from . import bp, parsing
from .auth import login_required, principal
from .schemas import PasswordSchema


@bp.post("/users/<username>/password")
@login_required("admin")
def set_user_password(username: str):
    password = parsing.load(PasswordSchema())["password"]  # 400 unless a JSON object; a located 422
    if resets.request(container(), username, password, principal().username):  # NotFound: 404, InvalidData: 422
        return {"username": username, "password_changed": True}
    return {"username": username, "password_changed": False, "pending_confirmation": True}, 202


@bp.post("/users/<username>/password/confirm")
@login_required("admin", "branch_head")
def confirm_user_password(username: str):
    resets.confirm(container(), username, principal().username)  # 404, 403 (who may confirm), 409
    return {"username": username, "password_changed": True}


@bp.post("/users/<username>/deactivate")
@login_required("admin")
def deactivate_user(username: str):
    accounts.deactivate(container(), username, principal().username)
    return {"username": username, "active": False}
