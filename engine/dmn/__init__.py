"""The DMN engine: models of DMN 1.1 to 1.5 evaluated in FEEL.

Test runners and designers' tools load a model from XML bytes and evaluate a decision by name or
id against a context of plain Python values:

    >>> model = load_model(xml_bytes, "loan.dmn")
    >>> model.evaluate("MonthlyPayment", {"Loan": {"amount": 600000, "rate": 0.0375, "term": 360}, "fee": 100})
    Decimal('2878.693549432767768027926428466092')

Process models call decisions through `evaluate`, which by default insists that single-hit
tables decide (no match, or overlapping UNIQUE rules, is an error rather than null).
"""
from __future__ import annotations

from typing import Any

from .. import feel
from .errors import DecisionError
from .loader import load_model
from .model import Decision, Evaluation, Model
from .overlap import unique_overlaps

Table = Decision  # what a BPMN business rule task calls

__all__ = ["Decision", "DecisionError", "Evaluation", "Model", "Table", "evaluate", "load_model", "parse_dmn",
           "unique_overlaps"]


def parse_dmn(content: bytes, filename: str = "", sha256: str = "") -> list[Decision]:
    """Every decision of a file, after the deploy-time checks (overlapping UNIQUE rules)."""
    model = load_model(content, filename, sha256)
    for decision in model.decisions.values():
        if decision.table is not None and decision.table.hit_policy == "UNIQUE":
            clashes = unique_overlaps(decision.table)
            if clashes:
                pairs = "; ".join(f"{a} and {b}" for a, b in clashes[:5])
                raise DecisionError(f"UNIQUE table has rules that can match the same inputs: {pairs}",
                                    filename, decision.id)
    return list(model.decisions.values())


def evaluate(decision: Decision, data: dict[str, Any], budget: feel.Budget | None = None,
             strict: bool = True) -> Evaluation:
    return decision.model.evaluate_decision(decision.id, data, budget, strict)
