"""Repayment schedules for the four methods banks use. The last period absorbs rounding,
so principal always sums exactly to the amount lent."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from .money import fen

EQUAL_INSTALMENT = "equal_instalment"  # 等额本息
EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
INTEREST_ONLY = "interest_only"  # 按月付息到期还本
BULLET = "bullet"  # 利随本清

METHODS = {
    EQUAL_INSTALMENT: "等额本息",
    EQUAL_PRINCIPAL: "等额本金",
    INTEREST_ONLY: "按月付息到期还本",
    BULLET: "利随本清",
}


@dataclass(frozen=True)
class Line:
    period: int
    due_date: date
    principal: Decimal
    interest: Decimal
    total: Decimal
    remaining_principal: Decimal


def add_months(start: date, months: int) -> date:
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def annuity_payment(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """The 等额本息 instalment, to the fen: P·r(1+r)^n / ((1+r)^n − 1), r = annual / 12."""
    if annual_rate == 0:
        return fen(principal / months)
    with localcontext() as ctx:
        ctx.prec = 40
        r = annual_rate / 12
        growth = (1 + r) ** months
        return fen(principal * r * growth / (growth - 1))


def build(method: str, principal: Decimal, annual_rate: Decimal, months: int, start: date) -> list[Line]:
    if method not in METHODS:
        raise ValueError(f"unknown repayment method {method}")
    if principal <= 0 or months <= 0:
        raise ValueError("principal and term must be positive")
    monthly = annual_rate / 12
    if method == BULLET:
        interest = fen(principal * annual_rate * months / 12)
        return [Line(1, add_months(start, months), principal, interest, principal + interest, Decimal("0.00"))]
    lines: list[Line] = []
    remaining = principal
    instalment = annuity_payment(principal, annual_rate, months) if method == EQUAL_INSTALMENT else None
    even_principal = fen(principal / months)
    for period in range(1, months + 1):
        interest = fen(remaining * monthly)
        last = period == months
        if last:
            part = remaining
        elif method == EQUAL_INSTALMENT:
            part = instalment - interest
        elif method == EQUAL_PRINCIPAL:
            part = even_principal
        else:  # interest only
            part = Decimal("0.00")
        remaining = remaining - part
        lines.append(Line(period, add_months(start, period), part, interest, part + interest, remaining))
    return lines
