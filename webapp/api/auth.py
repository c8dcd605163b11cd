"""Bearer tokens: signed, time-limited, naming the user; the user row is re-read per request
so that leave, deactivation and post changes take effect at once."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from credit.models import User
from credit.passwords import check_password
from engine.runtime import Actor

from ..extensions import container
from . import bp
from .errors import ApiError


@dataclass(frozen=True)
class Principal:
    id: int
    username: str
    name: str
    posts: frozenset[str]
    org_id: int

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.posts)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="api-token")


@bp.post("/auth/token")
def issue_token():
    body = request.get_json(silent=True) or {}
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise ApiError(400, "bad_request", "username and password are required",
                       fields={k: ["required"] for k in ("username", "password") if not isinstance(body.get(k), str)})
    with container().uow() as uow:
        user = uow.session.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active or not check_password(user.password_hash, password):
            raise ApiError(401, "unauthenticated", "用户名或密码错误 / wrong username or password")
        token = _serializer().dumps({"uid": user.id, "u": user.username})
        return {"token": token, "token_type": "Bearer", "expires_in": current_app.config["TOKEN_MAX_AGE"],
                "user": {"username": user.username, "name": user.name, "posts": user.posts}}


def _principal() -> Principal:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise ApiError(401, "unauthenticated", "missing bearer token")
    try:
        claims = _serializer().loads(header[7:].strip(), max_age=current_app.config["TOKEN_MAX_AGE"])
    except SignatureExpired:
        raise ApiError(401, "unauthenticated", "token expired") from None
    except BadSignature:
        raise ApiError(401, "unauthenticated", "invalid token") from None
    with container().uow() as uow:
        user = uow.session.get(User, claims.get("uid"))
        if user is None or not user.active or user.username != claims.get("u"):
            raise ApiError(401, "unauthenticated", "user no longer active")
        return Principal(user.id, user.username, user.name, frozenset(user.posts or []), user.org_id)


def login_required(*posts: str):
    """Authenticate; with posts given, the caller must hold at least one of them."""

    def deco(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            principal = _principal()
            if posts and not principal.posts.intersection(posts):
                raise ApiError(403, "forbidden", f"needs one of the posts: {', '.join(posts)}")
            g.principal = principal
            return view(*args, **kwargs)

        return wrapped

    return deco


def principal() -> Principal:
    return g.principal
