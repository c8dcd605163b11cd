"""Bearer tokens: signed, time-limited, naming the user; the user row is re-read per request
so that leave, deactivation and post changes take effect at once."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from ..extensions import container
from ..principal import Principal, authenticate, load_cached
from . import bp
from .errors import ApiError


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="api-token")


@bp.post("/auth/token")
def issue_token():
    body = request.get_json(silent=True) or {}
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise ApiError(400, "bad_request", "username and password are required",
                       fields={k: ["required"] for k in ("username", "password") if not isinstance(body.get(k), str)})
    who = authenticate(container(), username, password)
    if who is None:
        raise ApiError(401, "unauthenticated", "wrong username or password")
    token = _serializer().dumps({"uid": who.id, "u": who.username})
    return {"token": token, "token_type": "Bearer", "expires_in": current_app.config["TOKEN_MAX_AGE"],
            "user": {"username": who.username, "name": who.name, "posts": sorted(who.posts)}}


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
    who = load_cached(container(), claims.get("uid"), claims.get("u"))
    if who is None:
        raise ApiError(401, "unauthenticated", "user no longer active")
    return who


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
