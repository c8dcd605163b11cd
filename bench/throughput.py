"""32 concurrent officers completing tasks over HTTP against gunicorn + PostgreSQL.
Targets: >= 200 completions/s, p95 < 100 ms, no error, no lost or duplicated completion.
Writes bench/results/throughput.json. Loopback only; bounded in count and time."""
from __future__ import annotations

import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time

from sqlalchemy import func, select

from credit import services
from engine.audit import verify
from engine.models import AuditEvent, HumanTask

from .common import applicant, fresh_container, pct, write

REPORT = {"site_rating": "good", "annual_income": "200000", "guarantee": "guarantee", "guarantor_name": "王保证",
          "findings": "正常"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(conn, path, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, json.dumps(body), headers)
    r = conn.getresponse()
    return r.status, r.read()


def main(tasks: int = 600, officers: int = 32, workers: int = 3) -> dict:
    url = os.environ.get("CREDITFACTORY_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        print("throughput: needs CREDITFACTORY_DATABASE_URL=postgresql+psycopg://...; skipped")
        return {}
    c = fresh_container()
    task_ids = []
    for i in range(tasks):
        body = {"product_code": "NONGHU", "amount": "100000", "term_months": 12, "purpose": "养殖",
                "channel": "manager_app", "applicant": applicant(i)}
        with c.uow() as uow:
            app, _ = services.submit_application(uow.session, c.runtime, body, "manager1", None, c.clock.now())
            uow.commit()
            task_ids.append(uow.session.scalars(select(HumanTask.id).where(
                HumanTask.business_key == str(app.id), HumanTask.state == "ready")).one())
    port = _free_port()
    env = {**os.environ, "CREDITFACTORY_SECRET_KEY": "bench-secret"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread", "--threads", "8",
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "webapp:create_app()"], env=env)
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        status, raw = _post(http.client.HTTPConnection("127.0.0.1", port), "/api/v1/auth/token",
                            {"username": "investigator1", "password": "demo123"})
        token = json.loads(raw)["token"]
        work: queue.Queue = queue.Queue()
        for t in task_ids:
            work.put(t)
        results: list[tuple[int, float]] = []
        lock = threading.Lock()

        def officer():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while True:
                try:
                    tid = work.get_nowait()
                except queue.Empty:
                    return
                t0 = time.perf_counter()
                status, _ = _post(conn, f"/api/v1/tasks/{tid}/complete", {"data": REPORT}, token)
                with lock:
                    results.append((status, time.perf_counter() - t0))

        threads = [threading.Thread(target=officer) for _ in range(officers)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
    ok = [d for s, d in results if s == 200]
    with c.uow() as uow:
        completed = uow.session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.id.in_(task_ids), HumanTask.state == "completed"))
        events = uow.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.task_id.in_(task_ids), AuditEvent.type == "task_completed"))
        chain_ok = verify(uow.session, workers=2).ok
    result = {"officers": officers, "gunicorn_workers": workers, "requests": len(results),
              "completions_per_second": round(len(ok) / elapsed, 1), "p50_ms": round(pct([d * 1000 for d in ok], 50), 1),
              "p95_ms": round(pct([d * 1000 for d in ok], 95), 1),
              "errors": {str(s): n for s, n in __import__("collections").Counter(s for s, _ in results).items() if s != 200},
              "completed_in_db": completed, "completion_events": events, "audit_chain_ok": chain_ok,
              "target_per_second": 200, "target_p95_ms": 100}
    write("throughput", result, c)
    c.engine.dispose()
    return result


if __name__ == "__main__":
    main()
