"""Time and size bombs in designers' FEEL, sent to gunicorn with two workers on PostgreSQL: each ends
with a located 422 within its budget, and officers' requests are served meanwhile."""
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import is_postgres
from tests.integration.test_feel_in_processes import BOMB

pytestmark = pytest.mark.postgres

STRING_BOMB = BOMB.replace(b"count(for i in 1..100000000000 return i)",
                           b'string length(string join(for i in 1..60 return "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" + string(i)) + '
                           b'string join(for i in 1..200000 return "yyyyyyyyyy"))').replace(b'id="bomb"', b'id="bomb_size"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(port, method, path, body=None, token=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = f"Bearer {token}"
    t0 = time.perf_counter()
    conn.request(method, path, body if isinstance(body, bytes) else (json.dumps(body) if body is not None else None), h)
    r = conn.getresponse()
    data = r.read()
    return r.status, data, time.perf_counter() - t0


def _upload(port, token, name, content):
    boundary = "feelbomb"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/xml\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return _call(port, "POST", "/api/v1/process-definitions", body, token,
                 {"Content-Type": f"multipart/form-data; boundary={boundary}"})


@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (CREDITFACTORY_DATABASE_URL)")
def test_bombs_end_within_budget_while_other_requests_are_served(container):
    port = _free_port()
    env = {**os.environ, "CREDITFACTORY_SECRET_KEY": "bomb-test-secret", "CREDITFACTORY_DATABASE_URL": container.database_url}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4",
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "webapp:create_app()"], env=env)
    try:
        for _ in range(150):
            try:
                if _call(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        tokens = {u: json.loads(_call(port, "POST", "/api/v1/auth/token", {"username": u, "password": "demo123"})[1])["token"]
                  for u in ("designer1", "manager1")}
        for name, content in (("bomb.bpmn", BOMB), ("bomb_size.bpmn", STRING_BOMB)):
            status, raw, _ = _upload(port, tokens["designer1"], name, content)
            assert status == 201, raw
        bombs: list = []
        served: list = []
        stop = threading.Event()

        def bomber(pid):
            bombs.append(_call(port, "POST", f"/api/v1/process-definitions/{pid}/start", {"data": {}}, tokens["designer1"]))

        def officer():
            while not stop.is_set():
                served.append(_call(port, "GET", "/api/v1/products", token=tokens["manager1"]))

        officers = [threading.Thread(target=officer) for _ in range(2)]
        for t in officers:
            t.start()
        time.sleep(0.3)
        attackers = [threading.Thread(target=bomber, args=(pid,)) for pid in ("bomb", "bomb_size") * 3]
        for t in attackers:
            t.start()
        for t in attackers:
            t.join(60)
        stop.set()
        for t in officers:
            t.join(30)
        assert len(bombs) == 6
        for status, raw, seconds in bombs:
            body = json.loads(raw)
            assert status == 422 and body["element"] == "spin", body
            assert "limit" in body["message"] or "budget" in body["message"]
            assert seconds < 5, seconds
        assert served and all(s == 200 for s, _, _ in served)
        assert max(t for _, _, t in served) < 3.0, sorted(t for _, _, t in served)[-5:]
        assert _call(port, "GET", "/healthz")[0] == 200
    finally:
        server.terminate()
        server.wait(10)
