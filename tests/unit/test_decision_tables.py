"""Every rule of every table is tested at its edges, on both sides, by the cases beside it."""
import json
import pathlib

import pytest

from engine.compiler import compile_models
from engine.decision_tests import run_cases

PROCESSES = pathlib.Path(__file__).resolve().parents[2] / "processes"
TABLES = sorted(p.stem for p in PROCESSES.glob("*.dmn"))


@pytest.fixture(scope="module")
def compiled():
    return compile_models({p.name: p.read_bytes() for p in PROCESSES.iterdir() if p.suffix == ".dmn"})


@pytest.mark.parametrize("table", TABLES)
def test_cases_pass_and_every_rule_is_seen_firing_and_silent(compiled, table):
    path = PROCESSES / f"{table}.tests.json"
    assert path.exists(), f"{table}.dmn has no test cases beside it"
    count, problems = run_cases(path.name, path.read_bytes(), compiled.tables)
    assert problems == [] and count > 0
    cases = json.loads(path.read_text())["cases"]
    rules = {r.id for r in compiled.tables[table].rules}
    unconditional = {r.id for r in compiled.tables[table].rules if all(t.tests is None for t in r.tests)}
    fired = {rid for c in cases for rid in c.get("fires", [])}
    silent = {rid for c in cases for rid in rules - set(c.get("fires", []))}
    assert rules - fired == set(), "rules never seen firing"
    assert rules - unconditional - silent == set(), "rules never seen silent"


def test_rule_sets_are_as_rich_as_the_bank_needs(compiled):
    t = compiled.tables
    assert len(t["admission"].rules) >= 15 and len(t["anti_fraud"].rules) >= 15
    characteristics = {i.label for i in t["scorecard"].table.inputs}
    assert len(characteristics) >= 12
    assert t["scorecard"].table.aggregation == "SUM" and t["risk_band"].hit_policy == "UNIQUE"
    assert {"product_code", "amount", "guarantee"} <= {i.expression.source.split(".")[1] for i in t["approval_authority"].table.inputs}


def test_admission_edges_named_in_the_design():
    cases = {c["name"]: c for c in json.loads((PROCESSES / "admission.tests.json").read_text())["cases"]}
    assert cases["adm_age_min: age=17 fires"]["expect"] == {"admission_refusals": ["AGE_UNDER_18"]}
    assert cases["adm_age_min: age=18 does not"]["expect"] == {"admission_refusals": []}
    assert cases["adm_age_maturity: age_at_maturity=65 does not"]["expect"] == {"admission_refusals": []}
