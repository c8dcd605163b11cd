"""The chain detects any edited, deleted or reordered event."""
import pytest
from sqlalchemy import text

from engine.audit import verify
from tests.integration.driver import Driver


@pytest.fixture
def chained(container):
    d = Driver(container)
    d.submit("SHANDAI", "20000", 6)
    with container.uow() as uow:
        report = verify(uow.session)
    assert report.ok and report.events > 10
    return container, report.events


def _sql(container, statement):
    with container.engine.begin() as conn:
        conn.execute(text(statement))


def _verify(container):
    with container.uow() as uow:
        return verify(uow.session)


def test_an_edited_event_is_found(chained):
    container, _ = chained
    _sql(container, "UPDATE audit_event SET actor = 'mallory' WHERE seq = 5")
    report = _verify(container)
    assert not report.ok and report.problems[0].startswith("seq 5: content does not match")


def test_a_deleted_event_is_found(chained):
    container, _ = chained
    _sql(container, "DELETE FROM audit_event WHERE seq = 7")
    report = _verify(container)
    assert not report.ok and "seq 8: expected seq 7" in report.problems[0]


def test_a_deleted_tail_is_found(chained):
    container, n = chained
    _sql(container, f"DELETE FROM audit_event WHERE seq = {n}")
    report = _verify(container)
    assert not report.ok and "events removed from the end" in report.problems[0]


def test_reordered_events_are_found(chained):
    container, _ = chained
    _sql(container, "UPDATE audit_event SET seq = -1 WHERE seq = 3")
    _sql(container, "UPDATE audit_event SET seq = 3 WHERE seq = 4")
    _sql(container, "UPDATE audit_event SET seq = 4 WHERE seq = -1")
    report = _verify(container)
    assert not report.ok and any("seq 3" in p for p in report.problems)
