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

import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from credit import passwords
from credit.models import User
from engine.errors import Conflict, InvalidData, NotFound

from .bootstrap import Container
from .principal import Principal, of_user
from .ratelimit import LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_USER, Limits, Throttled, sql_limits

__all__ = ["Checked", "PasswordChangeRequired", "SignInFailed", "check_password", "Throttled", "committed", "limits_of", "sign_in", "sign_out", "set_password", "deactivate"]
T = TypeVar("T")


class SignInFailed(Exception):
    """Wrong user name or password (which of the two is never said)."""


class PasswordChangeRequired(Exception):
    """The password is right but one-time (someone else set it): the user must replace it first
    (webapp.resets.change_own). Raised only to whoever knows the password."""


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


def committed(c: Container, work: Callable[[Session], T]) -> T:
    """work(session) in one unit of work, committed. Two workers sealing the audit chain at once on
    SQLite can lose the race for the next seq (an IntegrityError) or find the file locked: the unit
    of work is then run again, at most five times in all."""
    for attempt in range(5):
        try:
            with c.uow() as uow:
                out = work(uow.session)
                uow.commit()
                return out
        except (IntegrityError, OperationalError) as exc:
            lost = isinstance(exc, IntegrityError) or "locked" in str(exc.orig).lower()
            if attempt == 4 or not lost:
                raise
            time.sleep(random.uniform(0.005, 0.03) * (attempt + 1))
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Checked:
    """A right password: whose, a rehash of it if its hash is old, whether it is one-time, and the attempt
    counted against the throttle (handed back by `release_attempt(c, checked.keys)` once the caller's work
    is done)."""

    user_id: int
    rehash: str | None
    one_time: bool
    keys: list


def check_password(c: Container, username: str, password: str, address: str, via: str, **noted) -> Checked:
    """Count the attempt, then check the password: Throttled, or SignInFailed (audited as login_failed with
    `noted`), or Checked. An unknown or inactive user costs one Argon2 check like a known one."""
    keys = _login_keys(username, address or "?")
    reserve_attempt(c, keys)
    with c.uow() as uow:  # read and check only
        user = uow.session.scalars(select(User).where(User.username == username)).first()
        ok, rehash = passwords.verify(user.password_hash if user is not None and user.active else None, password)
        reason = "unknown_user" if user is None else "inactive" if not user.active else "wrong_password"
        actor, user_id = (user.username, user.id) if user is not None else ("anonymous", None)
        one_time = ok and user.password_change_required
    if not ok:
        committed(c, lambda session: c.runtime.record(session, actor, "login_failed", None, {
            "username": username[:64], "reason": reason, "address": address, "via": via, **noted}))
        raise SignInFailed()
    return Checked(user_id, rehash, one_time, [(limit, key) for limit, *key in keys])


def sign_in(c: Container, username: str, password: str, address: str, via: str) -> tuple[Principal, int]:
    """The user and the token epoch to issue under, with an audited login; SignInFailed (audited),
    PasswordChangeRequired or Throttled otherwise."""
    checked = check_password(c, username, password, address, via)
    where = {"address": address, "via": via}
    if checked.one_time:
        release_attempt(c, checked.keys)
        committed(c, lambda session: c.runtime.record(session, username, "login_failed", None,
                                                       {"username": username[:64], "reason": "password_change_required",
                                                        **where}))
        raise PasswordChangeRequired()

    def login(session: Session) -> tuple[Principal, int]:
        user = session.get(User, checked.user_id)
        if checked.rehash is not None:
            user.password_hash = checked.rehash
        c.runtime.record(session, user.username, "login", None,
                         {**where, **({"rehashed": True} if checked.rehash else {})})
        return of_user(user), user.token_epoch

    who = committed(c, login)
    release_attempt(c, checked.keys)
    return who


def _bump(session, user: User) -> None:
    session.execute(update(User).where(User.id == user.id).values(token_epoch=User.token_epoch + 1))


def sign_out(c: Container, who: Principal, via: str) -> None:
    """Ends every token and session of the user, not only the one signing out."""
    def work(session: Session) -> None:
        user = session.get(User, who.id)
        if user is not None:
            _bump(session, user)
            c.runtime.record(session, user.username, "logout", None, {"via": via})

    committed(c, work)


def _user(session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user {username}")
    return user


def set_password(c: Container, username: str, new_password: str, actor: str) -> None:
    """The server operator's CLI: a permanent password at once (admins in the API go through webapp.resets)."""
    problem = passwords.problem(new_password)
    if problem:
        raise InvalidData({"password": [problem]})
    digest = passwords.hash_password(new_password)

    def work(session: Session) -> None:
        user = _user(session, username)
        user.password_hash = digest
        user.password_change_required = False
        user.pending_password_hash = user.pending_password_by = user.pending_password_at = None
        _bump(session, user)
        c.runtime.record(session, actor, "password_changed", None, {"username": username})

    committed(c, work)


def deactivate(c: Container, username: str, actor: str) -> bool:
    """Returns whether the account was active."""
    def work(session: Session) -> bool:
        user = _user(session, username)
        was = user.active
        if was and "admin" in (user.posts or []):
            # Nothing reactivates an account but an admin: the last one going would leave no way back.
            admins = [u for u in session.scalars(select(User).where(User.active.is_(True)))
                      if "admin" in (u.posts or []) and u.id != user.id]
            if not admins:
                raise Conflict(f"{username} is the last active admin and cannot be deactivated")
        user.active = False
        _bump(session, user)
        c.runtime.record(session, actor, "user_deactivated", None, {"username": username, "was_active": was})
        return was

    return committed(c, work)
