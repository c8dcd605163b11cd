"""Intake: the facts admission and anti-fraud rules look at, and the outcomes of intake."""
from __future__ import annotations

from datetime import timedelta, timezone

from sqlalchemy import func, select

from .. import idnumber
from ..eligibility import age_on
from ..models import Application, Customer, GridCell
from ..money import money
from ..providers import FakeProviders, Providers

VIRTUAL_PREFIXES = ("162", "165", "167", "170", "171")
CHINA = timezone(timedelta(hours=8))
from .common import application, set_status as _set_status


def admission_facts(ctx, providers: Providers | None = None) -> dict:
    providers = providers or FakeProviders()
    app = application(ctx)
    cust: Customer = app.customer
    extra = ctx.data.get("complete_application")
    if extra:  # the customer manager filled in what was missing
        if extra.get("annual_income") is not None:
            cust.annual_income = money(extra["annual_income"])
        if extra.get("village_code"):
            cust.village_code = app.village_code = extra["village_code"]
        if extra.get("phone"):
            cust.phone = extra["phone"]
    product = app.product
    today = ctx.now.date()
    age = age_on(cust.birth_date, today)
    income = float(cust.annual_income or 0)
    session = ctx.session
    shared = session.scalar(select(func.count(func.distinct(Customer.id))).where(Customer.phone == cust.phone)) or 0
    recent = session.scalar(select(func.count(Application.id)).where(
        Application.customer_id == cust.id, Application.created_at >= ctx.now - timedelta(days=30))) or 0
    in_area = app.village_code is not None and session.get(GridCell, app.village_code) is not None
    bureau = providers.bureau(cust.id_number, cust.name, cust.annual_income or 0)
    courts = providers.courts(cust.id_number)
    telecom = providers.telecom(cust.phone, cust.id_number)
    verified = float(bureau.verified_income or 0)
    other_products = session.scalar(select(func.count(Application.id)).where(
        Application.customer_id == cust.id, Application.product_code != app.product_code,
        Application.created_at >= ctx.now - timedelta(days=7))) or 0
    devices = 0
    if app.device_id:
        devices = session.scalar(select(func.count(func.distinct(Application.customer_id))).where(
            Application.device_id == app.device_id)) or 0
    blacklisted_phone = session.scalar(select(func.count(Customer.id)).where(
        Customer.phone == cust.phone, Customer.id != cust.id, Customer.blacklisted.is_(True))) or 0
    missing = []
    if income <= 0:
        missing.append("annual_income")
    if product.loan_kind == "farm" and not app.village_code:
        missing.append("village_code")
    return {
        "product_code": product.code, "loan_kind": product.loan_kind,
        "age": age, "age_at_maturity": round(age + app.term_months / 12, 2),
        "id_valid": idnumber.problem(cust.id_number) is None, "blacklisted": bool(cust.blacklisted),
        "amount": float(app.amount), "term_months": app.term_months,
        "product_min_amount": float(product.min_amount), "product_max_amount": float(product.max_amount),
        "product_min_term": product.min_term, "product_max_term": product.max_term,
        "overdue_count": cust.overdue_count, "dti": round(float(cust.existing_debt) / income, 4) if income > 0 else 0.0,
        "phone_shared_count": shared, "applications_30d": recent, "in_service_area": in_area,
        "phone_matches_id": telecom.real_name_matches, "missing": missing,
        "court_enforcement": courts.enforcement_cases, "litigation_cases": courts.litigation_cases,
        "tax_arrears": providers.tax(cust.id_number).arrears,
        "bureau_overdue_max_days": bureau.overdue_max_days, "bureau_queries_3m": bureau.queries_3m,
        "loans_open": bureau.loans_open, "name_matches_id": bureau.name_matches_id,
        "amount_income_ratio": round(float(app.amount) / income, 4) if income > 0 else 99.0,
        "phone_months": telecom.tenure_months, "phone_virtual": cust.phone.startswith(VIRTUAL_PREFIXES),
        "income_vs_bureau": round(income / verified, 4) if verified > 0 else 1.0,
        "submit_hour": app.created_at.astimezone(CHINA).hour, "other_product_apps_7d": other_products,
        "device_shared_count": devices, "on_watchlist": providers.watchlisted(cust.id_number),
        "phone_of_blacklisted": blacklisted_phone > 0,
    }


def set_status(ctx, status: str) -> dict:
    _set_status(ctx, application(ctx), status)
    return {"status": status}


def reject(ctx, stage: str) -> dict:
    app = application(ctx)
    data = ctx.data
    if stage == "admission":
        reasons = list(data.get("admission_refusals", [])) + list(data.get("fraud_hits", []))
    elif stage == "investigation":
        reasons = [data.get("proposal", {}).get("reason") or "INVESTIGATION_DECLINED"]
    else:
        reasons = [data.get("approval_result", {}).get("reason") or "APPROVAL_DECLINED"]
    app.rejection_reasons = reasons
    _set_status(ctx, app, "rejected")
    return {"stage": stage, "reasons": reasons}


def mark_returned(ctx) -> dict:
    app = application(ctx)
    _set_status(ctx, app, "returned")
    return {"reason": ctx.data.get("approval_result", {}).get("reason", "")}
