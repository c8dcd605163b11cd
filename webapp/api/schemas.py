"""Schemas of the API (marshmallow): the requests it loads and the answers it gives; the OpenAPI document is built from them."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import INCLUDE, RAISE, Schema, fields, validate

from credit import schedules
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
    # optional: the product's own method when absent; any other is refused at intake
    repayment_method = fields.String(load_default=None, error_messages=dict(MESSAGES),
                                     validate=validate.OneOf(sorted(schedules.METHODS)))
    applicant = fields.Nested(ApplicantSchema, required=True, error_messages=dict(MESSAGES))


class TaskCompletionSchema(Strict):
    data = fields.Dict(error_messages=dict(MESSAGES), required=True)


class StartSchema(Strict):
    data = fields.Dict(error_messages=dict(MESSAGES), load_default=dict)
    business_key = fields.String(error_messages=dict(MESSAGES), load_default=None, validate=validate.Length(max=64))


class TokenRequestSchema(Strict):
    """An officer's sign-in."""
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class ClientTokenRequestSchema(Strict):
    """A channel client's credentials (scopes come with the client)."""
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    client_secret = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class PasswordSchema(Strict):
    password = fields.String(required=True, error_messages=dict(MESSAGES), validate=validate.Length(min=1, max=1024))


class OwnPasswordSchema(Strict):
    """A user replacing their own password."""
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    new_password = fields.String(required=True, error_messages=dict(MESSAGES), validate=validate.Length(min=1, max=1024))


class UploadSchema(Strict):
    """multipart/form-data with one file."""
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class AttachmentUploadSchema(UploadSchema):
    task_id = fields.String(load_default=None, validate=validate.Length(max=36))


# What the API answers (presenters.py builds these dicts; the OpenAPI document and schemathesis
# hold them to these shapes). More fields are welcome: unknown ones are allowed.

def _s(**kw):
    return fields.String(allow_none=True, **kw)


def _i(**kw):
    return fields.Integer(allow_none=True, **kw)


def _t(**kw):
    return fields.DateTime(allow_none=True, **kw)


DECIMAL = {"pattern": r"^-?\d+(\.\d+)?$"}


class Open(Schema):
    class Meta:
        unknown = INCLUDE


class ErrorSchema(Open):
    error = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", metadata={"description": "field -> messages (nested like the body)"})
    element = _s(metadata={"description": "the BPMN element that failed"})
    problems = fields.List(fields.Dict(), metadata={"description": "located problems of a model or template"})


class TaskSchema(Open):
    id = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "BPMN element id"})
    title = _s()
    form_key = _s()
    application_id = _i()
    process_id = _s()
    instance_id = _i()
    post = _s()
    duty = _s()
    assignee = _s()
    state = fields.String(required=True)
    due_at = _t()
    created_at = _t()
    completed_at = _t()
    completed_by = _s()


class CarriedStepSchema(Open):  # an earlier task of the application, done
    task_id = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "BPMN element id"})
    form_key = fields.String(required=True)
    by = _s(metadata={"description": "username of who completed it"})
    by_name = _s(metadata={"description": "their name"})
    at = _t()
    data = fields.Dict(required=True, metadata={"description": "what they entered"})


class CarriedTermSchema(Open):
    table = fields.String(required=True, metadata={"description": "scorecard, risk_band, limit_policy or pricing"})
    value = fields.Raw(allow_none=True, metadata={"description": "score, band, proposed limit or annual rate"})
    outputs = fields.Dict()
    matched_rules, version = fields.List(fields.Raw()), _s()
    explanations = fields.List(fields.String(), metadata={"description": "the words of the rules that fired"})


class CarriedReturnSchema(Open):
    by = _s(metadata={"description": "username of who returned it; null for the credit committee"})
    by_name = _s()
    at = _t()
    reason = fields.String(required=True)
    step = fields.String(required=True, metadata={"description": "approve, cosign, or tally (the committee)"})


class CarriedSchema(Open):  # what earlier steps produced, for those who may see the application
    report = fields.Nested(CarriedStepSchema, allow_none=True, metadata={"description": "the lead investigator's report"})
    cosign = fields.Nested(CarriedStepSchema, allow_none=True, metadata={"description": "the co-investigator's opinion"})
    terms = fields.List(fields.Nested(CarriedTermSchema), metadata={"description": "score, band, limit, price"})
    votes = fields.List(fields.Nested(CarriedStepSchema), metadata={"description": "the last committee round's votes"})
    tally = fields.Dict(allow_none=True, metadata={"description": "{approve, return, reject, decision, complete}"})
    approval = fields.Nested(CarriedStepSchema, allow_none=True, metadata={"description": "the approver's decision"})
    returned = fields.Nested(CarriedReturnSchema, allow_none=True, metadata={"description": "who returned this, when, why"})
    prefill = fields.Dict(metadata={"description": "a returned task: the data its form was completed with before"})


class TaskDetailSchema(TaskSchema):
    form = fields.Dict(allow_none=True, metadata={"description": "JSON Schema of the form's fields"})
    data = fields.Dict(required=True)
    may_complete = fields.Boolean(required=True)
    carried = fields.Nested(CarriedSchema, required=True, metadata={"description": "what earlier steps produced"})


class TaskListSchema(Open):
    tasks = fields.List(fields.Nested(TaskSchema), required=True)
    next_offset = _i()


class InstanceStatusSchema(Open):
    id = fields.Integer(required=True)
    status = fields.String(required=True)


class CompletionResultSchema(Open):
    task = fields.Nested(TaskSchema, required=True)
    instance = fields.Nested(InstanceStatusSchema, required=True)
    next_tasks = fields.List(fields.Nested(TaskSchema), required=True)


class DecisionSchema(Open):
    table = fields.String(required=True)
    version = _s()
    inputs = fields.Raw(allow_none=True)
    outputs = fields.Raw(allow_none=True)
    matched_rules = fields.Raw(allow_none=True)
    explanations = fields.Raw(allow_none=True)
    at = _t()


class ApplicantOutSchema(Open):
    name = fields.String(required=True)
    id_number = fields.String(required=True)
    phone = _s()
    birth_date = fields.Date(allow_none=True)
    annual_income = _s(metadata=DECIMAL)
    village_code = _s()


class CommentSchemaOut(Open):
    id = fields.Integer(required=True)
    author = fields.String(required=True)
    body = fields.String(required=True)
    task_id = _s()
    at = _t()


class AttachmentSchemaOut(Open):
    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    task_id = _s()
    uploaded_by = _s()
    uploaded_at = _t()


STATUSES = ["submitted", "investigating", "approving", "approved", "rejected", "returned", "contracting",
            "disbursed", "withdrawn"]


class ApplicationSchema(Open):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    product_code = fields.String(required=True)
    amount = fields.String(required=True, metadata=DECIMAL)
    term_months = fields.Integer(required=True)
    purpose = _s()
    channel = _s()
    applicant = fields.Nested(ApplicantOutSchema, required=True)
    tasks = fields.List(fields.Nested(TaskSchema), required=True)
    loan_id = _i()
    decisions = fields.List(fields.Nested(DecisionSchema), required=True)
    comments = fields.List(fields.Nested(CommentSchemaOut))
    attachments = fields.List(fields.Nested(AttachmentSchemaOut))
    instance_id = _i()
    created_at = _t()
    updated_at = _t()


class EventSchema(Open):
    seq = fields.Integer(required=True)
    at = _t()
    actor = _s()
    type = fields.String(required=True)
    instance_id = _i()
    task_id = _s()
    data = fields.Raw(allow_none=True)
    model_version = _s()
    rule_ids = fields.Raw(allow_none=True)
    hash = _s()


class HistorySchema(Open):
    application_id = fields.Integer(required=True)
    events = fields.List(fields.Nested(EventSchema), required=True)


class InstalmentSchema(Open):
    period = fields.Integer(required=True)
    due_date = fields.Date(required=True)
    principal = fields.String(required=True, metadata=DECIMAL)
    interest = fields.String(required=True, metadata=DECIMAL)
    total = fields.String(required=True, metadata=DECIMAL)
    remaining_principal = fields.String(required=True, metadata=DECIMAL)
    paid_principal = fields.String(metadata=DECIMAL)
    paid_interest = fields.String(metadata=DECIMAL)
    paid_at = fields.Date(allow_none=True, metadata={"description": "when the instalment was paid in full"})


class LoanSchema(Open):
    id = fields.Integer(required=True)
    application_id = fields.Integer(required=True)
    principal = fields.String(required=True, metadata=DECIMAL)
    annual_rate = fields.String(required=True, metadata={"description": "a fraction: 0.0435 for 4.35 %"})
    term_months = fields.Integer(required=True)
    repayment_method = fields.String(required=True)
    disbursed_at = _t()
    classification = _s()
    days_past_due = _i()
    status = fields.String(validate=validate.OneOf(["active", "closed"]))
    overdue_principal = fields.String(metadata=DECIMAL)
    overdue_interest = fields.String(metadata=DECIMAL)
    officer = fields.String(allow_none=True, metadata={"description": "the managing post-loan officer's user name"})
    classification_history = fields.List(fields.Dict(), metadata={
        "description": "each change: {as_of, from, to, days_past_due, kind (downgrade | upgrade), decided_by}"})
    signals = fields.List(fields.Nested("RiskSignalSchema"), metadata={  # webapp.api.postloan_schemas
        "description": "risk signals raised by post_loan_signals.dmn, oldest first"})
    schedule = fields.List(fields.Nested(InstalmentSchema), required=True)


class ProductSchema(Open):
    code = fields.String(required=True)
    name = fields.String(required=True)
    min_amount = fields.String(required=True, metadata=DECIMAL)
    max_amount = fields.String(required=True, metadata=DECIMAL)
    min_term = fields.Integer(required=True)
    max_term = fields.Integer(required=True)
    repayment_method = fields.String(required=True)
    automated = fields.Boolean(required=True)


class ProductListSchema(Open):
    products = fields.List(fields.Nested(ProductSchema), required=True)


class DefinitionSchema(Open):
    process_id = fields.String(required=True)
    name = _s()
    version = fields.Integer(required=True)
    kind = fields.String(required=True)
    file = _s()
    sha256 = _s()
    deployment_id = _i()
    deployment_version = _i()
    created_at = _t()


class DefinitionListSchema(Open):
    deployment_version = _i()
    definitions = fields.List(fields.Nested(DefinitionSchema), required=True)


class DeploymentRefSchema(Open):
    id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    content_hash = fields.String(required=True)


class DeployResultSchema(Open):
    deployment = fields.Nested(DeploymentRefSchema, required=True)
    created = fields.Boolean(required=True)
    definitions = fields.List(fields.Nested(DefinitionSchema), required=True)


class StartResultSchema(Open):
    instance_id = fields.Integer(required=True)
    process_id = fields.String(required=True)
    status = fields.String(required=True)
    deployment_version = fields.Integer(required=True)
    tasks = fields.List(fields.Nested(TaskSchema), required=True)


class TemplateSchema(Open):
    name = fields.String(required=True)
    version = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    deployed_by = _s()
    deployed_at = _t()


class TemplateListSchema(Open):
    templates = fields.List(fields.Nested(TemplateSchema), required=True)


class TemplateDeployedSchema(Open):
    name = fields.String(required=True)
    version = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    created = fields.Boolean(required=True)


class ReassignedSchema(Open):
    reassigned = fields.Integer(required=True)
    to = fields.String(required=True)


class TokenSchema(Open):
    token = fields.String(required=True)
    token_type = fields.String(required=True, validate=validate.OneOf(["Bearer"]))
    expires_in = fields.Integer(required=True)
    user = fields.Dict(metadata={"description": "{username, name, posts} for an officer"})
    client = fields.Dict(metadata={"description": "{client_id, name, channel, scopes} for a channel client"})


class SignedOutSchema(Open):
    signed_out = fields.Boolean(required=True)


class UserChangedSchema(Open):
    username = fields.String(required=True)
    password_changed = fields.Boolean()
    pending_confirmation = fields.Boolean()
    active = fields.Boolean()
