"""Turning an HTML form post into task data, guided by the form definition."""
from __future__ import annotations

import re
from typing import Any

from forms import FORMS
from forms.fields import Field

_INDEX = re.compile(r"^(?P<group>\w+)-(?P<i>[0-9]{1,4})-(?P<name>\w+)$")  # ASCII row numbers, not "１" or 10**5000
_WHOLE = re.compile(r"-?[0-9]{1,19}", re.ASCII)  # int() would also take "1_000" and full-width digits


def _scalar(f: Field, raw: str | None) -> Any:
    if raw is None:
        return None
    raw = raw.strip()
    if raw == "":
        return None
    if f.kind == "integer":
        return int(raw) if _WHOLE.fullmatch(raw) else raw  # validation names what is not a whole number
    return raw


def parse(form_key: str, form, files) -> tuple[dict[str, Any], dict[str, list[tuple[str, bytes]]]]:
    data: dict[str, Any] = {}
    uploads: dict[str, list[tuple[str, bytes]]] = {}
    for f in FORMS[form_key][1]:
        if f.kind == "file":
            chosen = [(fs.filename, fs.read()) for fs in files.getlist(f.name) if fs and fs.filename]
            if chosen:
                uploads[f.name] = chosen
        elif f.kind == "group":
            rows: dict[int, dict[str, Any]] = {}
            for key in form:
                m = _INDEX.match(key)
                if m and m["group"] == f.name:
                    sub = next((s for s in f.fields if s.name == m["name"]), None)
                    if sub is not None:
                        rows.setdefault(int(m["i"]), {})[sub.name] = _scalar(sub, form.get(key))
            items = [{k: v for k, v in row.items() if v is not None} for _, row in sorted(rows.items())]
            items = [row for row in items if row]
            if items:
                data[f.name] = items
        elif f.kind == "mapping":
            prefix = f"{f.name}."
            mapping = {k[len(prefix):]: v.strip() for k, v in form.items() if k.startswith(prefix) and v.strip()}
            if mapping:
                data[f.name] = mapping
        else:
            value = _scalar(f, form.get(f.name))
            if value is not None:
                data[f.name] = value
    return data, uploads


def as_values(form_key: str, data: dict[str, Any]) -> dict[str, str]:
    """The other way round: stored task data as the form's field values, so that a returned task starts
    from what was entered before (groups as name-i-field, mappings as name.key, booleans as true/false).
    Files are not carried: they stay on the application's documents."""
    values: dict[str, str] = {}
    if form_key not in FORMS:
        return values

    def text(f: Field, value: Any) -> str:
        if isinstance(value, bool) or f.kind == "bool":
            return "true" if value is True else "false" if value is False else ""
        return "" if value is None else str(value)

    for f in FORMS[form_key][1]:
        value = data.get(f.name)
        if value is None or f.kind == "file":
            continue
        if f.kind == "group" and isinstance(value, list):
            for i, row in enumerate(value[:f.max_items or 100]):
                for sub in f.fields:
                    if isinstance(row, dict) and row.get(sub.name) is not None:
                        values[f"{f.name}-{i}-{sub.name}"] = text(sub, row[sub.name])
        elif f.kind == "mapping" and isinstance(value, dict):
            values.update({f"{f.name}.{k}": str(v) for k, v in value.items()})
        elif f.kind not in ("group", "mapping"):
            values[f.name] = text(f, value)
    return values
