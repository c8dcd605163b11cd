"""Request schemas of the channel API (marshmallow); the OpenAPI document is built from them."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import RAISE, Schema, fields, validate

from forms.fields import MOBILE, IdNumberField, MoneyField

CHANNELS = ["mobile_banking", "wechat", "manager_app", "branch", "partner", "api"]


class Strict(Schema):
    class Meta:
        unknown = RAISE


class ApplicantSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    id_number = IdNumberField(required=True)
    phone = fields.String(required=True, validate=validate.Regexp(MOBILE, error="不是有效的手机号 / not a mobile number"))
    birth_date = fields.Date(load_default=None)
    annual_income = MoneyField(minimum=Decimal("0"), load_default=None)
    village_code = fields.String(load_default=None, validate=validate.Length(max=16))


class SubmissionSchema(Strict):
    product_code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    amount = MoneyField(minimum=Decimal("0.01"), maximum=Decimal("100000000"), required=True)
    term_months = fields.Integer(required=True, strict=True, validate=validate.Range(1, 360))
    purpose = fields.String(load_default="", validate=validate.Length(max=200))
    channel = fields.String(load_default="api", validate=validate.OneOf(CHANNELS))
    applicant = fields.Nested(ApplicantSchema, required=True)


class TaskCompletionSchema(Strict):
    data = fields.Dict(required=True)


class StartSchema(Strict):
    data = fields.Dict(load_default=dict)
    business_key = fields.String(load_default=None, validate=validate.Length(max=64))
