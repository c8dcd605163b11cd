"""Database plumbing shared by every package: engine creation and the unit of work."""
from __future__ import annotations

from typing import Callable

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - driver hook
            cur = dbapi_conn.cursor()
            # WAL lets readers (the inbox) proceed while one officer's task commits.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 40)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


class UnitOfWork:
    """One business transaction. Rolls back unless `commit()` is called.

    `before_commit` hooks run inside the transaction just before it commits; the
    audit log uses one to seal its hash chain so that the chain and the state it
    describes land together or not at all.
    """

    def __init__(self, session_factory: Callable[[], Session]):
        self.session_factory = session_factory
        self.session: Session | None = None
        self.before_commit: list[Callable[[Session], None]] = []

    def __enter__(self) -> "UnitOfWork":
        self.session = self.session_factory()
        self.session.info["uow"] = self
        return self

    def __exit__(self, *exc) -> None:
        assert self.session is not None
        # close() rolls back whatever was not committed; unlike rollback() it leaves the
        # loaded objects readable (detached), which is what callers presenting results want.
        self.session.close()

    def commit(self) -> None:
        assert self.session is not None
        for hook in list(self.before_commit):
            hook(self.session)
        self.session.commit()

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()
