"""Alembic environment: both the engine's and the domain's tables, on the connection
handed over by `creditfactory init` (or a URL from CREDITFACTORY_DATABASE_URL)."""
from alembic import context
from sqlalchemy import create_engine

from credit import contract_templates, documents, postloan  # noqa: F401  (their tables)
from credit.models import CreditBase
from engine.models import EngineBase

target_metadata = [EngineBase.metadata, CreditBase.metadata]
config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
