"""The OpenAPI document (issue 11): generated from the marshmallow schemas, it covers every endpoint
of /api/v1 with the statuses each returns."""
from webapp.api import openapi, schemas


def api_routes(app) -> set[tuple[str, str]]:
    return {(method, rule.endpoint) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_endpoint_of_the_api_is_in_the_document_and_nothing_else(app):
    missing = api_routes(app) - openapi.operations()
    assert not missing, f"document these in webapp/api/openapi.py OPERATIONS: {sorted(missing)}"
    assert openapi.operations() - api_routes(app) == set()


def test_documented_paths_are_the_routes(app):
    by_endpoint = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    for op in openapi.OPERATIONS:
        rule = by_endpoint[op.endpoint]
        flask_style = "/api/v1" + op.path
        for name in openapi._names(op.path):
            flask_style = flask_style.replace("{%s}" % name, next(
                part for part in rule.split("/") if part.startswith("<") and part.endswith(f":{name}>") or part == f"<{name}>"))
        assert flask_style == rule, op


def test_request_bodies_and_answers_come_from_the_marshmallow_schemas(api):
    doc = api.client.get("/api/v1/openapi.json").get_json()
    components = doc["components"]["schemas"]
    submission = components["Submission"]
    assert set(submission["required"]) == {n for n, f in schemas.SubmissionSchema().fields.items() if f.required}
    assert submission["additionalProperties"] is False
    assert submission["properties"]["amount"]["pattern"].startswith("^-?[0-9]")
    assert components["Applicant"]["properties"]["id_number"]["pattern"] == r"^[0-9]{17}[0-9X]$"
    ok = doc["paths"]["/applications/{application_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ok["schema"] == {"$ref": "#/components/schemas/Application"}
    assert components["Application"]["properties"]["status"]["enum"] == schemas.STATUSES
    for path in ("/applications/{application_id}/comments", "/tasks/reassign", "/contract-templates",
                 "/applications/{application_id}/attachments", "/process-definitions/{process_id}/start",
                 "/users/{username}/password"):
        assert "post" in doc["paths"][path], path
    token = doc["paths"]["/auth/token"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in token["oneOf"]} == {"TokenRequest", "ClientTokenRequest"}


def test_every_operation_lists_the_statuses_it_can_answer(api):
    doc = api.client.get("/api/v1/openapi.json").get_json()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            codes = set(op["responses"])
            assert {"422", "503"} <= codes, (method, path)
            if op.get("security") != []:
                assert {"401", "403", "429"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if "requestBody" in op:
                assert {"400", "413", "422"} <= codes, (method, path)
            if method == "post":
                assert "409" in codes, (method, path)
            assert "500" not in codes
            assert op["responses"]["503"]["headers"]["Retry-After"]
    assert set(doc["paths"]["/applications"]["post"]["responses"]) >= {"200", "201"}
