"""Account administration for admins: set a password, deactivate. Both end the user's tokens and sessions."""
from __future__ import annotations

from flask import request

from .. import accounts
from ..extensions import container
from . import bp
from .auth import login_required, principal
from .errors import ApiError


@bp.post("/users/<username>/password")
@login_required("admin")
def set_user_password(username: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "request body must be a JSON object")
    password = body.get("password")
    if not isinstance(password, str):
        raise ApiError(422, "validation_failed", "some fields are invalid", fields={"password": ["required"]})
    accounts.set_password(container(), username, password, principal().username)  # NotFound: 404, InvalidData: 422
    return {"username": username, "password_changed": True}


@bp.post("/users/<username>/deactivate")
@login_required("admin")
def deactivate_user(username: str):
    accounts.deactivate(container(), username, principal().username)
    return {"username": username, "active": False}
