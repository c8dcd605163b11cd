"""Account administration for admins: set a password, deactivate. Both end the user's tokens and sessions."""
from __future__ import annotations

from .. import accounts
from ..extensions import container
from . import bp, parsing
from .auth import login_required, principal
from .schemas import PasswordSchema


@bp.post("/users/<username>/password")
@login_required("admin")
def set_user_password(username: str):
    password = parsing.load(PasswordSchema())["password"]  # 400 unless a JSON object; a located 422
    accounts.set_password(container(), username, password, principal().username)  # NotFound: 404, InvalidData: 422
    return {"username": username, "password_changed": True}


@bp.post("/users/<username>/deactivate")
@login_required("admin")
def deactivate_user(username: str):
    accounts.deactivate(container(), username, principal().username)
    return {"username": username, "active": False}
