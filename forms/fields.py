"""Field kinds a bank's forms need. Each knows its marshmallow field and its JSON Schema.

Messages are English message ids; the web layer translates them (Babel catalogues).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate


def N_(message: str) -> str:
    """Marks a message for the translation catalogues."""
    return message


REQUIRED = N_("This field is required.")
MESSAGES = {"required": REQUIRED, "null": REQUIRED}
MOBILE = re.compile(r"^1[3-9]\d{9}$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

# What evidence uploads may be, checked by content, not by the name a phone gives them.
FILE_TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "application/pdf": b"%PDF-"}
MAX_FILE_BYTES = 8 * 1024 * 1024


def sniff(content: bytes) -> str | None:
    for content_type, magic in FILE_TYPES.items():
        if content.startswith(magic):
            return content_type
    return None


def id_number_problem(value: str) -> str | None:
    """GB 11643 check; kept here too because forms know nothing of the domain package."""
    import datetime

    v = (value or "").strip().upper()
    if not re.match(r"^\d{17}[\dX]$", v):
        return N_("Must be 17 digits followed by a digit or X.")
    try:
        datetime.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return N_("Contains an impossible birth date.")
    if "10X98765432"[sum(int(d) * w for d, w in zip(v[:17], _WEIGHTS)) % 11] != v[17]:
        return N_("Check digit does not match (GB 11643).")
    return None


# An amount is written in ASCII digits with an optional point: no exponent ("1e309"), no NaN or
# Infinity, no "1_000" and no full-width digits, all of which Decimal() would take.
AMOUNT = re.compile(r"-?[0-9]{1,40}(\.[0-9]{1,40})?", re.ASCII)
MAX_AMOUNT = Decimal("9999999999999999.99")  # what a Numeric(18, 2) column holds


class MoneyField(fields.Field):
    """Decimal yuan with at most two decimals (fen); serialised as a string."""

    def __init__(self, minimum: Decimal | None = None, maximum: Decimal | None = None, **kw):
        kw.setdefault("error_messages", dict(MESSAGES))
        super().__init__(**kw)
        self.minimum, self.maximum = minimum, maximum

    def _deserialize(self, value, attr, data, **kw):
        if isinstance(value, float):
            value = repr(value)  # inf, nan and 1e+16 fail the pattern
        elif isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise ValidationError(N_("Not an amount."))
        text = str(value).strip()
        if not AMOUNT.fullmatch(text):
            raise ValidationError(N_("Not an amount."))
        amount = Decimal(text)
        if self.minimum is not None and amount < self.minimum:
            raise ValidationError(f"Must be at least {self.minimum}.")
        if amount > (self.maximum if self.maximum is not None else MAX_AMOUNT):
            raise ValidationError(f"Must be at most {self.maximum if self.maximum is not None else MAX_AMOUNT}.")
        if amount < -MAX_AMOUNT:
            raise ValidationError(f"Must be at least {-MAX_AMOUNT}.")
        if amount != amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
            raise ValidationError(N_("At most two decimals (fen)."))
        return str(amount.quantize(Decimal("0.01")))


class StrictBoolean(fields.Boolean):
    """JSON true or false, or the "true"/"false" a web form posts; never "yes", "on", "1" or 1."""

    def _deserialize(self, value, attr, data, **kw):
        if value is True or value == "true":
            return True
        if value is False or value == "false":
            return False
        raise self.make_error("invalid")


class IdNumberField(fields.String):
    def __init__(self, **kw):
        kw.setdefault("error_messages", dict(MESSAGES))
        super().__init__(**kw)

    def _deserialize(self, value, attr, data, **kw):
        value = super()._deserialize(value, attr, data, **kw).strip().upper()
        problem = id_number_problem(value)
        if problem:
            raise ValidationError(problem)
        return value


class AccountField(fields.String):
    """A bank account number of a scheme (forms.accounts), stored without the spaces people type."""

    def __init__(self, scheme: str, **kw):
        self.scheme = scheme
        super().__init__(**kw)

    def _deserialize(self, value, attr, data, **kw):
        from . import accounts

        value = accounts.normalise(super()._deserialize(value, attr, data, **kw))
        problem = accounts.problem(value, self.scheme)
        if problem:
            raise ValidationError(problem)
        return value


class FileRef(Schema):
    """An uploaded document, by reference: the form keeps its id and hash, never its bytes."""

    class Meta:
        unknown = RAISE

    id = fields.Integer(required=True, strict=True)
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    name = fields.String(load_default=None, validate=validate.Length(max=255))


@dataclass
class Field:
    name: str
    kind: str  # money | integer | date | choice | text | bool | id_number | mobile | account | group | mapping | file
    label: str
    required: bool = True
    minimum: Any = None
    maximum: Any = None
    max_length: int | None = None
    choices: dict[str, str] = field(default_factory=dict)
    fields: list["Field"] = field(default_factory=list)  # for groups
    max_items: int = 20
    visible_when: tuple[str, Any] | None = None  # shown (and required) only when another field has a value
    required_when: tuple[str, list] | None = None  # optional unless another field takes one of these values
    help: str = ""
    keys: tuple[str, ...] = ()  # for mappings: the keys a person fills in, and the only ones accepted
    scheme: str = "card"  # for accounts: forms.accounts' scheme

    def marshmallow(self) -> fields.Field:
        # Conditional fields are validated by the form after the fact, so never required here.
        req = self.required and self.visible_when is None and self.required_when is None
        kw: dict[str, Any] = {"required": req, "allow_none": not req, "error_messages": dict(MESSAGES)}
        k = self.kind
        if k == "money":
            return MoneyField(self.minimum, self.maximum, **kw)
        if k == "integer":
            kw["error_messages"]["invalid"] = N_("Not a whole number.")
            return fields.Integer(strict=True, validate=validate.Range(
                self.minimum, self.maximum, error=N_("Out of the allowed range.")), **kw)
        if k == "date":
            kw["error_messages"]["invalid"] = N_("Not a valid date.")
            return fields.Date(**kw)
        if k == "choice":
            return fields.String(validate=validate.OneOf(list(self.choices), error=N_("Choose one of the options.")), **kw)
        if k == "text":
            return fields.String(validate=validate.Length(max=self.max_length or 2000, error=N_("Too long.")), **kw)
        if k == "bool":
            kw["error_messages"]["invalid"] = N_("Choose yes or no.")
            return StrictBoolean(**kw)
        if k == "id_number":
            return IdNumberField(**kw)
        if k == "mobile":
            return fields.String(validate=validate.Regexp(MOBILE, error=N_("Not a mobile phone number.")), **kw)
        if k == "account":
            return AccountField(self.scheme, **kw)
        if k == "group":
            from .schema import schema_class

            return fields.List(fields.Nested(schema_class(self.fields)), validate=validate.Length(
                max=self.max_items, error=N_("Too many entries.")), **kw)
        if k == "mapping":
            key = fields.String(validate=validate.OneOf(self.keys, error=N_("Choose one of the options."))) \
                if self.keys else fields.String()
            return fields.Dict(keys=key, values=fields.String(allow_none=True), **kw)
        if k == "file":
            return fields.List(fields.Nested(FileRef), validate=validate.Length(
                max=self.max_items, error=N_("Too many files.")), **kw)
        raise ValueError(f"unknown field kind {k}")

    def json_schema(self) -> dict[str, Any]:
        k = self.kind
        s: dict[str, Any] = {"title": self.label}
        if k == "money":
            s.update(type="string", format="decimal", pattern=r"^\d+(\.\d{1,2})?$")
            if self.minimum is not None:
                s["x-minimum"] = str(self.minimum)
            if self.maximum is not None:
                s["x-maximum"] = str(self.maximum)
        elif k == "integer":
            s["type"] = "integer"
            if self.minimum is not None:
                s["minimum"] = self.minimum
            if self.maximum is not None:
                s["maximum"] = self.maximum
        elif k == "date":
            s.update(type="string", format="date")
        elif k == "choice":
            s.update(type="string", enum=list(self.choices), **{"x-labels": dict(self.choices)})
        elif k == "text":
            s.update(type="string", maxLength=self.max_length or 2000)
        elif k == "bool":
            s["type"] = "boolean"
        elif k == "id_number":
            s.update(type="string", pattern=r"^\d{17}[\dX]$", format="cn-resident-id")
        elif k == "mobile":
            s.update(type="string", pattern=MOBILE.pattern)
        elif k == "account":
            from . import accounts

            scheme = accounts.scheme(self.scheme)
            s.update(type="string", pattern=r"^[0-9 \-]+$", format=f"bank-{self.scheme}",
                     **{"x-digits": [scheme.min_length, scheme.max_length], "x-check-digit": "luhn" if scheme.luhn else None})
        elif k == "group":
            from .schema import object_schema

            s.update(type="array", maxItems=self.max_items, items=object_schema(self.fields))
        elif k == "mapping":
            value = {"type": ["string", "null"]}
            if self.keys:
                s.update(type="object", properties={key: value for key in self.keys}, additionalProperties=False)
            else:
                s.update(type="object", additionalProperties=value)
        elif k == "file":
            s.update(type="array", maxItems=self.max_items, items={
                "type": "object", "required": ["id", "sha256"],
                "properties": {"id": {"type": "integer"}, "sha256": {"type": "string"}, "name": {"type": "string"}}},
                **{"x-accept": list(FILE_TYPES), "x-max-bytes": MAX_FILE_BYTES})
        if self.visible_when:
            s["x-visible-when"] = {"field": self.visible_when[0], "equals": self.visible_when[1]}
        if self.required_when:
            s["x-required-when"] = {"field": self.required_when[0], "in": self.required_when[1]}
        return s
