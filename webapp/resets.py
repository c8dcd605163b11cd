"""Password resets under dual control, and users changing their own password.

An admin who could set anyone's password could sign in as them and do their work, past four eyes.
So a reset of someone else's password:
1. is asked for by an admin, with the new password, and changes nothing yet (the hash waits on the
   user's row; the current password and sessions keep working);
2. takes effect only when a second person confirms it: another active admin, or a head of the
   branch the user belongs to. Neither the admin who asked nor the user may confirm, and the
   confirmer never learns the password;
3. is one-time: the user cannot sign in with it, only replace it with a password of their own
   (`change_own`), so nobody else ever knows the password the user works under.
A reset not confirmed within 24 hours lapses. An admin changing their own password needs none of this.

The server's operator (shell access, `creditfactory users set-password`) sets passwords directly: who
can run the CLI can read the database anyway.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit import access, passwords
from credit.models import User
from engine.errors import Conflict, Forbidden, InvalidData

from .accounts import _bump, _user, check_password, committed, release_attempt
from .bootstrap import Container

PENDING_FOR = timedelta(hours=24)


def _digest(new_password: str, field: str = "password") -> str:
    problem = passwords.problem(new_password)
    if problem:
        raise InvalidData({field: [problem]})
    return passwords.hash_password(new_password)


def _clear_pending(user: User) -> None:
    user.pending_password_hash = user.pending_password_by = user.pending_password_at = None


def request(c: Container, username: str, new_password: str, actor: str) -> bool:
    """An admin sets `username`'s password: at once for themselves (True), else a reset waiting for a
    second person (False). NotFound, InvalidData."""
    digest = _digest(new_password)

    def work(session: Session) -> bool:
        user = _user(session, username)
        if user.username == actor:
            user.password_hash = digest
            user.password_change_required = False
            _clear_pending(user)
            _bump(session, user)
            c.runtime.record(session, actor, "password_changed", None, {"username": username})
            return True
        user.pending_password_hash, user.pending_password_by, user.pending_password_at = digest, actor, c.clock.now()
        c.runtime.record(session, actor, "password_reset_requested", None, {"username": username})
        return False

    return committed(c, work)


def may_confirm(session: Session, confirmer: User, user: User) -> bool:
    """Another active admin, or a head of the branch whose subtree holds the user's organisation."""
    if not confirmer.active or confirmer.id == user.id:
        return False
    posts = frozenset(confirmer.posts or [])
    if "admin" in posts:
        return True
    return "branch_head" in posts and user.org_id in access.subtree(session, confirmer.org_id)


def confirm(c: Container, username: str, actor: str) -> None:
    """The second person confirms a pending reset: the one-time password replaces the old one and every
    token and session of the user ends. NotFound, Forbidden, Conflict (nothing pending, or lapsed)."""
    def work(session: Session) -> bool:
        user = _user(session, username)
        confirmer = session.scalars(select(User).where(User.username == actor)).first()
        if confirmer is None or not may_confirm(session, confirmer, user):
            raise Forbidden(f"{actor} may not confirm a password reset for {username}")
        if user.pending_password_hash is None:
            raise Conflict(f"no password reset is waiting for {username}")
        if user.pending_password_by == actor:
            raise Forbidden("a password reset is confirmed by a second person, not by the admin who asked for it")
        if c.clock.now() - user.pending_password_at > PENDING_FOR:
            _clear_pending(user)  # committed: the lapse is recorded although the confirmation is refused
            c.runtime.record(session, actor, "password_reset_lapsed", None, {"username": username})
            return False
        requested_by = user.pending_password_by
        user.password_hash, user.password_change_required = user.pending_password_hash, True
        _clear_pending(user)
        _bump(session, user)
        c.runtime.record(session, actor, "password_changed", None,
                         {"username": username, "requested_by": requested_by, "confirmed_by": actor,
                          "one_time": True})
        return True

    if not committed(c, work):
        raise Conflict(f"the password reset for {username} lapsed after 24 hours; ask for it again")


def change_own(c: Container, username: str, current: str, new_password: str, address: str, via: str) -> None:
    """A user replaces their password, knowing the current one (a one-time one included). Counted like a
    sign-in: wrong credentials are SignInFailed and count towards throttling (Throttled). InvalidData."""
    problem = passwords.problem(new_password)
    if problem:
        raise InvalidData({"new_password": [problem]})
    if new_password == current:
        raise InvalidData({"new_password": ["The new password must differ from the current one."]})
    # Hashed only once the current password is known right: hashing first cost every anonymous request an
    # Argon2 hash (64 MiB, ~100 ms) even past the throttle, and every wrong guess two.
    checked = check_password(c, username, current, address, via, changing_password=True)
    digest = passwords.hash_password(new_password)

    def work(session: Session) -> None:
        user = session.get(User, checked.user_id)
        user.password_hash = digest
        user.password_change_required = False
        _clear_pending(user)
        _bump(session, user)
        c.runtime.record(session, user.username, "password_changed", None,
                         {"username": user.username, "by_self": True, "address": address, "via": via})

    committed(c, work)
    release_attempt(c, checked.keys)
