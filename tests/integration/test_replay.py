"""What-if replay of a candidate table over stored decisions: deltas reported, nothing written."""
import json

from sqlalchemy import func, select

from credit.models import CreditDecision
from engine.models import AuditEvent
from tests.integration.driver import Driver
from webapp import cli
from webapp.bootstrap import PROCESSES_DIR


def counts(container):
    with container.uow() as uow:
        return (uow.session.scalar(select(func.count()).select_from(AuditEvent)),
                uow.session.scalar(select(func.count()).select_from(CreditDecision)))


def test_replaying_a_harsher_scorecard(container, tmp_path, monkeypatch, capsys):
    d = Driver(container)
    for income in ("60000", "90000", "150000", "200000", "300000", "45000"):
        d.submit("SHANDAI", "20000", 12, income=income)
    with container.uow() as uow:
        stored = uow.session.scalar(select(func.count()).select_from(CreditDecision).where(CreditDecision.table == "scorecard"))
    assert stored == 6
    before = counts(container)

    candidate = tmp_path / "scorecard.dmn"
    candidate.write_bytes((PROCESSES_DIR / "scorecard.dmn").read_bytes().replace(
        b'<outputEntry id="sc_base_o0"><text>300</text>', b'<outputEntry id="sc_base_o0"><text>0</text>'))
    (tmp_path / "scorecard.tests.json").write_bytes((PROCESSES_DIR / "scorecard.tests.json").read_bytes())
    monkeypatch.setenv("CREDITFACTORY_DATABASE_URL", container.database_url)
    assert cli.main(["decisions", "replay", str(candidate), "--since", "2026-01-01", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["table"] == "scorecard" and report["evaluated"] == 6 and report["changed"] == 6
    assert report["errors"] == 0
    assert report["baseline"]["approval_rate"] == 1.0
    assert report["candidate"]["approval_rate"] < report["baseline"]["approval_rate"]
    assert float(report["delta"]["approval_rate"]) < 0
    assert report["test_cases"]["run"] > 0 and report["test_cases"]["failed"]  # the old cases expect 300 base points
    assert report["examples"][0]["was"]["score"] - report["examples"][0]["would_be"]["score"] == 300
    assert counts(container) == before

    assert cli.main(["decisions", "replay", str(PROCESSES_DIR / "scorecard.dmn"), "--since", "2026-01-01"]) == 0
    out = capsys.readouterr().out
    assert "outcomes that would change: 0" in out and "nothing was changed" in out


def test_replaying_an_admission_change_reports_the_pass_rate(container, tmp_path, monkeypatch, capsys):
    d = Driver(container)
    for i in range(4):
        d.submit("RUYI", "50000", 12)
    candidate = tmp_path / "admission.dmn"
    candidate.write_bytes((PROCESSES_DIR / "admission.dmn").read_bytes().replace(b"&lt; 18", b"&lt; 99"))
    monkeypatch.setenv("CREDITFACTORY_DATABASE_URL", container.database_url)
    assert cli.main(["decisions", "replay", str(candidate), "--since", "2026-01-01", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["evaluated"] == 4 and report["changed"] == 4
    assert report["baseline"]["approval_rate"] == 1.0 and report["candidate"]["approval_rate"] == 0.0
    assert cli.main(["decisions", "replay", str(tmp_path / "nope.dmn"), "--since", "2026-01-01"]) == 2
