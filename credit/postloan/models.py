"""Post-loan records: repayments, classification history and upgrade proposals, nightly runs."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..models import CreditBase


class Repayment(CreditBase):
    """One payment from core banking, as applied to the schedule. `txn_id` makes a retry harmless."""

    __tablename__ = "repayment"
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id"), index=True)
    txn_id: Mapped[str] = mapped_column(String(64), unique=True)
    paid_at: Mapped[date]
    amount: Mapped[Decimal]
    interest: Mapped[Decimal]  # applied to instalments' interest
    principal: Mapped[Decimal]  # applied to due instalments' principal
    prepaid: Mapped[Decimal]  # principal paid ahead of its due dates (re-amortised or closing)
    source: Mapped[str] = mapped_column(String(16))  # api | csv
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]


class ClassificationChange(CreditBase):
    """The five-grade history: each change of a loan's classification and the business date it took effect."""

    __tablename__ = "loan_classification"
    __table_args__ = (Index("ix_loan_classification_loan_as_of", "loan_id", "as_of"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id"))
    as_of: Mapped[date]
    from_code: Mapped[str] = mapped_column(String(16))
    to_code: Mapped[str] = mapped_column(String(16))
    days_past_due: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))  # downgrade (automatic) | upgrade (approved)
    decided_by: Mapped[Optional[str]] = mapped_column(String(64))  # the branch head, for an upgrade


class UpgradeProposal(CreditBase):
    """An upgrade the days past due call for; it waits for the branch head (a task) to be approved."""

    __tablename__ = "classification_proposal"
    __table_args__ = (Index("ix_classification_proposal_loan_status", "loan_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id"))
    as_of: Mapped[date]
    from_code: Mapped[str] = mapped_column(String(16))
    to_code: Mapped[str] = mapped_column(String(16))
    days_past_due: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | rejected | withdrawn
    instance_id: Mapped[Optional[int]]  # the branch head's approval process, once raised
    decided_by: Mapped[Optional[str]] = mapped_column(String(64))
    decided_at: Mapped[Optional[datetime]]


class NightlyRun(CreditBase):
    """One business date of the nightly run. The latest finished one is the business date."""

    __tablename__ = "postloan_run"
    as_of: Mapped[date] = mapped_column(primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[Optional[datetime]]
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
