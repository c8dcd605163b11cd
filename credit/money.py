"""Money is Decimal, rounded half-up to the fen (0.01 CNY)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")


def money(value) -> Decimal:
    """Parse an amount (str, int or Decimal) exactly; floats are refused to keep fen exact."""
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def as_str(value: Decimal | None) -> str | None:
    return None if value is None else str(fen(value))


def rate_str(value: Decimal | None) -> str | None:
    return None if value is None else format(value.quantize(Decimal("0.000001")).normalize(), "f")
