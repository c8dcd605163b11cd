"""The admission table's rules that intake can apply before anything starts: those whose every cell tests
a fact intake knows (`credit.eligibility.INTAKE_FACTS`: the age, the age at maturity, amount, term, loan
kind). Evaluated over exactly those facts, they answer as they will in the process, so a designer's
age rule refuses at intake without a line of code; rules that need the providers wait for the process."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from credit import eligibility
from engine.dmn import Table, evaluate

from .bootstrap import Container

DECISION = "admission"
FACT = re.compile(r"^\s*facts\.([A-Za-z_][A-Za-z0-9_]*)\s*$")
AGE_FACTS = {"age", "age_at_maturity"}


def _intake_rules(table: Table) -> set[str]:
    """Ids of the rules reading only intake facts, at least one of them an age."""
    facts = [m.group(1) if (m := FACT.match(i.expression.source)) else None for i in table.table.inputs]
    found = set()
    for rule in table.rules:
        read = {facts[i] for i, _cell in rule.active}
        if read and None not in read and read <= set(eligibility.INTAKE_FACTS) and read & AGE_FACTS:
            found.add(rule.id)
    return found


def age_rules(c: Container, session: Session) -> eligibility.AgeRules | None:
    """The deployed admission table's age rules, or None when no admission table is deployed."""
    deployment = c.definitions.latest(session)
    table = c.definitions.compiled(session, deployment.id).tables.get(DECISION) if deployment else None
    if table is None or table.table is None:
        return None
    ids = _intake_rules(table)
    by_id = {r.id: r for r in table.rules}
    output = table.outputs[0] if table.outputs else None

    def rules(facts: dict[str, Any]) -> list[tuple[str, str]]:
        ev = evaluate(table, {"facts": facts}, strict=False)
        values = ev.outputs.get(output) if output else None
        values = values if isinstance(values, list) else [values]
        out = []
        for n, rule_id in enumerate(ev.matched_rules):
            if rule_id in ids:
                code = values[n] if n < len(values) and isinstance(values[n], str) else rule_id
                out.append((code, by_id[rule_id].description))
        return out

    return rules
