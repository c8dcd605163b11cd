"""The one place where the domain, the forms and the workflow engine are wired together.

Imports no Flask, so the CLI, the scheduler and the benchmarks share it with the web app.
"""
from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy.engine import Engine

import forms
from credit import services as credit_services
from credit.allocation import EXCLUSIVE_DUTIES
from credit.providers import FakeProviders, Providers
from credit.steps import make_steps
from engine.clock import Clock
from engine.db import UnitOfWork, make_engine, make_session_factory
from engine.definitions import DefinitionStore
from engine.errors import InvalidData
from engine.lint import LintConfig
from engine.runtime import SodPolicy, WorkflowRuntime
from engine.services import ServiceRegistry

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROCESSES_DIR = ROOT / "processes"
POSTS = {"customer_manager", "investigator", "reviewer", "approver", "committee", "disburser",
         "postloan", "branch_head", "designer", "auditor", "admin"}


def default_database_url() -> str:
    url = os.environ.get("CREDITFACTORY_DATABASE_URL")
    if url:
        return url
    instance = ROOT / "instance"
    instance.mkdir(exist_ok=True)
    return f"sqlite:///{instance / 'creditfactory.sqlite3'}"


def _validate_form(form_key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return forms.validate(form_key, data)
    except forms.FormErrors as exc:
        raise InvalidData(exc.errors) from None


@dataclass
class Container:
    engine: Engine
    session_factory: Any
    runtime: WorkflowRuntime
    definitions: DefinitionStore
    services: ServiceRegistry
    clock: Clock
    database_url: str

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)


def bootstrap(database_url: str | None = None, clock: Clock | None = None, providers: Providers | None = None,
              **engine_kwargs) -> Container:
    url = database_url or default_database_url()
    engine = make_engine(url, **engine_kwargs)
    session_factory = make_session_factory(engine)
    registry = ServiceRegistry()
    from .pdf import html_to_pdf

    for name, fn in make_steps(providers or FakeProviders(), html_to_pdf).items():
        registry.register(name, fn)
    definitions = DefinitionStore(lambda: LintConfig(
        forms=forms.form_keys(), posts=POSTS, services=registry.names(), strict=True))
    clock = clock or Clock()
    runtime = WorkflowRuntime(
        definitions, registry, clock=clock, sod=SodPolicy(EXCLUSIVE_DUTIES),
        validate_form=_validate_form, on_decisions=credit_services.store_decisions,
    )
    return Container(engine, session_factory, runtime, definitions, registry, clock, url)


def process_files(directory: pathlib.Path = PROCESSES_DIR) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())
            if p.suffix in (".bpmn", ".dmn") or p.name.endswith(".tests.json")}


def create_schema(container: Container) -> None:
    """Tables straight from the models (tests); `creditfactory init` runs the migrations instead."""
    from credit import contract_templates, documents  # noqa: F401  (registers their tables)
    from credit.models import CreditBase
    from . import ratelimit  # noqa: F401  (rate_counter)
    from engine.models import EngineBase

    EngineBase.metadata.create_all(container.engine)
    CreditBase.metadata.create_all(container.engine)


def drop_schema(container: Container) -> None:
    from credit import contract_templates, documents  # noqa: F401
    from credit.models import CreditBase
    from . import ratelimit  # noqa: F401
    from engine.models import EngineBase

    CreditBase.metadata.drop_all(container.engine)
    EngineBase.metadata.drop_all(container.engine)


def deploy_processes(container: Container, actor: str = "system", files: dict[str, bytes] | None = None):
    with container.uow() as uow:
        result = container.definitions.deploy(uow.session, files or process_files(), actor, container.clock.now())
        uow.commit()
        return result


TEMPLATES_DIR = ROOT / "contract_templates"


def deploy_templates(container: Container, actor: str = "system") -> list[str]:
    """Deploy contract_templates/ (partials first); unchanged templates keep their version."""
    from credit import contract_templates, contracts

    deployed = []
    files = sorted(TEMPLATES_DIR.glob("*.html"), key=lambda p: (p.stem != "_base", p.stem == "contract", p.stem))
    with container.uow() as uow:
        for path in files:
            _, created = contract_templates.deploy(uow.session, path.stem, path.read_text(), actor,
                                                   container.clock.now(), contracts.sample_context())
            if created:
                deployed.append(path.stem)
        uow.commit()
    return deployed


def load_demo(container: Container, password_hash: str | None = None) -> bool:
    from credit import demo

    with container.uow() as uow:
        added = demo.load(uow.session, container.clock.now(), password_hash)
        demo.load_clients(uow.session, container.clock.now())
        uow.commit()
        return added
