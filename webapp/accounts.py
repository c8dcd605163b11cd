"""Sign-in, sign-out, password changes and deactivation: use cases the API, the pages and the CLI share.

- Failed sign-ins are counted per user name and per address (webapp.ratelimit, in the database);
  a user name with 10 failures in 15 minutes answers Throttled (429) until its window ends. The
  count is taken before the password is checked and handed back when it was right, so concurrent
  guesses cannot overshoot and successful sign-ins never count.
- An unknown user name costs one Argon2 check of a dummy hash, like a known one.
- A password change, a deactivation and a sign-out raise the user's token epoch: every token and
  session issued before dies on its next request.
- Each of them is one transaction with its audit event (login, login_failed, logout,
  password_changed, user_deactivated).
"""
from __future__ import annotations

from sqlalchemy import select, update

from credit import passwords
from credit.models import User
from engine.errors import InvalidData, NotFound

from .bootstrap import Container
from .principal import Principal, of_user
from .ratelimit import LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_USER, Limits, Throttled, sql_limits

__all__ = ["SignInFailed", "Throttled", "limits_of", "sign_in", "sign_out", "set_password", "deactivate"]


class SignInFailed(Exception):
    """Wrong user name or password (which of the two is never said)."""


def limits_of(c: Container) -> Limits:
    """The container's rate limits (counted in its database), made on first use."""
    found = c.__dict__.get("_limits")
    if found is None:
        found = c.__dict__["_limits"] = sql_limits(c.engine)
    return found


def reserve_attempt(c: Container, keys: list[tuple[str, str, str]]) -> None:
    """Count one attempt against each (limit, kind, key) before checking credentials; Throttled
    (and nothing counted) when any limit is used up."""
    lim, taken = limits_of(c), []
    try:
        for limit, *key in keys:
            lim.hit(limit, *key)
            taken.append((limit, key))
    except Throttled:
        release_attempt(c, taken + [(limit, key)])
        raise


def release_attempt(c: Container, keys) -> None:
    lim = limits_of(c)
    for limit, key in keys:
        lim.limiter.hit(lim.item(limit), *key, cost=-1)


def _login_keys(username: str, address: str) -> list[tuple[str, str, str]]:
    return [(LOGIN_FAILURES_PER_USER, "login-user", username[:64]),
            (LOGIN_FAILURES_PER_ADDRESS, "login-address", address[:64])]


def sign_in(c: Container, username: str, password: str, address: str, via: str) -> tuple[Principal, int]:
    """The user and the token epoch to issue under, with an audited login; SignInFailed (audited)
    or Throttled otherwise."""
    keys = _login_keys(username, address or "?")
    reserve_attempt(c, keys)
    with c.uow() as uow:
        user = uow.session.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active or len(password) > passwords.MAX_LENGTH:
            passwords.verify_dummy(password[:passwords.MAX_LENGTH])
            ok = False
        else:
            ok = passwords.check_password(user.password_hash, password)
        where = {"address": address, "via": via}
        if not ok:
            reason = "unknown_user" if user is None else "inactive" if not user.active else "wrong_password"
            c.runtime.record(uow.session, user.username if user is not None else "anonymous", "login_failed",
                             None, {"username": username[:64], "reason": reason, **where})
            uow.commit()
            raise SignInFailed()
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
            where["rehashed"] = True
        c.runtime.record(uow.session, user.username, "login", None, where)
        uow.commit()
        who = of_user(user), user.token_epoch
    release_attempt(c, [(limit, key) for limit, *key in keys])
    return who


def _bump(session, user: User) -> None:
    session.execute(update(User).where(User.id == user.id).values(token_epoch=User.token_epoch + 1))


def sign_out(c: Container, who: Principal, via: str) -> None:
    """Ends every token and session of the user, not only the one signing out."""
    with c.uow() as uow:
        user = uow.session.get(User, who.id)
        if user is None:
            return
        _bump(uow.session, user)
        c.runtime.record(uow.session, user.username, "logout", None, {"via": via})
        uow.commit()


def _user(session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user {username}")
    return user


def set_password(c: Container, username: str, new_password: str, actor: str) -> None:
    problem = passwords.problem(new_password)
    if problem:
        raise InvalidData({"password": [problem]})
    digest = passwords.hash_password(new_password)
    with c.uow() as uow:
        user = _user(uow.session, username)
        user.password_hash = digest
        _bump(uow.session, user)
        c.runtime.record(uow.session, actor, "password_changed", None, {"username": username})
        uow.commit()


def deactivate(c: Container, username: str, actor: str) -> bool:
    """Returns whether the account was active."""
    with c.uow() as uow:
        user = _user(uow.session, username)
        was = user.active
        user.active = False
        _bump(uow.session, user)
        c.runtime.record(uow.session, actor, "user_deactivated", None, {"username": username, "was_active": was})
        uow.commit()
        return was
