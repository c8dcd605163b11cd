"""Bank account numbers: digits only, a length the scheme allows, and its check digit where it has one.

A bank configures its schemes (`configure`, from the app's ACCOUNT_SCHEMES setting): a debit card
(UnionPay: 16 to 19 digits, Luhn check digit) is the default for a borrower's disbursement and
repayment account; an `account` (a settlement account at any bank, 8 to 32 digits, no check digit
common to all banks) for a payee's. People type cards in groups of four: spaces and hyphens are dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any



def N_(message: str) -> str:  # a message id for the catalogue (babel.cfg's keyword), shown translated
    return message


@dataclass(frozen=True)
class Scheme:
    min_length: int
    max_length: int
    luhn: bool = False


DEFAULTS = {"card": Scheme(16, 19, luhn=True), "account": Scheme(8, 32)}
_schemes: dict[str, Scheme] = dict(DEFAULTS)
DIGITS = re.compile(r"[0-9]+")  # ASCII only: full-width digits are refused, not read
SEPARATORS = re.compile(r"[ \-]")


def configure(settings: dict[str, Any] | None) -> None:
    """{"card": {"min_length": 16, "max_length": 19, "luhn": true}, …}: replaces the named schemes."""
    _schemes.clear()
    _schemes.update(DEFAULTS)
    for name, spec in (settings or {}).items():
        _schemes[name] = Scheme(int(spec["min_length"]), int(spec["max_length"]), bool(spec.get("luhn", False)))


def scheme(name: str) -> Scheme:
    return _schemes[name]


def luhn_ok(digits: str) -> bool:
    total = 0
    for n, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if n % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def with_check_digit(body: str) -> str:
    """`body` and the Luhn digit that makes it a valid card number (for test data and simulations)."""
    return body + next(d for d in "0123456789" if luhn_ok(body + d))


def normalise(value: str) -> str:
    return SEPARATORS.sub("", value.strip())


def problem(value: str, scheme_name: str) -> str | None:
    """Why `value` (normalised) is not an account number of the scheme, or None."""
    s = scheme(scheme_name)
    if not DIGITS.fullmatch(value):  # not match: "$" would let a trailing newline through
        return N_("An account number has digits only.")
    if not s.min_length <= len(value) <= s.max_length:
        return N_("Too few or too many digits for an account number of this kind.")
    if s.luhn and not luhn_ok(value):
        return N_("The check digit does not match: re-read the card number.")
    return None
