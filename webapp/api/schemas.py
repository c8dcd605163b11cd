"""Request schemas of the channel API (marshmallow); the OpenAPI document is built from them."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import RAISE, Schema, fields, validate

from forms.fields import MESSAGES, MOBILE, IdNumberField, MoneyField

CHANNELS = ["mobile_banking", "wechat", "manager_app", "branch", "partner", "api"]


class Strict(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "Unknown field.", "type": "Form data must be an object."}


class ApplicantSchema(Strict):
    name = fields.String(error_messages=dict(MESSAGES), required=True, validate=validate.Length(min=1, max=64))
    id_number = IdNumberField(required=True)
    phone = fields.String(error_messages=dict(MESSAGES), required=True, validate=validate.Regexp(MOBILE, error="Not a mobile phone number."))
    birth_date = fields.Date(error_messages=dict(MESSAGES), load_default=None)
    annual_income = MoneyField(minimum=Decimal("0"), load_default=None)
    village_code = fields.String(error_messages=dict(MESSAGES), load_default=None, validate=validate.Length(max=16))


class SubmissionSchema(Strict):
    product_code = fields.String(error_messages=dict(MESSAGES), required=True, validate=validate.Length(min=1, max=16))
    amount = MoneyField(minimum=Decimal("0.01"), maximum=Decimal("100000000"), required=True)
    term_months = fields.Integer(error_messages=dict(MESSAGES), required=True, strict=True, validate=validate.Range(1, 360))
    purpose = fields.String(error_messages=dict(MESSAGES), load_default="", validate=validate.Length(max=200))
    channel = fields.String(error_messages=dict(MESSAGES), load_default="api", validate=validate.OneOf(CHANNELS))
    device_id = fields.String(load_default=None, validate=validate.Length(max=64))
    applicant = fields.Nested(ApplicantSchema, required=True, error_messages=dict(MESSAGES))


class TaskCompletionSchema(Strict):
    data = fields.Dict(error_messages=dict(MESSAGES), required=True)


class StartSchema(Strict):
    data = fields.Dict(error_messages=dict(MESSAGES), load_default=dict)
    business_key = fields.String(error_messages=dict(MESSAGES), load_default=None, validate=validate.Length(max=64))
