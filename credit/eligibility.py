"""What intake checks before anything starts: the amount and term against the product, the repayment
method, and the age rules. A refusal names its fields, and no process, task or customer record is made.

The age rules are not written here: they are the admission table's (a designer's data), evaluated by the
caller over the facts intake already knows (`AgeRules`). The full admission table still runs in the
process over everything the providers add.
"""
from __future__ import annotations

from datetime import date, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable

from .models import Product

# intake facts (age, age_at_maturity, …) -> the age rules that refuse: (code, the rule's description)
AgeRules = Callable[[dict[str, Any]], list[tuple[str, str]]]
CHINA = timezone(timedelta(hours=8))
INTAKE_FACTS = ("age", "age_at_maturity", "amount", "term_months", "loan_kind")


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def intake_facts(product: Product, amount: Decimal, term_months: int, born: date, today: date) -> dict[str, Any]:
    age = age_on(born, today)
    return {"age": age, "age_at_maturity": round(age + term_months / 12, 2), "amount": float(amount),
            "term_months": term_months, "loan_kind": product.loan_kind}


def problems(product: Product, amount: Decimal, term_months: int, repayment_method: str | None, born: date,
             today: date, age_rules: AgeRules | None) -> dict[str, Any]:
    """Field -> messages (applicant fields nested under "applicant"); empty when intake may go ahead."""
    out: dict[str, Any] = {}
    if amount < product.min_amount:
        out["amount"] = [f"Must be at least {product.min_amount}."]
    elif amount > product.max_amount:
        out["amount"] = [f"Must be at most {product.max_amount}."]
    if term_months < product.min_term:
        out["term_months"] = [f"Must be at least {product.min_term}."]
    elif term_months > product.max_term:
        out["term_months"] = [f"Must be at most {product.max_term}."]
    if repayment_method is not None and repayment_method != product.repayment_method:
        out["repayment_method"] = ["Not a repayment method of this product."]
    if age_rules is not None:
        for code, description in age_rules(intake_facts(product, amount, term_months, born, today)):
            # the age at maturity moves with the term; the age itself comes from the ID number
            if "MATURITY" in code.upper():
                out.setdefault("term_months", []).append(description or code)
            else:
                out.setdefault("applicant", {}).setdefault("id_number", []).append(description or code)
    return out
