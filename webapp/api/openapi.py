"""OpenAPI 3.1 document, with request bodies derived from the marshmallow schemas."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from forms.fields import IdNumberField, MoneyField

from . import bp
from .schemas import StartSchema, SubmissionSchema, TaskCompletionSchema


def field_schema(f: fields.Field) -> dict:
    if isinstance(f, MoneyField):
        s = {"type": "string", "format": "decimal", "pattern": r"^\d+(\.\d{1,2})?$"}
    elif isinstance(f, IdNumberField):
        s = {"type": "string", "pattern": r"^\d{17}[\dX]$", "description": "GB 11643 resident ID with check digit"}
    elif isinstance(f, fields.Nested):
        s = schema_json(f.nested if isinstance(f.nested, Schema) else f.nested())
    elif isinstance(f, fields.Integer):
        s = {"type": "integer"}
    elif isinstance(f, fields.Date):
        s = {"type": "string", "format": "date"}
    elif isinstance(f, fields.Dict):
        s = {"type": "object"}
    elif isinstance(f, fields.Boolean):
        s = {"type": "boolean"}
    else:
        s = {"type": "string"}
    for v in f.validators:
        if isinstance(v, validate.Length):
            s.update({k: val for k, val in (("minLength", v.min), ("maxLength", v.max)) if val is not None})
        elif isinstance(v, validate.Range):
            s.update({k: val for k, val in (("minimum", v.min), ("maximum", v.max)) if val is not None})
        elif isinstance(v, validate.OneOf):
            s["enum"] = list(v.choices)
        elif isinstance(v, validate.Regexp):
            s["pattern"] = v.regex.pattern
    return s


def schema_json(schema: Schema) -> dict:
    return {"type": "object", "additionalProperties": False,
            "properties": {name: field_schema(f) for name, f in schema.fields.items()},
            "required": [name for name, f in schema.fields.items() if f.required]}


def _body(schema: Schema) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema_json(schema)}}}


ERR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _op(summary: str, ok: str = "200", body: dict | None = None, errors=("401", "403", "404"), **extra) -> dict:
    op = {"summary": summary, "responses": {ok: {"description": "OK"}, **{e: ERR for e in errors}}, **extra}
    if body:
        op["requestBody"] = body
    return op


def document() -> dict:
    task_id = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
    app_id = {"name": "application_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Credit Factory API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error", "message"], "properties": {
                "error": {"type": "string"}, "message": {"type": "string"}, "fields": {"type": "object"}}}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/auth/token": {"post": _op("Exchange username and password for a bearer token", errors=("400", "401"), security=[],
                                        body={"required": True, "content": {"application/json": {"schema": {
                                            "type": "object", "required": ["username", "password"],
                                            "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}})},
            "/products": {"get": _op("List loan products")},
            "/applications": {"post": _op("Submit an application (Idempotency-Key header makes retries safe)", "201",
                                          _body(SubmissionSchema()), errors=("400", "401", "403", "409", "422"),
                                          parameters=[{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 128}}])},
            "/applications/{application_id}": {"get": _op("Application with tasks and decisions", parameters=[app_id])},
            "/applications/{application_id}/history": {"get": _op("Audit trail of the application", parameters=[app_id])},
            "/applications/{application_id}/contract.pdf": {"get": _op("The stored contract PDF", parameters=[app_id])},
            "/tasks": {"get": _op("Tasks the caller may work on")},
            "/tasks/{task_id}": {"get": _op("Task with its form schema and data", parameters=[task_id])},
            "/tasks/{task_id}/claim": {"post": _op("Claim a task", parameters=[task_id], errors=("401", "403", "404", "409"))},
            "/tasks/{task_id}/release": {"post": _op("Release a claimed task", parameters=[task_id])},
            "/tasks/{task_id}/complete": {"post": _op("Complete a task with form data", parameters=[task_id],
                                                      body=_body(TaskCompletionSchema()), errors=("401", "403", "404", "409", "422"))},
            "/loans/{loan_id}": {"get": _op("Loan with its repayment schedule", parameters=[
                {"name": "loan_id", "in": "path", "required": True, "schema": {"type": "integer"}}])},
            "/process-definitions": {
                "get": _op("Latest version of every process and decision"),
                "post": _op("Deploy a BPMN or DMN file", "201", errors=("400", "401", "403", "413", "422"), requestBody={
                    "required": True, "content": {"multipart/form-data": {"schema": {
                        "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}}),
            },
            "/process-definitions/{process_id}/start": {"post": _op(
                "Test-run a process", "201", _body(StartSchema()), errors=("401", "403", "404", "422"),
                parameters=[{"name": "process_id", "in": "path", "required": True, "schema": {"type": "string"}}])},
        },
    }


@bp.get("/openapi.json")
def openapi():
    return document()
