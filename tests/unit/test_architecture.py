"""The layer rules of DESIGN.md, checked by import-linter and by a scan for stray imports."""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    linter = pathlib.Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _importers(module: str) -> set[str]:
    pattern = re.compile(rf"^\s*(from|import) {module}\b", re.M)
    return {str(p.relative_to(ROOT)).split("/")[0] for p in ROOT.glob("*/**/*.py")
            if ".venv" not in p.parts and "tests" not in p.parts and pattern.search(p.read_text())}


def test_only_engine_imports_spiffworkflow_and_only_webapp_imports_flask():
    assert _importers("SpiffWorkflow") <= {"engine"}
    assert _importers("flask") <= {"webapp"}
    assert _importers("apscheduler") <= {"webapp"}


def test_no_module_is_too_long():
    long = [str(p) for p in ROOT.glob("*/**/*.py") if ".venv" not in p.parts and "migrations" not in p.parts
            and "tests" not in p.parts and p.read_text().count("\n") > 400]
    assert long == []
