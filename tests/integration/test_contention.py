"""Concurrent writers (issue 11): a lost race is a 409, a busy SQLite a 503 with Retry-After; never a 500."""
import sqlite3
import threading

import pytest
from sqlalchemy import func, select

from credit.models import Application, Customer
from tests.conftest import FAST_HASH, applicant, is_postgres
from tests.helpers import Api


def submission(seq):
    return {"product_code": "NONGHU", "amount": "100000", "term_months": 12, "purpose": "养殖",
            "channel": "manager_app", "applicant": applicant(seq)}


def test_the_same_new_customer_submitted_at_once_gives_one_application_and_409s(app, container):
    """Both requests find no customer with this ID number and both insert one: the loser's unique
    violation is a 409 (retry: the customer now exists), not a 500."""
    users = ["manager1", "admin"] * 3
    clients = [Api(app) for _ in users]
    for c, u in zip(clients, users):
        c.token(u)
    barrier = threading.Barrier(len(users))
    results = []

    def go(i):
        barrier.wait()
        r = clients[i].post("/applications", users[i], json=submission(60))
        results.append((r.status_code, r.headers.get("Retry-After")))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = [s for s, _ in results]
    assert len(statuses) == len(users) and 500 not in statuses, results
    assert set(statuses) <= {201, 409, 503} and 201 in statuses, results
    assert all(after for s, after in results if s == 503), results
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Customer).where(
            Customer.id_number == applicant(60)["id_number"])) == 1
        assert uow.session.scalar(select(func.count()).select_from(Application)) == statuses.count(201)


@pytest.mark.skipif(is_postgres(), reason="SQLite's single writer")
def test_a_locked_sqlite_database_is_a_503_with_retry_after_and_the_retry_succeeds(tmp_path, clock):
    from webapp import create_app
    from webapp.bootstrap import bootstrap, create_schema, deploy_processes, deploy_templates, load_demo

    url = f"sqlite:///{tmp_path / 'busy.sqlite3'}"
    c = bootstrap(url, clock=clock, connect_args={"check_same_thread": False, "timeout": 0.2})
    create_schema(c)
    deploy_processes(c)
    deploy_templates(c)
    load_demo(c, password_hash=FAST_HASH)
    api = Api(create_app({"TESTING": True, "CONTAINER": c, "SECRET_KEY": "test-secret"}))
    api.token("manager1")
    api.token("admin")
    other = sqlite3.connect(tmp_path / "busy.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock beyond the busy timeout
    try:
        r = api.post("/applications", "manager1", json=submission(61))
        assert r.status_code == 503 and r.headers["Retry-After"] == "1", r.get_data(as_text=True)
        assert r.get_json()["error"] == "busy"
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert api.post("/applications", "manager1", json=submission(61)).status_code == 201
    c.engine.dispose()
