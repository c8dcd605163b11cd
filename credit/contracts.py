"""What goes into a contract: every element filled from the application and the loan, never retyped."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import contract_templates, documents, pricing, schedules
from .capitals import rmb
from .models import Application, GridCell, Loan, Org

CHINA = timezone(timedelta(hours=8))
PAYMENT_MODES = {"entrusted": "受托支付", "self": "自主支付"}
GUARANTEES = {"credit": "信用", "guarantee": "保证", "mortgage": "抵押"}
ENTRY = "contract"


def _cn_date(d: date | datetime | None) -> str:
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = d.astimezone(CHINA).date()
    return f"{d.year}年{d.month}月{d.day}日"


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).quantize(Decimal('0.01'))}%"


def schedule_rows(lines) -> list[dict[str, Any]]:
    return [{"period": s.period, "due_date": s.due_date.isoformat(), "principal": f"{s.principal:,.2f}",
             "interest": f"{s.interest:,.2f}", "total": f"{s.total:,.2f}", "remaining_principal": f"{s.remaining_principal:,.2f}"}
            for s in lines]


def schedule_totals(lines) -> dict[str, str]:
    return {"principal": f"{sum(s.principal for s in lines):,.2f}", "interest": f"{sum(s.interest for s in lines):,.2f}",
            "total": f"{sum(s.total for s in lines):,.2f}"}


def context(session: Session, app: Application, loan: Loan) -> dict[str, Any]:
    cust, product = app.customer, app.product
    village = session.get(GridCell, app.village_code) if app.village_code else None
    hq = session.scalars(select(Org).where(Org.level == "head_office")).first()
    spread = int(round((loan.annual_rate - pricing.LPR_1Y) * 10000))
    return {
        "sample": False,
        "documents": list(product.templates or ["loan_contract"]),
        "contract": {"number": app.contract_no, "date": _cn_date(loan.disbursed_at),
                     "signed_by": app.signed_by or "", "signed_at": _cn_date(app.signed_at)},
        "bank": {"name": hq.name if hq else "", "address": "清河县人民路1号"},
        "borrower": {"name": cust.name, "id_number": cust.id_number, "phone": cust.phone,
                     "address": f"清河县{village.name}" if village else "清河县"},
        "loan": {"amount_figures": f"{loan.principal:,.2f}", "amount_capitals": rmb(loan.principal),
                 "purpose": app.purpose or product.name, "term_months": loan.term_months,
                 "start_date": _cn_date(loan.disbursed_at), "end_date": _cn_date(loan.maturity_date),
                 "lpr_date": pricing.LPR_DATE, "lpr_percent": _percent(pricing.LPR_1Y), "spread_bp": spread,
                 "annual_rate_percent": _percent(loan.annual_rate), "method_name": schedules.METHODS[loan.repayment_method],
                 "payment_mode": loan.payment_mode, "payment_mode_name": PAYMENT_MODES.get(loan.payment_mode, loan.payment_mode),
                 "guarantee": app.guarantee, "guarantee_name": GUARANTEES.get(app.guarantee, app.guarantee),
                 "guarantor": app.guarantor_name or "", "account": app.disbursement_account or "借款人在本行开立的结算账户"},
        "schedule": schedule_rows(loan.schedule),
        "totals": schedule_totals(loan.schedule),
    }


def sample_context(term_months: int = 12) -> dict[str, Any]:
    """Data for validating and previewing templates: every element present, clearly a sample."""
    start = date(2026, 1, 15)
    lines = schedules.build(schedules.EQUAL_INSTALMENT, Decimal("100000.00"), Decimal("0.0435"), term_months, start)
    return {
        "sample": True,
        "documents": ["loan_contract", "guarantee_contract", "drawdown_receipt"],
        "contract": {"number": "CF202601150000001", "date": "2026年1月15日", "signed_by": "样本", "signed_at": "2026年1月15日"},
        "bank": {"name": "清河农商银行总行", "address": "清河县人民路1号"},
        "borrower": {"name": "张三", "id_number": "320324199006150214", "phone": "13800138000", "address": "清河县杨庄村"},
        "loan": {"amount_figures": "100,000.00", "amount_capitals": rmb(Decimal("100000")), "purpose": "家庭装修",
                 "term_months": term_months, "start_date": _cn_date(start), "end_date": _cn_date(lines[-1].due_date),
                 "lpr_date": pricing.LPR_DATE,
                 "lpr_percent": "3.00%", "spread_bp": 135, "annual_rate_percent": "4.35%", "method_name": "等额本息",
                 "payment_mode": "entrusted", "payment_mode_name": "受托支付", "guarantee": "guarantee",
                 "guarantee_name": "保证", "guarantor": "李四", "account": "6228480012345671"},
        "schedule": schedule_rows(lines),
        "totals": schedule_totals(lines),
        "inspection": {"date": "2026年2月10日", "officer": "postloan1", "fund_usage": "按约定用途", "business_status": "正常",
                       "risk_signal": "否", "findings": "资金用于装修,现场核实无异常。"},
    }


def render_contract(session: Session, app: Application, loan: Loan, now: datetime,
                    to_pdf: Callable[[str], bytes]) -> contract_templates.Contract:
    pdf, versions = contract_templates.render(session, ENTRY, context(session, app, loan), to_pdf)
    contract = contract_templates.Contract(application_id=app.id, sha256=documents.keep(session, pdf), size=len(pdf),
                                           template_versions=versions, rendered_at=now)
    session.add(contract)
    session.flush()
    return contract
