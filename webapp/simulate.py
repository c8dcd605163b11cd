"""`creditfactory simulate`: applications flowing through the factory as the demo officers would
work them, so that a demo, the inbox and the audit trail have realistic traffic to show.

Every step goes through the same services an officer's click does (submission, allocation,
separation of duties, form validation, DMN decisions, contract rendering), never around them.
"""
from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from credit import idnumber, services
from credit.models import Application, CreditDecision, Product, User
from engine.errors import Forbidden
from engine.models import HumanTask
from engine.runtime import Actor
from forms import accounts

from . import services as use_cases
from .bootstrap import Container

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "秀英", "志强", "桂兰", "海燕", "永红", "晓明", "春梅", "国庆", "丽娟", "文华", "德明"]
PURPOSES = {"consumer": ["家庭装修", "购置家电", "子女教育"], "business": ["购买种苗化肥", "扩大养殖", "门店进货"]}
VILLAGES = [f"V0{i}" for i in range(1, 10)]
MIX = [("RUYI", 4), ("NONGHU", 3), ("JINGYING", 1), ("SHANDAI", 2)]
MAX_STEPS = 40  # per application: far more human tasks than any path has


@dataclass
class Outcome:
    applications: list[int] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    tasks_completed: int = 0
    reasons: Counter = field(default_factory=Counter)  # why the rejected ones were refused, in the rules' words
    waiting: dict[int, str] = field(default_factory=dict)  # application -> the task nobody here may take
    seconds: float = 0.0


def simulate(c: Container, applications: int, seed: int = 0, approve_share: float = 0.9) -> Outcome:
    """Submit `applications` applications and work their human tasks until each rests."""
    rng = random.Random(seed)
    started = time.perf_counter()
    outcome = Outcome()
    with c.uow() as uow:
        first = (uow.session.scalar(select(func.count(Application.id))) or 0) + 1
        products = {p.code: p for p in uow.session.scalars(select(Product))}
        officers = [Actor(u.username, frozenset(u.posts or [])) for u in
                    uow.session.scalars(select(User).where(User.on_leave.is_(False)).order_by(User.username))]
    for seq in range(first, first + applications):
        app_id = _submit(c, rng, seq, products)
        outcome.applications.append(app_id)
        _work(c, rng, app_id, officers, approve_share, outcome)
    with c.uow() as uow:
        for app_id in outcome.applications:
            app = uow.session.get(Application, app_id)
            outcome.statuses[app.status] += 1
            decisions = list(uow.session.scalars(select(CreditDecision).where(CreditDecision.application_id == app_id)
                                                 .order_by(CreditDecision.id)))
            outcome.reasons.update(services.rejection_explanations(app, decisions))
    outcome.seconds = time.perf_counter() - started
    return outcome


def _submit(c: Container, rng: random.Random, seq: int, products: dict[str, Product]) -> int:
    code = rng.choices([m[0] for m in MIX], [m[1] for m in MIX])[0]
    product = products[code]
    term = rng.choice([t for t in (3, 6, 12, 24, 36, 60) if product.min_term <= t <= product.max_term])
    top = min(product.max_amount, Decimal(300_000) if code != "JINGYING" else Decimal(1_500_000))
    amount = Decimal(rng.randrange(int(product.min_amount) // 1000, int(top) // 1000 + 1) * 1000)
    born = date(1966 + rng.randrange(0, 36), rng.randrange(1, 13), rng.randrange(1, 29))
    body = {"product_code": code, "amount": str(amount), "term_months": term,
            "purpose": rng.choice(PURPOSES[product.purpose_type]),
            "channel": "mobile_banking" if product.automated else "manager_app",
            "applicant": {"name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                          # sequence codes 900-999 are the fake providers' signals: stay below them
                          "id_number": idnumber.make("320324", born, seq % 900),
                          "phone": f"139{seq:08d}"[-11:], "annual_income": str(rng.randrange(60, 400) * 1000),
                          "village_code": rng.choice(VILLAGES)}}
    app, _ = use_cases.submit_application(c, "manager1", body)
    return app.id


def _work(c: Container, rng: random.Random, app_id: int, officers: list[Actor], approve_share: float,
          outcome: Outcome) -> None:
    for _ in range(MAX_STEPS):
        with c.uow() as uow:
            task = uow.session.scalars(select(HumanTask).where(
                HumanTask.business_key == str(app_id), HumanTask.state == "ready").order_by(HumanTask.created_at)).first()
            if task is None:
                return
            actor = next((a for a in officers if c.runtime.may_work(uow.session, task, a) is None), None)
            if actor is None:
                outcome.waiting[app_id] = task.spec_name
                return
            data = _form(task.form_key, rng, approve_share, app_id, uow.session)
            if data is None:
                outcome.waiting[app_id] = task.spec_name
                return
        try:
            use_cases.complete_task(c, actor, task.id, data)
        except Forbidden:
            outcome.waiting[app_id] = task.spec_name
            return
        outcome.tasks_completed += 1
    outcome.waiting[app_id] = "step limit"


def _form(form_key: str, rng: random.Random, approve_share: float, app_id: int, session) -> dict | None:
    app = session.get(Application, app_id)
    if form_key == "complete_application":
        return {"annual_income": str(rng.randrange(80, 400) * 1000)}
    if form_key == "investigation_report":
        guarantee = app.product.guarantee
        report = {"site_rating": rng.choice(["good", "good", "fair"]), "findings": "实地走访，经营与家庭情况属实",
                  "annual_income": str(rng.randrange(100, 500) * 1000), "guarantee": guarantee}
        if guarantee == "guarantee":
            report["guarantor_name"] = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if guarantee == "mortgage":
            report["collateral_value"] = str(int(app.amount) * 2)
        return report
    if form_key == "investigation_cosign":
        return {"agree": True}
    if form_key in ("approval", "committee_vote"):
        if rng.random() < approve_share:
            return {"decision": "approve"}
        return {"decision": "reject", "reason": "负债收入比偏高，还款来源不足"}
    if form_key == "contract_signing":
        return {"signed": True, "signing_place": "城关支行营业厅"}
    if form_key == "disbursement_check":
        return {"passed": True, "account_no": accounts.with_check_digit(f"622848{app_id:09d}")}
    return None  # inspections and manual allocation wait for a person
