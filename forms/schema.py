"""Builds marshmallow schemas and JSON Schemas from field lists, and validates."""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from marshmallow import RAISE, Schema, ValidationError

from .fields import REQUIRED, Field, N_


class FormErrors(ValueError):
    """Field -> messages; raised for bad input, nothing is kept."""

    def __init__(self, errors: dict):
        super().__init__("invalid form data")
        self.errors = errors


def schema_class(field_list: list[Field]) -> type[Schema]:
    attrs = {f.name: f.marshmallow() for f in field_list}
    attrs["Meta"] = type("Meta", (), {"unknown": RAISE})
    attrs["error_messages"] = {"unknown": N_("Unknown field."), "type": N_("Form data must be an object.")}
    return type("FormSchema", (Schema,), attrs)


def object_schema(field_list: list[Field]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {f.name: f.json_schema() for f in field_list},
        "required": [f.name for f in field_list if f.required and not f.visible_when and not f.required_when],
        "additionalProperties": False,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def validate_fields(field_list: list[Field], schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise FormErrors({"_schema": [N_("Form data must be an object.")]})
    try:
        cleaned = schema.load(dict(data))
    except ValidationError as exc:
        raise FormErrors(exc.messages) from None
    errors: dict[str, list[str]] = {}
    for f in field_list:
        if f.visible_when:
            other, value = f.visible_when
            if cleaned.get(other) == value:
                if cleaned.get(f.name) in (None, ""):
                    errors[f.name] = [REQUIRED]
            else:
                cleaned.pop(f.name, None)  # hidden fields are not kept
        if f.required_when:
            other, values = f.required_when
            if cleaned.get(other) in values and not (cleaned.get(f.name) or "").strip():
                errors[f.name] = [REQUIRED]
    if errors:
        raise FormErrors(errors)
    return {k: _jsonable(v) for k, v in cleaned.items() if v is not None}
