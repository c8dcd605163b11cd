"""Who is calling: loaded fresh per request, so leave and post changes apply at once."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from credit.models import User
from credit.passwords import check_password
from engine.runtime import Actor

from .bootstrap import Container


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


def _of(user: User) -> Principal:
    return Principal(user.id, user.username, user.name, frozenset(user.posts or []), user.org_id)


_CACHE: dict[tuple, tuple[float, Principal]] = {}
CACHE_SECONDS = 30.0


def load_cached(c: Container, user_id, username: str | None = None) -> Principal | None:
    """load(), remembered for a few seconds: leave, deactivation and post changes apply within CACHE_SECONDS."""
    import time

    key = (id(c), user_id, username)
    hit = _CACHE.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    who = load(c, user_id, username)
    if who is not None:
        if len(_CACHE) > 10_000:
            _CACHE.clear()
        _CACHE[key] = (now, who)
    return who


def load(c: Container, user_id, username: str | None = None) -> Principal | None:
    with c.uow() as uow:
        user = uow.session.get(User, user_id) if user_id is not None else None
        if user is None or not user.active or (username is not None and user.username != username):
            return None
        return _of(user)


def authenticate(c: Container, username: str, password: str) -> Principal | None:
    with c.uow() as uow:
        user = uow.session.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active or not check_password(user.password_hash, password):
            return None
        return _of(user)


def usernames(c: Container) -> list[tuple[str, str, list[str]]]:
    with c.uow() as uow:
        return [(u.username, u.name, u.posts) for u in uow.session.scalars(
            select(User).where(User.active.is_(True)).order_by(User.username))]
