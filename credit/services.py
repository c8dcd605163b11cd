"""Use cases of the lending domain. Collaborators (the workflow runtime) come in as
arguments; nothing here commits: the caller's unit of work does."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import eligibility, idnumber
from .models import Application, CreditDecision, Customer, GridAssignment, GridCell, Product, User
from .money import money

APPLICATION_PROCESS = "loan_application"


class Runtime(Protocol):
    def start(self, session, process_id, data, actor, business_key=None): ...
    def hold_duty(self, session, business_key, duty, username): ...


class SubmissionRefused(ValueError):
    """Field -> messages, for input the domain refuses (unknown product, bad ID...)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class IdempotencyMismatch(Exception):
    """The same Idempotency-Key came with a different request body."""


def request_fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def find_by_idempotency_key(session: Session, submitted_by: str, key: str) -> Application | None:
    return session.scalars(select(Application).where(
        Application.submitted_by == submitted_by, Application.idempotency_key == key)).first()


def _intake_officer(session: Session, submitter: User | None, village_code: str | None) -> str | None:
    if submitter is not None and "customer_manager" in (submitter.posts or []):
        return submitter.username
    if village_code:
        found = session.scalars(select(GridAssignment).where(
            GridAssignment.cell_code == village_code, GridAssignment.post == "customer_manager")
            .order_by(GridAssignment.rank)).first()
        if found is not None:
            return found.user.username
    return None


def submit_application(session: Session, runtime: Runtime, body: dict[str, Any], submitted_by: str,
                       idempotency_key: str | None, now: datetime, client_id: str | None = None,
                       age_rules: eligibility.AgeRules | None = None) -> tuple[Application, bool]:
    """Record an application and start its process. Returns (application, created).
    `client_id`: the channel client that submitted it (it may read it back; nobody else's).
    Refused (SubmissionRefused, nothing recorded) when the product, the age rules or the applicant say no."""
    fingerprint = request_fingerprint(body)
    if idempotency_key:
        existing = find_by_idempotency_key(session, submitted_by, idempotency_key)
        if existing is not None:
            if existing.request_hash != fingerprint:
                raise IdempotencyMismatch("Idempotency-Key was used with a different request")
            return existing, False
    product = session.get(Product, body["product_code"])
    if product is None:
        raise SubmissionRefused({"product_code": [f"unknown product {body['product_code']}"]})
    person = body["applicant"]
    problem = idnumber.problem(person["id_number"])
    if problem:
        raise SubmissionRefused({"applicant": {"id_number": [problem]}})  # type: ignore[dict-item]
    village_code = person.get("village_code")
    if village_code and getattr(session.get(GridCell, village_code), "level", None) != "village":
        raise SubmissionRefused({"applicant": {"village_code": ["Unknown village."]}})  # type: ignore[dict-item]
    born = idnumber.birth_date(person["id_number"])
    if person.get("birth_date") and person["birth_date"] != born:
        raise SubmissionRefused({"applicant": {"birth_date": ["does not match the ID number"]}})  # type: ignore[dict-item]
    refused = eligibility.problems(product, money(body["amount"]), body["term_months"], body.get("repayment_method"),
                                   born, now.astimezone(eligibility.CHINA).date(), age_rules)
    if refused:
        raise SubmissionRefused(refused)
    customer = session.scalars(select(Customer).where(Customer.id_number == person["id_number"])).first()
    if customer is None:
        customer = Customer(id_number=person["id_number"], name=person["name"], phone=person["phone"],
                            birth_date=born, annual_income=money(person.get("annual_income") or 0),
                            village_code=person.get("village_code"), created_at=now)
        session.add(customer)
    else:
        customer.name, customer.phone = person["name"], person["phone"]
        if person.get("annual_income") is not None:
            customer.annual_income = money(person["annual_income"])
        if person.get("village_code"):
            customer.village_code = person["village_code"]
    submitter = session.scalars(select(User).where(User.username == submitted_by)).first()
    village = person.get("village_code") or customer.village_code
    intake = _intake_officer(session, submitter, village)
    app = Application(
        product_code=product.code, customer=customer, amount=money(body["amount"]), term_months=body["term_months"],
        purpose=body.get("purpose") or "", channel=body.get("channel") or "api", status="submitted",
        submitted_by=submitted_by, intake_user=intake, idempotency_key=idempotency_key, request_hash=fingerprint,
        village_code=village, guarantee=product.guarantee, created_at=now, updated_at=now,
        device_id=body.get("device_id"), client_id=client_id,
    )
    session.add(app)
    session.flush()
    if intake:
        runtime.hold_duty(session, str(app.id), "intake", intake)
    instance = runtime.start(session, APPLICATION_PROCESS, {
        "application_id": app.id, "product_code": product.code, "intake_user": intake,
    }, actor=submitted_by, business_key=str(app.id))
    app.instance_id = instance.id
    return app, True


def store_decisions(session: Session, business_key: str | None, decisions: list[dict]) -> None:
    """Decision sink for the runtime: keep every evaluation beside the application."""
    if not business_key:
        return
    for d in decisions:
        session.add(CreditDecision(
            application_id=int(business_key), table=d["table"], version=d["version"], inputs=d["inputs"],
            outputs=d["outputs"], matched_rules=d["matched_rules"], descriptions=d.get("descriptions", []),
            context=d.get("context", {}),
            at=datetime.fromisoformat(d["at"]),
        ))


def decisions_of(session: Session, application_id: int) -> list[CreditDecision]:
    return list(session.scalars(select(CreditDecision).where(CreditDecision.application_id == application_id)
                                .order_by(CreditDecision.id)))




REFUSING_TABLES = ("admission", "anti_fraud")


def rejection_explanations(app, decisions: list[CreditDecision]) -> list[str]:
    """Why an application was refused, in the words of the rules that refused it."""
    if app.status != "rejected":
        return []
    latest: dict[str, CreditDecision] = {}
    for d in decisions:
        latest[d.table] = d
    words = [text for t in REFUSING_TABLES if t in latest for text in latest[t].descriptions]
    if words:
        return words
    return [r for r in (app.rejection_reasons or []) if r]
