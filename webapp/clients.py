"""Channel clients (mobile banking, WeChat, partners, core banking): client credentials with scopes.

A client exchanges its id and secret for a bearer token at POST /api/v1/auth/token. Its token:
- reaches only the endpoints that name one of its scopes (any other is a 403);
- submits applications on its own channel only (`channel_for`);
- reads only the applications it submitted: `may_read_application` / `own_applications`, which the
  application read paths apply (anything else is a 404, as for a person out of scope);
- is rate limited per client (`api_client.rate_limit`, e.g. "120 per minute"), counted in the database.
Secrets are Argon2 hashes like passwords; failed exchanges are throttled like failed sign-ins.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from credit import passwords
from credit.models import ApiClient, Application
from engine.errors import InvalidData

from .accounts import SignInFailed, committed, limits_of, release_attempt, reserve_attempt
from .bootstrap import Container
from .principal import Principal
from .ratelimit import LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_USER

SUBMIT, READ_OWN, REPAYMENTS = "applications:submit", "applications:read-own", "repayments:write"
SCOPES = (SUBMIT, READ_OWN, REPAYMENTS)
PREFIX = "client:"  # a client's principal username, e.g. "client:wechat-demo" (audit actor, submitted_by)


def _principal(client) -> Principal:
    """The principal of a client row (an ApiClient or a row of its columns)."""
    return Principal(0, PREFIX + client.client_id, client.name, frozenset(), 0,
                     client_id=client.client_id, channel=client.channel, scopes=frozenset(client.scopes or []))


def sign_in(c: Container, client_id: str, secret: str, address: str) -> tuple[Principal, int, int]:
    """(principal, row id, token epoch) for the right secret; SignInFailed (audited) or Throttled otherwise."""
    keys = [(LOGIN_FAILURES_PER_USER, "login-client", client_id[:64]),
            (LOGIN_FAILURES_PER_ADDRESS, "login-address", (address or "?")[:64])]
    reserve_attempt(c, keys)
    with c.uow() as uow:  # read and check only
        client = uow.session.scalars(select(ApiClient).where(ApiClient.client_id == client_id)).first()
        ok, rehash = passwords.verify(client.secret_hash if client is not None and client.active else None, secret)
        actor = PREFIX + client.client_id if client is not None else "anonymous"
        row_id = client.id if client is not None else None
    where = {"address": address, "via": "client_credentials"}
    if not ok:
        committed(c, lambda session: c.runtime.record(session, actor, "login_failed", None,
                                                       {"client_id": client_id[:64], **where}))
        raise SignInFailed()

    def login(session) -> tuple[Principal, int, int]:
        found = session.get(ApiClient, row_id)
        if rehash is not None:
            found.secret_hash = rehash
        c.runtime.record(session, actor, "login", None, where)
        return _principal(found), found.id, found.token_epoch

    out = committed(c, login)
    release_attempt(c, [(limit, key) for limit, *key in keys])
    return out


_COLUMNS = (ApiClient.client_id, ApiClient.name, ApiClient.channel, ApiClient.scopes, ApiClient.rate_limit,
            ApiClient.active, ApiClient.token_epoch)


def load(c: Container, row_id, client_id, epoch) -> Principal | None:
    """The calling client (one indexed read), counted against its rate limit (Throttled when over);
    None when it is gone, inactive or its epoch moved on."""
    if not isinstance(row_id, int) or not isinstance(epoch, int):
        return None
    with c.engine.connect() as conn:
        row = conn.execute(select(*_COLUMNS).where(ApiClient.id == row_id)).first()
    if row is None or not row.active or row.token_epoch != epoch or row.client_id != client_id:
        return None
    limits_of(c).hit(row.rate_limit, "client", row.client_id)
    return _principal(row)


def channel_for(who: Principal, body: dict[str, Any]) -> str:
    """The channel a client's submission is recorded under: its own; naming another is refused."""
    named = body.get("channel")
    if named is not None and named != who.channel:
        raise InvalidData({"channel": [f"This client submits on its own channel ({who.channel}) only."]})
    return who.channel


def may_read_application(who: Principal, app: Application) -> bool:
    """A client reads only the applications it submitted; people are scoped elsewhere (services)."""
    return not who.is_client or (app.client_id is not None and app.client_id == who.client_id)


def own_applications(who: Principal):
    """A WHERE criterion for application lists read by a client, or None for a person."""
    return Application.client_id == who.client_id if who.is_client else None


def client_view(who: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """What a channel sees of its own application: the status and its terms, not the bank's internals
    (tasks, officers, scorecards, comments)."""
    if not who.is_client:
        return body
    return {**body, "tasks": [], "decisions": [], "comments": [], "attachments": []}
