"""Provider events: what external providers (courts, tax, the credit bureau, blacklists) and core banking
(deposit balances) observed about a customer on a date, as the risk signals read them.

A file from a provider is CSV with the header columns (any order)
    id_number,kind,observed_on,source[,reference][,amount][,detail]
one row per observation. `kind` is one of KINDS; `amount` is the balance for deposit_balance (required
there) and the sum involved otherwise (optional). One event per customer, kind, date and source: the same
row imported again is recorded once, and the same key with other details is refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..idnumber import problem
from ..money import fen
from .repayments import AMOUNT, Refused, _date

KINDS = ("court_enforcement", "tax_arrears", "bureau_overdue", "blacklist", "deposit_balance")
REQUIRED = ("id_number", "kind", "observed_on", "source")
OPTIONAL = ("reference", "amount", "detail")
SOURCE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")


@dataclass(frozen=True)
class EventRow:
    id_number: str
    kind: str
    observed_on: date
    source: str
    reference: str = ""
    amount: Decimal | None = None
    detail: str = ""

    @property
    def key(self) -> tuple[str, str, date, str]:
        return self.id_number, self.kind, self.observed_on, self.source

    def same(self, reference: str, amount: Decimal | None, detail: str) -> bool:
        return (self.reference, self.detail) == (reference or "", detail or "") and (
            (self.amount is None and amount is None) or (
                self.amount is not None and amount is not None and Decimal(self.amount) == Decimal(amount)))


def header_problem(fields: list[str] | None) -> str | None:
    """Why a file's header is not one of ours, or None."""
    names = [f.strip() for f in fields or []]
    missing = [n for n in REQUIRED if n not in names]
    unknown = [n for n in names if n not in REQUIRED + OPTIONAL]
    if missing or unknown or len(set(names)) != len(names):
        return (f"the header must have {','.join(REQUIRED)} and may have {','.join(OPTIONAL)}, each once"
                + (f" (missing {', '.join(missing)})" if missing else "")
                + (f" (unknown {', '.join(unknown)})" if unknown else ""))
    return None


def parse(raw: dict[str, str], today: date) -> EventRow:
    """An event from text fields (a CSV row); Refused naming every bad field."""
    errors: dict[str, list[str]] = {}
    id_number = (raw.get("id_number") or "").strip().upper()
    why = problem(id_number)
    if why:
        errors["id_number"] = [why]
    kind = (raw.get("kind") or "").strip()
    if kind not in KINDS:
        errors["kind"] = [f"one of {', '.join(KINDS)}"]
    observed_on = _date((raw.get("observed_on") or "").strip())
    if observed_on is None:
        errors["observed_on"] = ["not a date (YYYY-MM-DD)"]
    elif observed_on > today:
        errors["observed_on"] = [f"after today ({today.isoformat()})"]
    source = (raw.get("source") or "").strip()
    if not SOURCE.fullmatch(source):
        errors["source"] = ["1 to 32 lower-case letters, digits, _ . or -"]
    reference = (raw.get("reference") or "").strip()
    if len(reference) > 64 or not all(ch.isprintable() for ch in reference):
        errors["reference"] = ["at most 64 printable characters"]
    text = (raw.get("amount") or "").strip()
    amount = None
    if text:
        amount = Decimal(text) if AMOUNT.fullmatch(text) else None
        if amount is None:
            errors["amount"] = ["not an amount (yuan, at most two decimals)"]
        elif amount < 0:
            errors["amount"] = ["negative amount"]
    elif kind == "deposit_balance":
        errors["amount"] = ["a deposit balance needs its amount"]
    detail = (raw.get("detail") or "").strip()
    if len(detail) > 200 or not all(ch.isprintable() for ch in detail):
        errors["detail"] = ["at most 200 printable characters"]
    if errors:
        raise Refused(errors)
    return EventRow(id_number, kind, observed_on, source, reference, None if amount is None else fen(amount), detail)
