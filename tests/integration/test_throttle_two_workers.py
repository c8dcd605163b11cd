"""Failed sign-ins are counted in the database: against gunicorn with two workers, 30 concurrent wrong
passwords for one user give exactly 10 answers of 401 and 20 of 429, whichever worker takes each;
another user signs in meanwhile from the same address."""
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _token(port, username, password):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/api/v1/auth/token", json.dumps({"username": username, "password": password}),
                 {"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status, r.getheader("Retry-After")


def test_ten_failures_at_most_across_workers_and_concurrent_guesses(container):
    port = _free_port()
    env = {**os.environ, "CREDITFACTORY_SECRET_KEY": "throttle-test", "CREDITFACTORY_DATABASE_URL": container.database_url}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4",
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "webapp:create_app()"], env=env)
    try:
        for _ in range(150):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: _token(port, "approver1", "wrong-password"), range(30)))
        statuses = sorted(s for s, _ in answers)
        assert statuses == [401] * 10 + [429] * 20, statuses
        assert all(int(after) > 0 for s, after in answers if s == 429)
        assert _token(port, "approver1", "demo123")[0] == 429
        assert _token(port, "manager1", "demo123")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
