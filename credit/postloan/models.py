"""Post-loan records: repayments, classification history and upgrade proposals, nightly runs."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
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


class RiskSignal(CreditBase):
    """A risk signal raised for a loan as of a business date by a rule of post_loan_signals.dmn, with the
    evidence the rule read. One per loan, code and date, so running a date twice raises nothing new."""

    __tablename__ = "risk_signal"
    __table_args__ = (UniqueConstraint("loan_id", "code", "as_of", name="uq_risk_signal_loan_code_as_of"),
                      Index("ix_risk_signal_as_of_code", "as_of", "code"))
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id"))
    as_of: Mapped[date]
    code: Mapped[str] = mapped_column(String(32))  # overdue_1, overdue_30, overdue_90, downgrade, court_enforcement, …
    rule_id: Mapped[str] = mapped_column(String(64))  # the DMN rule that fired
    severity: Mapped[str] = mapped_column(String(16))  # info | warning | alert
    onsite: Mapped[bool] = mapped_column(default=False)  # the rule asks for an on-site inspection
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | acted | dismissed
    created_at: Mapped[datetime]


class LoanInspection(CreditBase):
    """One inspection of a loan, from the business date it was raised until it is done (on-site, through its
    process instance) or recorded off-site. Unique per loan, kind and due date: a re-run raises nothing twice."""

    __tablename__ = "loan_inspection"
    __table_args__ = (UniqueConstraint("loan_id", "kind", "due_on", name="uq_loan_inspection_loan_kind_due"),
                      Index("ix_loan_inspection_officer_status", "officer", "status"),
                      Index("ix_loan_inspection_loan_status", "loan_id", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id"))
    kind: Mapped[str] = mapped_column(String(16))  # first | periodic | alert
    mode: Mapped[str] = mapped_column(String(16))  # onsite | offsite
    due_on: Mapped[date]  # when the plan says it is due
    raised_on: Mapped[date]  # the business date of the run that raised it
    sla_due_on: Mapped[Optional[date]]  # done by then, or it escalates to the branch head
    status: Mapped[str] = mapped_column(String(16))  # open | done | offsite | cancelled
    officer: Mapped[Optional[str]] = mapped_column(String(64))
    signal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("risk_signal.id"))
    instance_id: Mapped[Optional[int]]  # its post_loan_inspection process instance (on-site)
    escalated_on: Mapped[Optional[date]]
    escalated_to: Mapped[Optional[str]] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)  # findings, or the off-site evidence
    completed_at: Mapped[Optional[datetime]]


class ProviderEvent(CreditBase):
    """What an external provider observed about a customer on a date: court enforcement, tax arrears, a new
    overdue at the credit bureau, a blacklist hit, or a deposit balance (kind deposit_balance, in `amount`).
    Imported from the providers' files (or written by an adapter); one per customer, kind, date and source,
    so importing a file again records nothing twice. The nightly run raises signals from the new ones."""

    __tablename__ = "provider_event"
    __table_args__ = (UniqueConstraint("customer_id", "kind", "observed_on", "source", name="uq_provider_event"),
                      Index("ix_provider_event_observed_on", "observed_on"),
                      Index("ix_provider_event_recorded_at", "recorded_at"))  # a late file: news by when it came
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    kind: Mapped[str] = mapped_column(String(32))  # court_enforcement | tax_arrears | bureau_overdue | blacklist | deposit_balance
    observed_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(32))  # the provider: court, tax, pboc, bank, core_banking, …
    reference: Mapped[str] = mapped_column(String(64), default="", server_default="")  # the provider's own case id
    amount: Mapped[Optional[Decimal]]  # the balance for deposit_balance; the sum involved otherwise, when known
    detail: Mapped[str] = mapped_column(String(200), default="", server_default="")
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(64))
