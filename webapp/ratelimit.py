"""Rate limits with `limits` (the library under Flask-Limiter), counted in the database.

The counters live in the table `rate_counter`, so every gunicorn worker (and every host on one
PostgreSQL) sees the same count: "at most 10 failed sign-ins for one user" holds however requests
are spread. A counter is one row, bumped by one upsert in its own short transaction.
Imports no Flask: the sign-in use cases share it with the web.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Callable

from limits import RateLimitItem, parse
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Float, String, case, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from credit.models import CreditBase

# Sign-in failures: per user name, and per address (one branch router hides many officers, so it is higher).
LOGIN_FAILURES_PER_USER = "10 per 15 minutes"
LOGIN_FAILURES_PER_ADDRESS = "100 per 15 minutes"


class RateCounter(CreditBase):
    __tablename__ = "rate_counter"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int]
    expires_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch


class SqlStorage(Storage):
    """A `limits` storage over SQLAlchemy: fixed windows, one row per key."""

    STORAGE_SCHEME = ["creditfactory+sql"]

    def __init__(self, engine: Engine, now: Callable[[], float] = time.time):
        super().__init__()
        self.engine, self.now = engine, now

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def _insert(self):
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(RateCounter)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now, t = self.now(), RateCounter.__table__.c
        stmt = self._insert().values(key=key, count=max(amount, 0), expires_at=now + expiry)
        stmt = stmt.on_conflict_do_update(index_elements=[t.key], set_={
            "count": case((t.expires_at <= now, max(amount, 0)), else_=t.count + amount),
            "expires_at": case((t.expires_at <= now, now + expiry), else_=t.expires_at),
        }).returning(t.count)
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":  # a counter lost in a crash costs nothing: no fsync wait
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            count = conn.execute(stmt).scalar_one()
            if random.random() < 0.01:  # now and then, forget windows long over
                conn.execute(delete(RateCounter).where(t.expires_at < now - 3600))
        return int(count)

    def _row(self, key: str):
        with self.engine.connect() as conn:
            return conn.execute(select(RateCounter.count, RateCounter.expires_at)
                                .where(RateCounter.key == key)).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.count) if row is not None and row.expires_at > self.now() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row is not None and row.expires_at > self.now() else self.now()

    def check(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(select(1))
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(RateCounter)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(RateCounter).where(RateCounter.key == key))


class Throttled(Exception):
    """A limit is used up; try again in `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many requests; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass
class Limits:
    storage: Storage

    def __post_init__(self):
        self.limiter = FixedWindowRateLimiter(self.storage)

    @staticmethod
    def item(text: str) -> RateLimitItem:
        return parse(text)

    def hit(self, text: str, *key: str) -> None:
        """Count one request; Throttled when it is over the limit."""
        item = parse(text)
        if not self.limiter.hit(item, *key):
            raise Throttled(self._retry_after(item, key))

    def _retry_after(self, item: RateLimitItem, key: tuple[str, ...]) -> int:
        reset = self.limiter.get_window_stats(item, *key).reset_time
        now = self.storage.now() if isinstance(self.storage, SqlStorage) else time.time()
        return max(1, math.ceil(reset - now))


def sql_limits(engine: Engine) -> Limits:
    return Limits(SqlStorage(engine))
