"""Reading what a request brings, so that bad input is a 400 or a 422 naming the place it is
wrong, never a 500 from deep inside (issue 11).

- A JSON body must be an object (400 otherwise), nested at most MAX_DEPTH deep (400); no string
  or key in it may hold a lone surrogate or a NUL (422, located), no number may be NaN, an
  infinity or beyond 64 bits (422, located).
- Integers in paths are ASCII digits within 64 bits, or the route does not match (404);
  integers in query strings likewise, or a located 422.
- The text of paths, query strings, form posts and file names holds no NUL and no lone
  surrogate (422), for the pages as for the API: PostgreSQL cannot store either, SQLite's
  driver cannot encode a surrogate.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, abort, request
from marshmallow import Schema, ValidationError
from werkzeug.routing import BaseConverter, IntegerConverter

from forms.fields import N_

from .. import i18n
from .errors import ApiError

MAX_DEPTH = 32
INT64_MAX = 2 ** 63 - 1
TASK_ID = r"[0-9a-fA-F-]{1,64}"
_DIGITS = re.compile(r"[0-9]{1,19}", re.ASCII)
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,128}")  # visible ASCII, as a header can carry it anywhere
_SURROGATE = re.compile("[\ud800-\udfff]")
NUL = N_("Contains a NUL character.")
SURROGATE = N_("Contains a lone surrogate, which is not Unicode text.")
NOT_FINITE = N_("Not a finite number.")
OUT_OF_RANGE = N_("Number out of range.")


class Int64Converter(IntegerConverter):
    """`<int:...>` in a route: ASCII digits only (no full-width ones) and at most 2**63 - 1,
    so that an id no database column can hold is a 404, not an overflow in the driver."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map, fixed_digits=0, min=None, max=INT64_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class TaskIdConverter(BaseConverter):
    """`<task:...>`: a task id is a UUID, so "/tasks/reassign" is never read as a task (a GET there
    is a 405 with Allow: POST, not a 404 for a task named "reassign")."""

    regex = TASK_ID


class _Unrepresentable:
    """What the decoder makes of an integer literal too long for any column (checked below)."""

    __slots__ = ()


_TOO_LONG = _Unrepresentable()


def _int(text: str) -> int | _Unrepresentable:
    return int(text) if len(text) <= 20 else _TOO_LONG


def text_problem(value: str) -> str | None:
    if "\x00" in value:
        return NUL
    if _SURROGATE.search(value):
        return SURROGATE
    return None


def printable(value: str) -> str:
    """`value` safe to echo in a JSON answer (a key with a lone surrogate cannot be encoded)."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


class _TooDeep(Exception):
    pass


def problems(value: Any, depth: int = 0) -> Any:
    """A marshmallow-shaped error tree for what is wrong in a decoded JSON value, or None."""
    if depth > MAX_DEPTH:
        raise _TooDeep
    if isinstance(value, str):
        problem = text_problem(value)
        return [problem] if problem else None
    if value is _TOO_LONG:
        return [OUT_OF_RANGE]
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return [OUT_OF_RANGE] if abs(value) > INT64_MAX else None
    if isinstance(value, float):
        return None if math.isfinite(value) else [NOT_FINITE]
    found: dict[Any, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key)
            inner = problems(item, depth + 1)
            if problem or inner:
                found[printable(key)] = [problem] if problem else inner
    elif isinstance(value, list):
        for i, item in enumerate(value):
            inner = problems(item, depth + 1)
            if inner:
                found[i] = inner
    return found or None


def _bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def json_value() -> Any:
    """The decoded JSON body, checked as the module says; 400 when it is not JSON at all."""
    if not request.is_json:
        raise _bad_request("send a JSON object with Content-Type: application/json")
    raw = request.get_data(cache=True)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad_request("request body is not UTF-8") from None
    try:
        value = json.loads(text, parse_int=_int)
    except RecursionError:
        raise _bad_request(f"JSON nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise _bad_request(f"request body is not JSON: {exc}") from None
    try:
        found = problems(value)
    except _TooDeep:
        raise _bad_request(f"JSON nested more than {MAX_DEPTH} levels deep") from None
    if found:
        if not isinstance(value, dict):
            raise _bad_request("request body must be a JSON object")
        raise ApiError(422, "validation_failed", "some fields are invalid", fields=i18n.errors(found))
    return value


def json_object() -> dict[str, Any]:
    body = json_value()
    if not isinstance(body, dict):
        raise _bad_request("request body must be a JSON object")
    return body


def load(schema: Schema) -> dict[str, Any]:
    """The JSON object body loaded through `schema`; a 422 with field messages when it does not fit."""
    body = json_object()
    try:
        return schema.load(body)
    except ValidationError as exc:
        raise ApiError(422, "validation_failed", "some fields are invalid", fields=i18n.errors(exc.messages)) from None


def whole(text: str) -> int | str:
    """A form's whole number: ASCII digits within 64 bits become an int; anything else stays text
    for the schema to refuse ("１２", "1_000" and "²" are not numbers here, though int() takes some)."""
    return int(text) if _DIGITS.fullmatch(text) else text


def query_int(name: str, default: int, minimum: int = 0, maximum: int = INT64_MAX, clamp: bool = False) -> int:
    """An integer from the query string: ASCII digits; out of range is clamped or a located 422."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not _DIGITS.fullmatch(raw) or (int(raw) > INT64_MAX):
        raise ApiError(422, "validation_failed", f"{name} must be a whole number",
                       fields={name: [i18n.message("Not a whole number.")]})
    value = int(raw)
    if clamp:
        return min(max(value, minimum), maximum)
    if not minimum <= value <= maximum:
        raise ApiError(422, "validation_failed", f"{name} must be between {minimum} and {maximum}",
                       fields={name: [i18n.message("Out of the allowed range.")]})
    return value


def _request_text_problems() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    sources = [(request.view_args or {}).items(), request.args.items(multi=True)]
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form.items(multi=True))
        sources.append((name, f.filename or "") for name, f in request.files.items(multi=True))
    for items in sources:
        for key, value in items:
            problem = text_problem(key) or (text_problem(value) if isinstance(value, str) else None)
            if problem:
                found.setdefault(printable(key), []).append(i18n.message(problem))
    return found


def init_app(app: Flask) -> None:
    """Before the blueprints are registered: the 64-bit integer converter and the text check."""
    app.url_map.converters["int"] = Int64Converter
    app.url_map.converters["task"] = TaskIdConverter

    @app.before_request
    def refuse_unstorable_text():
        found = _request_text_problems()
        if not found:
            return None
        if request.path.startswith("/api/"):
            raise ApiError(422, "validation_failed", "some fields are invalid", fields=found)
        abort(422, description=" ".join(dict.fromkeys(m for v in found.values() for m in v)))  # no field codes
