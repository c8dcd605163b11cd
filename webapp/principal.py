"""Who is calling: read fresh on every request, so that a password change, a deactivation or a
sign-out (each raises the user's token epoch) and leave and post changes apply at once.

One indexed read per request (the user row by primary key, through a pooled connection, no ORM
session) and no cache that could be stale.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from credit.models import User
from engine.runtime import Actor

from .bootstrap import Container


@dataclass(frozen=True)
class Principal:
    id: int
    username: str
    name: str
    posts: frozenset[str]
    org_id: int
    # Channel clients (webapp.clients): id 0, org 0, no post; what they may do is in their scopes.
    client_id: str | None = None
    channel: str | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.posts)

    @property
    def is_client(self) -> bool:
        return self.client_id is not None


def of_user(user: User) -> Principal:
    return Principal(user.id, user.username, user.name, frozenset(user.posts or []), user.org_id)


_COLUMNS = (User.id, User.username, User.name, User.posts, User.org_id, User.active, User.token_epoch)


def load(c: Container, user_id, username, epoch) -> Principal | None:
    """The signed-in user, or None when the account is gone, inactive or its epoch moved on."""
    if not isinstance(user_id, int) or not isinstance(epoch, int):
        return None
    with c.engine.connect() as conn:
        row = conn.execute(select(*_COLUMNS).where(User.id == user_id)).first()
    if row is None or not row.active or row.token_epoch != epoch or row.username != username:
        return None
    return Principal(row.id, row.username, row.name, frozenset(row.posts or []), row.org_id)


def usernames(c: Container) -> list[tuple[str, str, list[str]]]:
    with c.uow() as uow:
        return [(u.username, u.name, u.posts) for u in uow.session.scalars(
            select(User).where(User.active.is_(True)).order_by(User.username))]
