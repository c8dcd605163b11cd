"""`creditfactory users set-password|deactivate USER` on a migrated database, and what `init` prints
for the channel clients."""
import io
import os
import pathlib
import subprocess
import sys

from sqlalchemy import inspect, select

from credit.models import User
from tests.integration.test_cli import empty_db  # noqa: F401  (fixture)
from webapp import cli, create_app
from webapp.bootstrap import bootstrap

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _token(client, username, password):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_migrations_add_epoch_clients_and_counters_and_init_prints_the_demo_clients(empty_db, capsys):  # noqa: F811
    assert cli.main(["init"]) == 0
    out = capsys.readouterr().out
    for client_id, secret in (("mobile-banking-demo", "demo-mobile-banking-secret"), ("wechat-demo", "demo-wechat-secret"),
                              ("partner-demo", "demo-partner-secret"), ("core-banking-demo", "demo-core-banking-secret")):
        assert client_id in out and secret in out
    assert "repayments:write" in out
    c = bootstrap(empty_db)
    schema = inspect(c.engine)
    assert {"api_client", "rate_counter"} <= set(schema.get_table_names())
    assert "token_epoch" in {col["name"] for col in schema.get_columns("app_user")}
    assert "client_id" in {col["name"] for col in schema.get_columns("application")}
    assert cli.main(["init"]) == 0  # clients are not added twice
    c.engine.dispose()


def test_set_password_reads_stdin_and_ends_tokens_and_deactivate_ends_sign_in(empty_db, capsys, monkeypatch):  # noqa: F811
    assert cli.main(["init"]) == 0
    c = bootstrap(empty_db)
    app = create_app({"TESTING": True, "CONTAINER": c, "SECRET_KEY": "t"})
    client = app.test_client()
    old = _token(client, "manager1", "demo123").get_json()["token"]
    capsys.readouterr()

    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery\n"))
    assert cli.main(["users", "set-password", "manager1"]) == 0
    assert "password changed" in capsys.readouterr().out
    assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert _token(client, "manager1", "demo123").status_code == 401
    assert _token(client, "manager1", "correct horse battery").status_code == 200

    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert cli.main(["users", "set-password", "manager1"]) == 1
    assert "8 characters" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("whatever-password\n"))
    assert cli.main(["users", "set-password", "nobody"]) == 1
    assert "no user nobody" in capsys.readouterr().err

    tok = _token(client, "approver1", "demo123").get_json()["token"]
    assert cli.main(["users", "deactivate", "approver1"]) == 0
    assert "deactivated" in capsys.readouterr().out
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {tok}"}).status_code == 401
    assert _token(client, "approver1", "demo123").status_code == 401
    assert cli.main(["users", "deactivate", "nobody"]) == 1
    with c.uow() as uow:
        user = uow.session.scalars(select(User).where(User.username == "approver1")).one()
        assert not user.active and user.token_epoch == 1
    c.engine.dispose()


def test_set_password_from_a_pipe_without_a_terminal(empty_db):  # noqa: F811
    assert cli.main(["init"]) == 0
    exe = pathlib.Path(sys.executable).with_name("creditfactory")
    env = {**os.environ, "CREDITFACTORY_DATABASE_URL": empty_db}
    r = subprocess.run([str(exe), "users", "set-password", "admin"], input="piped-in-password\n", text=True,
                       capture_output=True, env=env, cwd=ROOT, timeout=120, stdin=None)
    assert r.returncode == 0, r.stderr
    c = bootstrap(empty_db)
    app = create_app({"TESTING": True, "CONTAINER": c, "SECRET_KEY": "t"})
    assert _token(app.test_client(), "admin", "piped-in-password").status_code == 200
    c.engine.dispose()
