"""Investigation outcome: scoring facts for the scorecard, then the proposed limit and price."""
from __future__ import annotations

from decimal import Decimal

from .. import pricing
from ..eligibility import age_on
from ..money import as_str, money
from ..providers import FakeProviders, Providers
from .common import application


def investigation_facts(ctx, providers: Providers | None = None) -> dict:
    providers = providers or FakeProviders()
    app = application(ctx)
    cust = app.customer
    report = ctx.data.get("investigate") or {}
    if report.get("annual_income"):
        cust.annual_income = money(report["annual_income"])
    if report.get("guarantee"):
        app.guarantee = report["guarantee"]
    if report.get("guarantor_name"):
        app.guarantor_name = report["guarantor_name"]
    if report.get("guarantor_id_number"):  # finds the guarantor's own loans (post-loan risk signals)
        app.guarantor_id_number = str(report["guarantor_id_number"]).strip().upper()
    if report.get("collateral_value"):
        app.collateral_value = money(report["collateral_value"])
    income = float(cust.annual_income or 0)
    bureau = providers.bureau(cust.id_number, cust.name, cust.annual_income or 0)
    collateral = float(app.collateral_value or 0)
    return {
        "credit_history_months": bureau.credit_history_months, "bureau_overdue_max_days": bureau.overdue_max_days,
        "loans_open": bureau.loans_open, "queries_3m": bureau.queries_3m,
        "household_size": 1 + len(report.get("household_members") or []),
        "deposit_balance": float(providers.deposits(cust.id_number)),
        "collateral_ratio": round(collateral / float(app.amount), 4) if collateral else 0.0,
        "age": age_on(cust.birth_date, ctx.now.date()), "annual_income": income,
        "dti": round(float(cust.existing_debt) / income, 4) if income > 0 else 1.0,
        "guarantee": app.guarantee, "site_rating": report.get("site_rating", "none"),
        "relationship_years": cust.relationship_years, "loan_kind": app.product.loan_kind,
    }


def propose_terms(ctx) -> dict:
    app = application(ctx)
    data = ctx.data
    product, cust = app.product, app.customer
    band = data["band"]
    limit = pricing.limit(
        product.max_amount, cust.annual_income, Decimal(str(data["income_multiple"])), cust.existing_debt,
        app.collateral_value, Decimal(str(data["ltv"])), Decimal(str(data["band_factor"])),
    )
    rate = pricing.rate(int(data["spread_bp"]), product.rate_floor, product.rate_cap)
    app.score, app.band, app.proposed_limit = int(data["score"]), band, limit
    app.spread_bp, app.annual_rate = int(round((rate - pricing.LPR_1Y) * 10000)), rate
    amount = min(app.amount, limit)
    outcome, reason = "propose", None
    if band == "E":
        outcome, reason = "decline", "BAND_E"
    elif amount < product.min_amount:
        outcome, reason = "decline", "LIMIT_BELOW_PRODUCT_MIN"
    app.approved_amount = amount if outcome == "propose" else None
    ctx.audit("terms_proposed", {"band": band, "limit": as_str(limit), "amount": as_str(amount),
                                 "annual_rate": str(rate), "outcome": outcome})
    return {"outcome": outcome, "reason": reason, "limit": as_str(limit), "amount": as_str(amount),
            "annual_rate": str(rate), "spread_bp": app.spread_bp, "band": band}
