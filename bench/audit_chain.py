"""Verifying a 1,000,000-event audit chain, streaming. Target: < 30 s.
Writes bench/results/audit_chain.json."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from engine.audit import GENESIS, event_hash, verify
from engine.models import AuditEvent, AuditHead

from .common import fresh_container, write

N = 1_000_000


class _Row:
    __slots__ = ("seq", "at", "actor", "instance_id", "business_key", "task_id", "type", "data", "model_version",
                 "rule_ids", "prev_hash", "hash")


def seed(c, n: int, batch: int = 20_000) -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    prev = GENESIS
    rows: list[dict] = []
    with c.engine.begin() as conn:
        for seq in range(1, n + 1):
            r = _Row()
            r.seq, r.at, r.actor, r.instance_id, r.business_key = seq, start + timedelta(seconds=seq), "bench", seq // 20, str(seq // 20)
            r.task_id, r.type, r.data, r.model_version = None, "task_completed", {"element": "approve", "n": seq}, "bench"
            r.rule_ids, r.prev_hash = [], prev
            r.hash = event_hash(r)
            prev = r.hash
            rows.append({k: getattr(r, k) for k in _Row.__slots__})
            if len(rows) >= batch:
                conn.execute(insert(AuditEvent), rows)
                rows = []
        if rows:
            conn.execute(insert(AuditEvent), rows)
        conn.execute(insert(AuditHead), [{"id": 1, "seq": n, "hash": prev}])


def main(n: int = N) -> dict:
    c = fresh_container()
    with c.engine.begin() as conn:  # the demo's own events would make the chain start elsewhere
        conn.execute(AuditEvent.__table__.delete())
        conn.execute(AuditHead.__table__.delete())
    t0 = time.perf_counter()
    seed(c, n)
    seeded = time.perf_counter() - t0
    t0 = time.perf_counter()
    import os

    workers = os.cpu_count() or 1
    with c.uow() as uow:
        report = verify(uow.session, workers=workers)
    seconds = time.perf_counter() - t0
    result = {"events": report.events, "ok": report.ok, "verify_seconds": round(seconds, 2),
              "events_per_second": int(report.events / seconds), "seed_seconds": round(seeded, 1), "workers": workers,
              "target_seconds": 30}
    write("audit_chain", result, c)
    c.engine.dispose()
    return result


if __name__ == "__main__":
    main()
