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


def _verify(container, workers=1):
    with container.uow() as uow:
        return verify(uow.session, batch=2, workers=workers) if workers > 1 else verify(uow.session)


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


@pytest.mark.parametrize("tamper,found", [
    ("UPDATE audit_event SET actor = 'mallory' WHERE seq = 13", "seq 13: content does not match"),
    ("DELETE FROM audit_event WHERE seq = 12", "expected seq 12"),
    ("DELETE FROM audit_event WHERE seq = 11", "seq 12: expected seq 11"),
])
def test_the_parallel_walk_finds_the_same(chained, tamper, found):
    container, n = chained
    whole = _verify(container, workers=3)
    assert whole.ok and whole.events == n  # split into ranges, joined back
    _sql(container, tamper)
    report = _verify(container, workers=3)
    assert not report.ok and any(found in p for p in report.problems), report.problems


def test_the_parallel_walk_finds_a_relinked_range(chained):
    """Rewriting one event and its successor's link still breaks the event after: chunks must join."""
    container, n = chained
    _sql(container, "DELETE FROM audit_event WHERE seq > 10 AND seq <= 20")
    _sql(container, f"UPDATE audit_event SET seq = seq - 10 WHERE seq > 20")
    report = _verify(container, workers=3)
    assert not report.ok and any("prev_hash does not match" in p for p in report.problems)
