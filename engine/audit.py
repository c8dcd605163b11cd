"""Append-only, hash-chained audit log.

Events are buffered on the session and sealed just before commit: the head row is
locked, each event gets the next seq and a hash over its content and the previous
hash. The chain therefore lands in the same transaction as the state it describes,
and concurrent writers queue on one row instead of forking the chain.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEvent, AuditHead

GENESIS = "0" * 64
_PENDING = "audit_pending"


def _default(o: Any) -> Any:
    if isinstance(o, (datetime,)):
        return o.isoformat()
    if isinstance(o, Decimal):
        return str(o)
    return str(o)


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


def jsonable(data: Any) -> Any:
    """What the JSON column will give back, so the hash covers exactly what is stored."""
    return json.loads(canonical(data))


def event_hash(ev: AuditEvent) -> str:
    body = {
        "seq": ev.seq,
        "at": ev.at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        "actor": ev.actor,
        "instance_id": ev.instance_id,
        "business_key": ev.business_key,
        "task_id": ev.task_id,
        "type": ev.type,
        "data": ev.data,
        "model_version": ev.model_version,
        "rule_ids": ev.rule_ids,
        "prev_hash": ev.prev_hash,
    }
    return hashlib.sha256(canonical(body).encode()).hexdigest()


@dataclass
class PendingEvent:
    at: datetime
    actor: str
    type: str
    instance_id: int | None = None
    business_key: str | None = None
    task_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    model_version: str | None = None
    rule_ids: list[str] = field(default_factory=list)


def record(session: Session, event: PendingEvent) -> None:
    """Queue an event; it is sealed into the chain when the unit of work commits."""
    pending = session.info.setdefault(_PENDING, [])
    if not pending:
        uow = session.info.get("uow")
        if uow is not None and seal not in uow.before_commit:
            uow.before_commit.append(seal)
    pending.append(event)


def pending_events(session: Session) -> list[PendingEvent]:
    return list(session.info.get(_PENDING, []))


def seal(session: Session) -> None:
    pending: list[PendingEvent] = session.info.pop(_PENDING, [])
    if not pending:
        return
    session.flush()  # instance ids must exist before events reference them
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    for p in pending:
        ev = AuditEvent(
            seq=head.seq + 1,
            at=p.at,
            actor=p.actor,
            instance_id=p.instance_id,
            business_key=p.business_key,
            task_id=p.task_id,
            type=p.type,
            data=jsonable(p.data),
            model_version=p.model_version,
            rule_ids=list(p.rule_ids),
            prev_hash=head.hash,
        )
        ev.hash = event_hash(ev)
        session.add(ev)
        head.seq, head.hash = ev.seq, ev.hash
    session.flush()


@dataclass
class VerifyReport:
    ok: bool
    events: int
    problems: list[str]


@dataclass
class Segment:
    """One seq range walked on its own: what it found and how it joins its neighbours."""

    lo: int
    count: int = 0
    first_seq: int = 0
    first_prev: str | None = None
    last_seq: int = 0
    last_hash: str | None = None
    problems: list[str] = field(default_factory=list)


def walk(session: Session, lo: int = 1, hi: int | None = None, batch: int = 5000, limit: int = 20) -> Segment:
    """Check every event in [lo, hi]: its hash, and its link and seq against the event before it."""
    seg = Segment(lo=lo)
    expected_seq, prev = lo, None
    query = select(*AuditEvent.__table__.c).where(AuditEvent.seq >= lo)
    if hi is not None:
        query = query.where(AuditEvent.seq <= hi)
    # Plain rows, not ORM objects: a million events must verify in seconds.
    rows: Iterator[Any] = session.execute(query.order_by(AuditEvent.seq).execution_options(yield_per=batch))
    for ev in rows:
        if seg.count == 0:
            seg.first_seq, seg.first_prev = ev.seq, ev.prev_hash
        seg.count += 1
        if ev.seq != expected_seq and seg.count > 1:
            seg.problems.append(f"seq {ev.seq}: expected seq {expected_seq} (event missing or reordered)")
        if prev is not None and ev.prev_hash != prev:
            seg.problems.append(f"seq {ev.seq}: prev_hash does not match the hash of the event before it")
        if event_hash(ev) != ev.hash:
            seg.problems.append(f"seq {ev.seq}: content does not match its hash (event edited)")
        prev, expected_seq = ev.hash, ev.seq + 1
        seg.last_seq, seg.last_hash = ev.seq, ev.hash
        if len(seg.problems) >= limit:
            break
    return seg


def _walk_in_process(url: str, lo: int, hi: int, batch: int) -> Segment:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session as _Session

    engine = create_engine(url)
    try:
        with _Session(engine) as session:
            return walk(session, lo, hi, batch)
    finally:
        engine.dispose()


def verify(session: Session, batch: int = 5000, workers: int = 1) -> VerifyReport:
    """Walk the whole chain and name the first problems found. With workers > 1, seq ranges are
    walked in parallel processes (each hash depends only on its own row) and then joined."""
    head = session.get(AuditHead, 1)
    top = head.seq if head is not None else 0
    if workers <= 1 or top < 10 * batch:
        segments = [walk(session, 1, None, batch)]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        url = session.get_bind().url.render_as_string(hide_password=False)
        step = -(-top // workers)
        bounds = [(lo, min(lo + step - 1, top) if lo + step - 1 < top else None) for lo in range(1, top + 1, step)]
        with ProcessPoolExecutor(len(bounds), mp_context=multiprocessing.get_context("spawn")) as pool:
            segments = list(pool.map(_walk_in_process, [url] * len(bounds), [b[0] for b in bounds],
                                     [b[1] for b in bounds], [batch] * len(bounds)))
    problems: list[str] = []
    prev_hash, prev_seq, count = GENESIS, 0, 0
    for seg in segments:
        count += seg.count
        if seg.count and seg.first_seq != prev_seq + 1:
            problems.append(f"seq {seg.first_seq}: expected seq {prev_seq + 1} (event missing or reordered)")
        elif seg.count and seg.first_prev != prev_hash:
            problems.append(f"seq {seg.first_seq}: prev_hash does not match the hash of the event before it")
        problems.extend(seg.problems)
        if seg.count:
            prev_hash, prev_seq = seg.last_hash, seg.last_seq
    problems = list(dict.fromkeys(problems))[:20]
    if head is not None and not problems and (head.seq != prev_seq or head.hash != prev_hash):
        problems.append(f"chain ends at seq {prev_seq} but the head says {head.seq} (events removed from the end)")
    return VerifyReport(ok=not problems, events=count, problems=problems)
