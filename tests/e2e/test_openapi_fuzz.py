"""Schemathesis against the generated OpenAPI document (issue 11), in-process through the WSGI app:
as an admin, as an officer and as a channel client, positive and negative cases with a fixed
seed and a bounded number of examples per operation. No server error, no undocumented status,
no answer that breaks its schema or content type."""
from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from tests.conftest import FAST_HASH, START, applicant, database_url
from tests.helpers import Api

EXAMPLES = int(os.environ.get("CREDITFACTORY_FUZZ_EXAMPLES", "50"))  # per operation, mode and caller
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
STATS: Counter = Counter()
CLIENT = ("mobile-banking-demo", "demo-mobile-banking-secret")  # credit/demo.py


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One demo bank for the whole run, with an application under way so that ids lead somewhere."""
    from sqlalchemy import update

    from credit.models import ApiClient
    from engine.clock import Clock
    from webapp import create_app
    from webapp.bootstrap import bootstrap, create_schema, deploy_processes, deploy_templates, drop_schema, load_demo

    c = bootstrap(database_url(tmp_path_factory.mktemp("fuzz")), clock=Clock(START))
    drop_schema(c)
    create_schema(c)
    deploy_processes(c)
    deploy_templates(c)
    load_demo(c, password_hash=FAST_HASH)
    with c.uow() as uow:  # the fuzzer is one client sending thousands of requests: lift its rate limit
        uow.session.execute(update(ApiClient).values(rate_limit="1000000 per minute"))
        uow.commit()
    app = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False, "CONTAINER": c, "SECRET_KEY": "test-secret"})
    api = Api(app)
    body = {"product_code": "NONGHU", "amount": "100000", "term_months": 12, "purpose": "养殖",
            "channel": "manager_app", "applicant": applicant(1)}
    app_id = api.post("/applications", "manager1", json=body).get_json()["id"]
    task = api.my_task("investigator1", app_id, "investigate")
    tokens = {"admin": api.token("admin"), "officer": api.token("investigator1")}
    r = api.post("/auth/token", json={"client_id": CLIENT[0], "client_secret": CLIENT[1]})
    if r.status_code == 200:
        tokens["client"] = r.get_json()["token"]
    yield {"app": app, "tokens": tokens, "known": {"application_id": app_id, "task_id": task["id"]}}
    c.engine.dispose()


def _run(schema, tokens: dict, known: dict, role: str) -> tuple[int, list[str]]:
    """Every operation, positive then negative, as `role`; returns (cases, failures)."""
    cases, failures = 0, []
    headers = {"Authorization": f"Bearer {tokens[role]}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    # Signing out ends the caller's tokens: that one goes last.
    for operation in sorted(operations, key=lambda op: op.path == "/auth/logout"):
        fixed = {k: v for k, v in known.items() if k in operation.path_parameters}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for path_parameters in ([None, fixed] if fixed and mode.is_positive else [None]):
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

                @seed(11)
                @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
                @given(case=strategy)
                def check(case):
                    nonlocal cases
                    cases += 1
                    try:
                        response = case.call(headers={**(case.headers or {}), **headers})
                    except Exception as exc:  # the app raised: what a server would answer with a 500
                        failures.append(f"{role} {operation.label} [{mode.value}] -> 500: {type(exc).__name__}: {exc}"[:300])
                        return
                    STATS[role, response.status_code] += 1
                    try:
                        case.validate_response(response, checks=CHECKS)
                    except (AssertionError, BaseExceptionGroup) as exc:  # collect, do not shrink: list them all
                        found = getattr(exc, "exceptions", None) or [exc]
                        failures.extend(f"{role} {operation.label} [{mode.value}] -> {response.status_code}: "
                                        f"{type(f).__name__}: {str(f).splitlines()[0][:200]}" for f in found)

                check()
    return cases, failures


@pytest.mark.parametrize("role", ["admin", "officer", "client"])
def test_schemathesis_finds_no_failure(world, role):
    if role not in world["tokens"]:
        pytest.skip("no demo channel client to sign in as")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world["app"])
    cases, failures = _run(schema, world["tokens"], world["known"], role)
    print(f"\nschemathesis as {role}: {cases} cases, {len(failures)} failures")
    print("statuses:", dict(sorted((code, n) for (who, code), n in STATS.items() if who == role)))
    distinct = Counter(f.split(" -> ")[0] + " -> " + f.split(" -> ")[1][:120] for f in failures)
    assert not failures, f"{len(failures)} failures in {cases} cases:\n" + "\n".join(
        f"{n} x {f}" for f, n in distinct.most_common(40))


def test_every_method_a_path_does_not_document_is_a_405_with_allow(world):
    """What schemathesis' unsupported-method check asks, for every path and method of the document."""
    from webapp.api.openapi import document

    client = world["app"].test_client()
    headers = {"Authorization": f"Bearer {world['tokens']['officer']}"}
    wrong = []
    for path, item in document()["paths"].items():
        url = "/api/v1" + path.replace("{application_id}", "1").replace("{task_id}", "0" * 8).replace(
            "{attachment_id}", "1").replace("{loan_id}", "1").replace("{process_id}", "p").replace("{username}", "u")
        for method in {"get", "put", "post", "delete", "patch"} - set(item):
            r = client.open(url, method=method.upper(), headers=headers)
            allowed = {m.strip().lower() for m in r.headers.get("Allow", "").split(",")}
            if r.status_code != 405 or not set(item) <= allowed or r.mimetype != "application/json":
                wrong.append((method.upper(), path, r.status_code, r.headers.get("Allow")))
    assert wrong == []
