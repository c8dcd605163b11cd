"""Field kinds a bank's forms need. Each knows its marshmallow field and its JSON Schema."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields, validate

MOBILE = re.compile(r"^1[3-9]\d{9}$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number_problem(value: str) -> str | None:
    """GB 11643 check; kept here too because forms know nothing of the domain package."""
    import datetime

    v = (value or "").strip().upper()
    if not re.match(r"^\d{17}[\dX]$", v):
        return "必须是17位数字加1位数字或X / must be 17 digits and a digit or X"
    try:
        datetime.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "出生日期不存在 / impossible birth date"
    if "10X98765432"[sum(int(d) * w for d, w in zip(v[:17], _WEIGHTS)) % 11] != v[17]:
        return "校验位错误 / check digit does not match"
    return None


class MoneyField(fields.Field):
    """Decimal yuan with at most two decimals (fen); serialised as a string."""

    def __init__(self, minimum: Decimal | None = None, maximum: Decimal | None = None, **kw):
        super().__init__(**kw)
        self.minimum, self.maximum = minimum, maximum

    def _deserialize(self, value, attr, data, **kw):
        if isinstance(value, bool) or isinstance(value, float):
            value = str(value) if isinstance(value, float) else value
        if isinstance(value, bool):
            raise ValidationError("不是金额 / not an amount")
        try:
            amount = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValidationError("不是金额 / not an amount") from None
        if not amount.is_finite():
            raise ValidationError("不是金额 / not an amount")
        if amount != amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
            raise ValidationError("金额最多两位小数 / at most two decimals (fen)")
        if self.minimum is not None and amount < self.minimum:
            raise ValidationError(f"不能小于 {self.minimum} / must be at least {self.minimum}")
        if self.maximum is not None and amount > self.maximum:
            raise ValidationError(f"不能大于 {self.maximum} / must be at most {self.maximum}")
        return str(amount.quantize(Decimal("0.01")))


class IdNumberField(fields.String):
    def _deserialize(self, value, attr, data, **kw):
        value = super()._deserialize(value, attr, data, **kw).strip().upper()
        problem = id_number_problem(value)
        if problem:
            raise ValidationError(f"身份证号无效: {problem}")
        return value


@dataclass
class Field:
    name: str
    kind: str  # money | integer | date | choice | text | bool | id_number | mobile | group | mapping
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

    def marshmallow(self) -> fields.Field:
        # Conditional fields are validated by the form after the fact, so never required here.
        req = self.required and self.visible_when is None and self.required_when is None
        kw: dict[str, Any] = {"required": req, "allow_none": not req}
        k = self.kind
        if k == "money":
            return MoneyField(self.minimum, self.maximum, **kw)
        if k == "integer":
            return fields.Integer(strict=True, validate=validate.Range(self.minimum, self.maximum), **kw)
        if k == "date":
            return fields.Date(**kw)
        if k == "choice":
            return fields.String(validate=validate.OneOf(list(self.choices)), **kw)
        if k == "text":
            return fields.String(validate=validate.Length(max=self.max_length or 2000), **kw)
        if k == "bool":
            return fields.Boolean(truthy={True, "true", "1", "on", "yes"}, falsy={False, "false", "0", "no", "off"}, **kw)
        if k == "id_number":
            return IdNumberField(**kw)
        if k == "mobile":
            return fields.String(validate=validate.Regexp(MOBILE, error="不是有效的手机号 / not a mobile number"), **kw)
        if k == "group":
            from .schema import schema_class

            return fields.List(fields.Nested(schema_class(self.fields)), validate=validate.Length(max=self.max_items), **kw)
        if k == "mapping":
            return fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), **kw)
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
            s.update(type="string", enum=list(self.choices), **{"x-labels": self.choices})
        elif k == "text":
            s.update(type="string", maxLength=self.max_length or 2000)
        elif k == "bool":
            s["type"] = "boolean"
        elif k == "id_number":
            s.update(type="string", pattern=r"^\d{17}[\dX]$", format="cn-resident-id")
        elif k == "mobile":
            s.update(type="string", pattern=MOBILE.pattern)
        elif k == "group":
            from .schema import object_schema

            s.update(type="array", maxItems=self.max_items, items=object_schema(self.fields))
        elif k == "mapping":
            s.update(type="object", additionalProperties={"type": ["string", "null"]})
        if self.visible_when:
            s["x-visible-when"] = {"field": self.visible_when[0], "equals": self.visible_when[1]}
        if self.required_when:
            s["x-required-when"] = {"field": self.required_when[0], "in": self.required_when[1]}
        return s
