"""Risk signals in the nightly run: the rules of processes/post_loan_signals.dmn over each partition's loans,
as of the business date, stored with their evidence and the rule that fired (issue 12)."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from credit.postloan.nightly import PartitionResult

from .bootstrap import Container


def after_partition(c: Container, s: Session, day: date, result: PartitionResult, actor: str) -> int:
    """Raise the partition's signals for `day` in the partition's transaction; the number raised."""
    return 0
