"""The public DMN TCK, compliance level 2 (../shared/dmn-tck beside the checkout, as CI has it)."""
import pytest

from engine.dmn import load_model
from tests.conformance.tck import TCK, cases, same

LEVEL_2 = TCK / "compliance-level-2"
CASES = cases(LEVEL_2) if LEVEL_2.is_dir() else []
_models: dict = {}


def test_the_tck_is_there_and_whole():
    if not LEVEL_2.is_dir():
        pytest.skip(f"DMN TCK not found at {LEVEL_2}: the conformance cases were not run")
    assert len(CASES) == 116


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_level_2_case(case):
    model = _models.get(case.model)
    if model is None:
        model = _models[case.model] = load_model(case.model.read_bytes(), case.model.name)
    for name, expected in case.results:
        actual = model.evaluate(name, case.inputs)
        assert same(expected, actual), f"{name}: expected {expected!r}, got {actual!r}"


def test_the_comparison_can_fail():
    from decimal import Decimal

    assert not same(Decimal("2878.69354943277"), Decimal("2878.69355943277"))
    assert not same({"a": "x"}, {"a": "y"}) and not same(True, None) and not same([Decimal(1)], [])
    assert same(Decimal("2878.69354943277"), Decimal("2878.693549432766768088520383236299"))
