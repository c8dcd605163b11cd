"""A database lease: one row per name with its holder and expiry, taken and renewed in short transactions.

`take` is a compare-and-set: one UPDATE ... WHERE name = :name AND (holder = :me OR expires_at < :now).
On PostgreSQL a second writer blocks on the row lock and re-checks the WHERE against the committed row,
so of two contenders for an expired lease exactly one wins; SQLite has one writer at a time. The first
take inserts the row; a contender that loses that race gets an IntegrityError and holds nothing.
Times come from the caller's clock: the contenders' clocks must agree to well within the lease.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from .models import Lease

lease = Lease.__table__


def take(engine: Engine, name: str, holder: str, seconds: float, now: datetime) -> bool:
    """Take or renew the lease for `seconds` from `now`: True if `holder` holds it afterwards."""
    until = now + timedelta(seconds=seconds)
    with engine.begin() as conn:
        won = conn.execute(update(lease).where(lease.c.name == name, or_(
            lease.c.holder == holder, lease.c.expires_at < now)).values(
            holder=holder, expires_at=until, renewed_at=now)).rowcount == 1
    if won:
        return True
    try:
        with engine.begin() as conn:
            if conn.execute(select(lease.c.name).where(lease.c.name == name)).first() is not None:
                return False  # held by someone else, not expired
            conn.execute(insert(lease).values(name=name, holder=holder, expires_at=until, renewed_at=now))
        return True
    except IntegrityError:
        return False  # another contender inserted it first


def release(engine: Engine, name: str, holder: str, now: datetime) -> None:
    """Give the lease up (on shutdown), so another contender need not wait for it to expire."""
    with engine.begin() as conn:
        conn.execute(update(lease).where(lease.c.name == name, lease.c.holder == holder)
                     .values(expires_at=now - timedelta(microseconds=1)))


def holder_of(engine: Engine, name: str, now: datetime) -> str | None:
    with engine.begin() as conn:
        row = conn.execute(select(lease.c.holder, lease.c.expires_at).where(lease.c.name == name)).first()
    if row is None:
        return None
    expires = row[1] if row[1].tzinfo else row[1].replace(tzinfo=now.tzinfo)
    return row[0] if expires >= now else None
