"""The bank's records: organisation and people, grid, products, customers, applications, loans."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator

Money = Numeric(18, 2)


class UTCDateTime(TypeDecorator):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class CreditBase(DeclarativeBase):
    type_annotation_map = {
        datetime: UTCDateTime, date: Date, Decimal: Money, dict[str, Any]: JSON, list[Any]: JSON,
    }


class Org(CreditBase):
    """Head office -> branch -> outlet."""

    __tablename__ = "org"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(16))  # head_office | branch | outlet
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org.id"))
    parent: Mapped[Optional["Org"]] = relationship(remote_side="Org.id")


class User(CreditBase):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    posts: Mapped[list[Any]] = mapped_column(default=list)
    approval_limit: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    on_leave: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Raised by a password change, a deactivation or a sign-out: tokens and sessions of an older epoch die.
    token_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # A password someone else set is one-time: the user replaces it before working (webapp.resets).
    password_change_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    # An admin's reset waits here for a second person's confirmation (dual control).
    pending_password_hash: Mapped[Optional[str]] = mapped_column(String(200))
    pending_password_by: Mapped[Optional[str]] = mapped_column(String(64))
    pending_password_at: Mapped[Optional[datetime]]
    org: Mapped[Org] = relationship(lazy="joined")


class ApiClient(CreditBase):
    """A channel system (mobile banking, WeChat, a partner, core banking) signing in with client credentials."""

    __tablename__ = "api_client"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    rate_limit: Mapped[str] = mapped_column(String(32), default="120 per minute")  # `limits` notation
    active: Mapped[bool] = mapped_column(default=True)
    token_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime]


class GridCell(CreditBase):
    """County -> township -> village."""

    __tablename__ = "grid_cell"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[Optional[str]] = mapped_column(ForeignKey("grid_cell.code"))
    org_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org.id"))  # serving outlet or branch


class GridAssignment(CreditBase):
    """Who is responsible for a village in a post; rank 1 is the first choice."""

    __tablename__ = "grid_assignment"
    cell_code: Mapped[str] = mapped_column(ForeignKey("grid_cell.code"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    post: Mapped[str] = mapped_column(String(32), primary_key=True)
    rank: Mapped[int] = mapped_column(default=1)
    user: Mapped[User] = relationship(lazy="joined")


class Product(CreditBase):
    __tablename__ = "product"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    loan_kind: Mapped[str] = mapped_column(String(16))  # consumer | farm | business | online
    purpose_type: Mapped[str] = mapped_column(String(16))  # consumer | business
    min_amount: Mapped[Decimal]
    max_amount: Mapped[Decimal]
    min_term: Mapped[int]
    max_term: Mapped[int]
    repayment_method: Mapped[str] = mapped_column(String(32))
    guarantee: Mapped[str] = mapped_column(String(16))  # credit | guarantee | mortgage
    rate_floor: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    rate_cap: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    first_check_days: Mapped[int] = mapped_column(default=15)
    periodic_months: Mapped[int] = mapped_column(default=3)
    automated: Mapped[bool] = mapped_column(default=False)
    templates: Mapped[list[Any]] = mapped_column(default=list)  # contract documents, in order
    description: Mapped[str] = mapped_column(Text, default="")


class Customer(CreditBase):
    __tablename__ = "customer"
    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(16), index=True)
    birth_date: Mapped[date]
    annual_income: Mapped[Decimal]
    village_code: Mapped[Optional[str]] = mapped_column(ForeignKey("grid_cell.code"))
    existing_debt: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    overdue_count: Mapped[int] = mapped_column(default=0)
    blacklisted: Mapped[bool] = mapped_column(default=False)
    relationship_years: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class Application(CreditBase):
    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("submitted_by", "idempotency_key"),
        Index("ix_application_status_created", "status", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    product_code: Mapped[str] = mapped_column(ForeignKey("product.code"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    amount: Mapped[Decimal]
    term_months: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    submitted_by: Mapped[str] = mapped_column(String(64))
    intake_user: Mapped[Optional[str]] = mapped_column(String(64))
    idempotency_key: Mapped[Optional[str]] = mapped_column(String(128))
    request_hash: Mapped[Optional[str]] = mapped_column(String(64))
    instance_id: Mapped[Optional[int]] = mapped_column(Integer)
    village_code: Mapped[Optional[str]] = mapped_column(String(16))
    device_id: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    client_id: Mapped[Optional[str]] = mapped_column(String(64), index=True)  # the channel client that submitted it
    guarantee: Mapped[str] = mapped_column(String(16), default="credit")
    collateral_value: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    score: Mapped[Optional[int]]
    band: Mapped[Optional[str]] = mapped_column(String(1))
    proposed_limit: Mapped[Optional[Decimal]]
    annual_rate: Mapped[Optional[Decimal]] = mapped_column(Numeric(8, 6))
    spread_bp: Mapped[Optional[int]]
    approved_amount: Mapped[Optional[Decimal]]
    payment_mode: Mapped[Optional[str]] = mapped_column(String(16))
    rejection_reasons: Mapped[list[Any]] = mapped_column(default=list)
    assignments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    allocation_reasons: Mapped[dict[str, Any]] = mapped_column(default=dict)
    contract_no: Mapped[Optional[str]] = mapped_column(String(32), unique=True)
    guarantor_name: Mapped[Optional[str]] = mapped_column(String(64))
    guarantor_id_number: Mapped[Optional[str]] = mapped_column(String(18), index=True)  # finds the guarantor's own loans
    disbursement_account: Mapped[Optional[str]] = mapped_column(String(32))
    signed_by: Mapped[Optional[str]] = mapped_column(String(64))
    signed_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    customer: Mapped[Customer] = relationship(lazy="joined")
    product: Mapped[Product] = relationship(lazy="joined")


class CreditDecision(CreditBase):
    """One DMN evaluation, kept so any outcome can be explained and replayed."""

    __tablename__ = "credit_decision"
    __table_args__ = (Index("ix_credit_decision_table_at", "table", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    table: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(96))
    inputs: Mapped[dict[str, Any]]
    outputs: Mapped[dict[str, Any]]
    matched_rules: Mapped[list[Any]]
    descriptions: Mapped[list[Any]] = mapped_column(default=list)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the data the table read, for replays
    at: Mapped[datetime]


class Loan(CreditBase):
    __tablename__ = "loan"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    product_code: Mapped[str] = mapped_column(String(16))
    principal: Mapped[Decimal]
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    term_months: Mapped[int]
    repayment_method: Mapped[str] = mapped_column(String(32))
    payment_mode: Mapped[str] = mapped_column(String(16))
    disbursed_at: Mapped[datetime]
    first_due_date: Mapped[date]
    maturity_date: Mapped[date]
    outstanding_principal: Mapped[Decimal]
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)  # active | closed
    classification: Mapped[str] = mapped_column(String(16), default="normal")
    days_past_due: Mapped[int] = mapped_column(default=0)
    # Set by the nightly run (credit.postloan.nightly) as of its business date; closed_at by full repayment.
    overdue_principal: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    overdue_interest: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    closed_at: Mapped[Optional[date]]
    officer: Mapped[Optional[str]] = mapped_column(String(64), index=True)  # managing post-loan officer (grid, workload)
    schedule: Mapped[list["ScheduleLine"]] = relationship(order_by="ScheduleLine.period", lazy="selectin")
    classification_history: Mapped[list["ClassificationChange"]] = relationship(  # credit.postloan.models
        order_by="ClassificationChange.id", lazy="select", viewonly=True)


class ScheduleLine(CreditBase):
    __tablename__ = "schedule_line"
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id"), primary_key=True)
    period: Mapped[int] = mapped_column(primary_key=True)
    due_date: Mapped[date]
    principal: Mapped[Decimal]
    interest: Mapped[Decimal]
    total: Mapped[Decimal]
    remaining_principal: Mapped[Decimal]
    paid_principal: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    paid_interest: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default="0")
    paid_at: Mapped[Optional[date]]  # the date the instalment was paid in full


class Inspection(CreditBase):
    __tablename__ = "inspection"
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loan.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # first | periodic | alert
    officer: Mapped[str] = mapped_column(String(64))
    findings: Mapped[dict[str, Any]]
    at: Mapped[datetime]


from .postloan import models as _postloan_models  # noqa: E402,F401  (repayments, classification history, runs)
