"""Inbox queries with 1,000,000 historical tasks in the table. Target: p95 < 50 ms.
Writes bench/results/inbox.json."""
from __future__ import annotations

import random
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, text

from engine import inbox
from engine.models import HumanTask, ProcessInstance
from engine.runtime import Actor, SodPolicy

from .common import fresh_container, summary_ms, write

POSTS = ["customer_manager", "investigator", "approver", "committee", "disburser", "postloan"]
USERS = [f"officer{i}" for i in range(200)]


def seed(c, n: int, open_tasks: int = 2000, batch: int = 20_000) -> None:
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    with c.engine.begin() as conn:
        deployment_id = conn.execute(text("SELECT min(deployment_id) FROM deployment_file")).scalar()
        definition_id = conn.execute(text("SELECT min(id) FROM process_definition WHERE kind = 'bpmn'")).scalar()
        conn.execute(insert(ProcessInstance), [{
            "id": 1_000_000, "definition_id": definition_id, "deployment_id": deployment_id, "process_id": "bench",
            "business_key": None, "status": "running", "serialization": "{}", "serializer_version": "1.5", "version": 1,
            "started_by": "bench", "created_at": start, "updated_at": start}])
        rows = []
        for i in range(n):
            ready = i >= n - open_tasks
            at = start + timedelta(seconds=30 * i)
            post = rng.choice(POSTS)
            rows.append({"id": str(uuid.UUID(int=rng.getrandbits(128))), "instance_id": 1_000_000,
                         "business_key": str(i // 5), "process_id": "bench", "spec_name": "approve", "title": "审批",
                         "form_key": "approval", "post": post, "duty": None,
                         "assignee": rng.choice(USERS) if rng.random() < 0.8 else None, "candidates": [],
                         "state": "ready" if ready else "completed", "due_at": at + timedelta(hours=4), "created_at": at,
                         "completed_at": None if ready else at + timedelta(hours=1), "completed_by": None, "data": {}})
            if len(rows) >= batch:
                conn.execute(insert(HumanTask), rows)
                rows = []
        if rows:
            conn.execute(insert(HumanTask), rows)
    if c.engine.dialect.name == "postgresql":
        with c.engine.begin() as conn:
            conn.execute(text("ANALYZE human_task"))


def main(n: int = 1_000_000, queries: int = 200) -> dict:
    c = fresh_container()
    t0 = time.perf_counter()
    seed(c, n)
    seeded = time.perf_counter() - t0
    sod = SodPolicy(frozenset({"approval"}))
    rng = random.Random(1)
    times = []
    with c.uow() as uow:
        for _ in range(queries):
            actor = Actor(rng.choice(USERS), frozenset(rng.sample(POSTS, 2)))
            t0 = time.perf_counter()
            rows, _ = inbox.workable(uow.session, actor, sod, limit=50)
            times.append(time.perf_counter() - t0)
    result = {"historical_tasks": n, "open_tasks": 2000, "queries": queries, **summary_ms(times),
              "seed_seconds": round(seeded, 1), "target_p95_ms": 50}
    write("inbox", result, c)
    c.engine.dispose()
    return result



if __name__ == "__main__":
    main()
