"""Reads the DMN TCK's test-case files into plain Python values, and compares results as the TCK does."""
from __future__ import annotations

import datetime as dt
import pathlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree

from engine.feel import temporal
from engine.feel.values import YearsMonths

XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
TCK = pathlib.Path(__file__).resolve().parents[3] / "shared" / "dmn-tck"


@dataclass
class Case:
    model: pathlib.Path
    id: str
    inputs: dict[str, Any]
    results: list[tuple[str, Any]]  # decision name, expected value

    @property
    def label(self) -> str:
        return f"{self.model.parent.name}#{self.id}"


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el, name=None):
    return [c for c in el if isinstance(c.tag, str) and (name is None or _local(c.tag) == name)]


def value_of(el) -> Any:
    """An inputNode, component, item or expected element's value."""
    if el.get(f"{XSI}nil") == "true":
        return None
    values, comps, lists = _kids(el, "value"), _kids(el, "component"), _kids(el, "list")
    if values:
        return _scalar(values[0])
    if comps:
        return {c.get("name"): value_of(c) for c in comps}
    if lists:
        return [value_of(i) for i in _kids(lists[0], "item")]
    return None


def _scalar(el) -> Any:
    if el.get(f"{XSI}nil") == "true":
        return None
    kind = (el.get(f"{XSI}type") or "").split(":")[-1]
    text = el.text or ""
    if _kids(el, "component"):
        return {c.get("name"): value_of(c) for c in _kids(el, "component")}
    if _kids(el, "list"):
        return [value_of(i) for i in _kids(_kids(el, "list")[0], "item")]
    if kind in ("decimal", "integer", "double", "int", "long", "float"):
        return Decimal(text.strip())
    if kind == "boolean":
        return text.strip() == "true"
    if kind == "date":
        return temporal.parse_date(text.strip())
    if kind == "dateTime":
        return temporal.parse_date_time(text.strip())
    if kind == "time":
        return temporal.parse_time(text.strip())
    if kind in ("duration", "dayTimeDuration", "yearMonthDuration"):
        return temporal.parse_duration(text.strip())
    return text


def cases(folder: pathlib.Path) -> list[Case]:
    out = []
    for test_file in sorted(folder.glob("*/*-test-*.xml")):
        root = etree.parse(str(test_file)).getroot()
        model = test_file.parent / (root.findtext("{*}modelName") or "").strip()
        for tc in _kids(root, "testCase"):
            inputs = {n.get("name"): value_of(n) for n in _kids(tc, "inputNode")}
            results = [(r.get("name"), value_of(_kids(r, "expected")[0])) for r in _kids(tc, "resultNode")]
            out.append(Case(model, tc.get("id"), inputs, results))
    return out


def same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, Decimal):
        if not isinstance(actual, Decimal):
            return False
        if expected == actual:
            return True
        # The TCK's figures come from doubles: agree to 12 significant digits.
        scale = max(abs(expected), Decimal(1))
        return abs(expected - actual) <= scale * Decimal("1e-12")
    if isinstance(expected, dict):
        return isinstance(actual, dict) and set(expected) == set(actual) and all(same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(same(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, bool) or expected is None:
        return actual is expected
    if isinstance(expected, (dt.date, dt.time, dt.timedelta, YearsMonths, str)):
        return type(actual) is type(expected) and actual == expected
    return expected == actual
