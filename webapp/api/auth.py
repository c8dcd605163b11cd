"""Bearer tokens: signed, time-limited, naming the user (or channel client) and its token epoch.
Every request re-reads the row (one indexed read): a password change, a deactivation or a sign-out
raises the epoch and the token dies at once; leave and post changes apply at once too."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import accounts, clients, resets
from ..extensions import container
from ..principal import Principal, load
from . import bp, parsing
from .schemas import OwnPasswordSchema
from .errors import ApiError


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="api-token")


@bp.post("/auth/token")
def issue_token():
    """{username, password} for people, {client_id, client_secret} for channel clients."""
    body = parsing.json_object()  # 400 unless a JSON object; NUL, lone surrogates: a located 422
    if "client_id" in body or "client_secret" in body:
        return _client_token(body)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise ApiError(400, "bad_request", "username and password are required",
                       fields={k: ["required"] for k in ("username", "password") if not isinstance(body.get(k), str)})
    try:
        who, epoch = accounts.sign_in(container(), username, password, request.remote_addr or "?", "api")
    except accounts.SignInFailed:
        raise ApiError(401, "unauthenticated", "wrong username or password") from None
    except accounts.PasswordChangeRequired:
        raise ApiError(403, "password_change_required", "this password was set by someone else and is one-time: "
                       "replace it first (POST /api/v1/auth/password)") from None
    token = _serializer().dumps({"uid": who.id, "u": who.username, "e": epoch})
    return {"token": token, "token_type": "Bearer", "expires_in": current_app.config["TOKEN_MAX_AGE"],
            "user": {"username": who.username, "name": who.name, "posts": sorted(who.posts)}}


@bp.post("/auth/password")
def change_password():
    """{username, current_password, new_password}: a user replaces their own password (a one-time one
    included). Throttled like a sign-in; ends every token and session of the user."""
    body = parsing.load(OwnPasswordSchema())
    try:
        resets.change_own(container(), body["username"], body["current_password"], body["new_password"],
                          request.remote_addr or "?", "api")
    except accounts.SignInFailed:
        raise ApiError(401, "unauthenticated", "wrong username or password") from None
    return {"username": body["username"], "password_changed": True}


def _client_token(body: dict):
    client_id, secret = body.get("client_id"), body.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(secret, str):
        raise ApiError(400, "bad_request", "client_id and client_secret are required", fields={
            k: ["required"] for k in ("client_id", "client_secret") if not isinstance(body.get(k), str)})
    try:
        who, row_id, epoch = clients.sign_in(container(), client_id, secret, request.remote_addr or "?")
    except accounts.SignInFailed:
        raise ApiError(401, "unauthenticated", "wrong client_id or client_secret") from None
    max_age = current_app.config["CLIENT_TOKEN_MAX_AGE"]
    token = _serializer().dumps({"cid": row_id, "c": who.client_id, "e": epoch})
    return {"token": token, "token_type": "Bearer", "expires_in": max_age,
            "client": {"client_id": who.client_id, "name": who.name, "channel": who.channel,
                       "scopes": sorted(who.scopes)}}


@bp.post("/auth/logout")
def sign_out():
    """Ends every token and web session of the caller."""
    who = _principal()
    if who.is_client:
        raise ApiError(403, "forbidden", "channel clients have no session to end")
    accounts.sign_out(container(), who, "api")
    return {"signed_out": True}


def _principal() -> Principal:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise ApiError(401, "unauthenticated", "missing bearer token")
    try:
        claims, issued = _serializer().loads(header[7:].strip(), max_age=current_app.config["TOKEN_MAX_AGE"],
                                             return_timestamp=True)
    except SignatureExpired:
        raise ApiError(401, "unauthenticated", "token expired") from None
    except BadSignature:
        raise ApiError(401, "unauthenticated", "invalid token") from None
    if not isinstance(claims, dict):
        raise ApiError(401, "unauthenticated", "invalid token")
    if "cid" in claims:
        return _client(claims, issued)
    who = load(container(), claims.get("uid"), claims.get("u"), claims.get("e"))
    if who is None:
        raise ApiError(401, "unauthenticated", "token no longer valid (signed out, password changed or deactivated)")
    return who


def _client(claims: dict, issued) -> Principal:
    from datetime import datetime, timezone

    if (datetime.now(timezone.utc) - issued).total_seconds() > current_app.config["CLIENT_TOKEN_MAX_AGE"]:
        raise ApiError(401, "unauthenticated", "token expired")
    who = clients.load(container(), claims.get("cid"), claims.get("c"), claims.get("e"))  # Throttled: a 429
    if who is None:
        raise ApiError(401, "unauthenticated", "client no longer active")
    return who


def login_required(*posts: str, scopes: tuple[str, ...] = ()):
    """Authenticate; with posts given, a person must hold at least one of them. A channel client
    passes only where `scopes` names one of its scopes (anywhere else it is a 403)."""

    def deco(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            principal = _principal()
            if principal.is_client:
                if not principal.scopes.intersection(scopes):
                    raise ApiError(403, "forbidden", "this client's scopes do not cover this endpoint"
                                   + (f" (needs one of: {', '.join(scopes)})" if scopes else ""))
            elif posts and not principal.posts.intersection(posts):
                raise ApiError(403, "forbidden", f"needs one of the posts: {', '.join(posts)}")
            g.principal = principal
            return view(*args, **kwargs)

        return wrapped

    return deco


def principal() -> Principal:
    return g.principal
