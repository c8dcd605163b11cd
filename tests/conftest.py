"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL when
CREDITFACTORY_DATABASE_URL says so), the processes deployed and the demo bank loaded."""
from __future__ import annotations

import os
from datetime import date, datetime, timezone

import pytest

from credit import idnumber
from credit import passwords
from engine.clock import Clock

passwords.use_cost(passwords.CHEAP)  # Argon2id with tiny parameters: logins in tests cost microseconds
FAST_HASH = passwords.hash_password("demo123")
START = datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc)


def database_url(tmp_path) -> str:
    return os.environ.get("CREDITFACTORY_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite3'}"


def is_postgres() -> bool:
    return (os.environ.get("CREDITFACTORY_DATABASE_URL") or "").startswith("postgresql")


@pytest.fixture(scope="session", autouse=True)
def contract_font():
    """The prepared contract font, as `creditfactory init` makes it (cached across runs)."""
    from webapp import fonts

    return fonts.prepare()


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def empty_container(tmp_path, clock):
    from webapp.bootstrap import bootstrap, create_schema, drop_schema

    c = bootstrap(database_url(tmp_path), clock=clock)
    drop_schema(c)
    create_schema(c)
    yield c
    c.engine.dispose()


@pytest.fixture
def container(empty_container):
    from webapp.bootstrap import deploy_processes, deploy_templates, load_demo

    deploy_processes(empty_container)
    deploy_templates(empty_container)
    load_demo(empty_container, password_hash=FAST_HASH)
    return empty_container


@pytest.fixture
def app(container):
    from webapp import create_app

    return create_app({"TESTING": True, "CONTAINER": container, "SECRET_KEY": "test-secret"})


@pytest.fixture
def api(app):
    from tests.helpers import Api

    return Api(app)


def applicant(seq: int = 1, born: date = date(1985, 5, 17), village: str = "V01", income: str = "120000",
              phone: str | None = None) -> dict:
    return {"name": f"申请人{seq}", "id_number": idnumber.make("320324", born, seq), "phone": phone or f"1380013{seq:04d}",
            "annual_income": income, "village_code": village}
