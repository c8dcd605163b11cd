"""Schemas of the post-loan API: the repayment a core-banking system posts, and the answers."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import INCLUDE, RAISE, Schema, fields, validate

from forms.fields import MESSAGES, MoneyField

from .parsing import INT64_MAX

DECIMAL = {"pattern": r"^-?\d+(\.\d+)?$"}
GRADES = ["normal", "special_mention", "substandard", "doubtful", "loss"]


class RepaymentSchema(Schema):
    """A payment received by core banking; `txn_id` makes a retry harmless."""

    class Meta:
        unknown = RAISE

    loan_id = fields.Integer(required=True, strict=True, validate=validate.Range(1, INT64_MAX),
                             error_messages=dict(MESSAGES))
    txn_id = fields.String(required=True, validate=[validate.Length(min=1, max=64), validate.Regexp(
        r"^[\x21-\x7e]+$", error="Printable ASCII only.")], error_messages=dict(MESSAGES))
    paid_at = fields.Date(required=True, error_messages=dict(MESSAGES), metadata={"description": "YYYY-MM-DD"})
    amount = MoneyField(minimum=Decimal("0.01"), required=True)


class Open(Schema):
    class Meta:
        unknown = INCLUDE


def _m(metadata: dict | None = None, **kw):
    return fields.String(allow_none=True, metadata={**DECIMAL, **(metadata or {})}, **kw)


class RepaymentOutSchema(Open):
    id = fields.Integer(required=True)
    loan_id = fields.Integer(required=True)
    txn_id = fields.String(required=True)
    paid_at = fields.Date(required=True)
    amount = _m(required=True)
    interest = _m(metadata={"description": "applied to instalments' interest"})
    principal = _m(metadata={"description": "applied to due instalments' principal"})
    prepaid = _m(metadata={"description": "principal paid ahead of its due dates"})
    loan_status = fields.String(required=True, validate=validate.OneOf(["active", "closed"]))
    outstanding_principal = _m()


class ClassificationChangeSchema(Open):
    as_of = fields.Date(required=True)
    from_ = fields.String(data_key="from", validate=validate.OneOf(GRADES))
    to = fields.String(validate=validate.OneOf(GRADES))
    days_past_due = fields.Integer()
    kind = fields.String(validate=validate.OneOf(["downgrade", "upgrade"]))


class LoanSummarySchema(Open):
    id = fields.Integer(required=True)
    application_id = fields.Integer(required=True)
    status = fields.String(validate=validate.OneOf(["active", "closed"]))
    classification = fields.String(validate=validate.OneOf(GRADES))
    days_past_due = fields.Integer()
    overdue_principal = _m()
    overdue_interest = _m()
    outstanding_principal = _m()


class LoanListSchema(Open):
    loans = fields.List(fields.Nested(LoanSummarySchema), required=True)
    total = fields.Integer(required=True)
    limit = fields.Integer()
    offset = fields.Integer()


class RiskSignalSchema(Open):
    """A risk signal of the loan: the rule of post_loan_signals.dmn that fired, and what it read."""

    id = fields.Integer(required=True)
    as_of = fields.Date(required=True, metadata={"description": "the business date of the run that raised it"})
    code = fields.String(required=True, metadata={"description": "overdue_1, overdue_30, overdue_90, downgrade, "
                                                  "court_enforcement, tax_arrears, bureau_overdue, blacklist, "
                                                  "guarantor_overdue, deposit_drop, fund_diverted, maturity_30, …"})
    rule_id = fields.String(required=True, metadata={"description": "the id of the DMN rule that fired"})
    severity = fields.String(required=True, validate=validate.OneOf(["info", "warning", "alert"]))
    onsite = fields.Boolean(required=True, metadata={"description": "the rule asks for an on-site inspection"})
    status = fields.String(required=True, validate=validate.OneOf(["open", "acted", "dismissed"]))
    evidence = fields.Dict(required=True, metadata={
        "description": "{decision, rule, inputs, previous, sources}: the facts the rule read now and at the "
                       "previous business date, and the records they came from"})
