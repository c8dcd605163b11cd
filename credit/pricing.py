"""Limit and rate arithmetic around the DMN outputs: the tables give multiples, factors
and spreads; the caps and floors of the product are applied here."""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

# 1-year Loan Prime Rate; a bank updates this monthly (configuration, not code, in time).
LPR_1Y = Decimal("0.0300")
LPR_DATE = "2026年10月20日"


def limit(product_cap: Decimal, income: Decimal, income_multiple: Decimal, existing_debt: Decimal,
          collateral: Decimal, ltv: Decimal, band_factor: Decimal) -> Decimal:
    """min(product cap, income multiple − existing debt, collateral × LTV) × band factor, in whole hundreds."""
    candidates = [product_cap, income * income_multiple - existing_debt]
    if ltv > 0 and collateral > 0:
        candidates.append(collateral * ltv)
    raw = max(Decimal(0), min(candidates)) * band_factor
    return (raw / 100).to_integral_value(rounding=ROUND_DOWN) * 100


def rate(spread_bp: int, floor: Decimal, cap: Decimal, lpr: Decimal = LPR_1Y) -> Decimal:
    return min(max(lpr + Decimal(spread_bp) / Decimal(10000), floor), cap)
