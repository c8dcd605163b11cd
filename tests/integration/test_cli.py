"""The console script on an empty database: init (twice), deploy, audit verify."""
import pytest
from sqlalchemy import inspect, text

from tests.conftest import database_url
from webapp import cli
from webapp.bootstrap import bootstrap, drop_schema


@pytest.fixture
def empty_db(tmp_path, monkeypatch):
    url = database_url(tmp_path)
    monkeypatch.setenv("CREDITFACTORY_DATABASE_URL", url)
    c = bootstrap(url)
    drop_schema(c)
    with c.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    c.engine.dispose()
    return url


def test_init_is_idempotent_and_audit_verifies(empty_db, capsys, tmp_path):
    assert cli.main(["init"]) == 0
    out = capsys.readouterr().out
    assert "deployment v1 (new)" in out and "approver_hq" in out and "demo123" in out
    assert cli.main(["init"]) == 0
    assert "unchanged" in capsys.readouterr().out
    c = bootstrap(empty_db)
    tables = set(inspect(c.engine).get_table_names())
    assert {"alembic_version", "audit_event", "human_task", "application", "loan"} <= tables
    assert cli.main(["audit", "verify"]) == 0
    assert "audit chain intact" in capsys.readouterr().out

    bad = tmp_path / "bad.bpmn"
    bad.write_text("<nope")
    assert cli.main(["deploy", str(bad)]) == 1
    assert "bad.bpmn" in capsys.readouterr().err
    with c.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'x' WHERE seq = 1"))
    assert cli.main(["audit", "verify"]) == 1
    assert "BROKEN" in capsys.readouterr().err
    c.engine.dispose()
