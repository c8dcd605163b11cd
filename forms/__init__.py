"""Task forms: one definition per form key drives the HTML form, server-side validation
and the JSON Schema that the API returns with each task."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

from .definitions import FORMS
from .fields import Field
from .schema import FormErrors, object_schema, schema_class, validate_fields

__all__ = ["FORMS", "Field", "FormErrors", "validate", "json_schema", "form_keys"]


def form_keys() -> set[str]:
    return set(FORMS)


@lru_cache(maxsize=None)
def _schema(form_key: str):
    return schema_class(FORMS[form_key][1])()


def validate(form_key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    if form_key not in FORMS:
        raise FormErrors({"_schema": [f"unknown form {form_key}"]})
    return validate_fields(FORMS[form_key][1], _schema(form_key), data)


def json_schema(form_key: str) -> dict[str, Any]:
    title, field_list = FORMS[form_key]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **object_schema(field_list)}
