"""Read models of the post-loan pages: the officer's work surface, one loan, the branch portfolio.

Use cases over one unit of work, called by the views (and callable from anywhere else). Who may read what
is decided here, not in the views: the work surface is a post-loan officer's own; the portfolio is read by
post-loan officers, branch heads (their organisation subtree), auditors and admins (everything); a loan is
read by whoever may read its application, anyone else gets the same NotFound whether or not it exists.
Every figure of a list or a chart is counted by the database (GROUP BY): a branch may hold 100k loans.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from credit import access as rules
from credit.models import Application, Customer, Loan, Org, Product, ScheduleLine, User
from credit.postloan.models import ClassificationChange, LoanInspection, Repayment, RiskSignal
from engine.errors import Forbidden, NotFound
from engine.models import HumanTask

from .. import access
from ..bootstrap import Container
from ..postloan import business_date
from .labels import BUCKETS, CLASSIFICATIONS

PAGE = 20
WORK_POSTS = frozenset({"postloan"})
PORTFOLIO_POSTS = frozenset({"postloan", "branch_head", "auditor", "admin"})
SEVERITY_ORDER = {"alert": 0, "warning": 1, "info": 2}
NON_PERFORMING = ("substandard", "doubtful", "loss")


def page_number(raw: str | None) -> int:
    """A page from a query string: at most 9 ASCII digits (an OFFSET every database takes), else the first."""
    raw = (raw or "1").strip()
    return max(1, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 1


@dataclass
class Page:
    rows: list[Any]
    number: int
    more: bool


def _page(session: Session, query, number: int, size: int = PAGE) -> Page:
    rows = session.execute(query.limit(size + 1).offset((number - 1) * size)).all()
    return Page(rows[:size], number, len(rows) > size)


def _due(model=LoanInspection):
    """The date an open inspection must be done by: its SLA when it has one, else its plan date."""
    return func.coalesce(model.sla_due_on, model.due_on)


def _open_task():
    """The ready task of an inspection's process, for a link into the inbox."""
    return (select(HumanTask.id).where(HumanTask.instance_id == LoanInspection.instance_id,
                                       HumanTask.state == "ready")
            .order_by(HumanTask.created_at).limit(1).scalar_subquery())


# -- the post-loan officer's work surface ---------------------------------------------------------

@dataclass
class WorkSurface:
    as_of: date
    counts: dict[str, Any]
    inspections: Page
    signals: Page
    loans: Page


def work_surface(c: Container, who, inspections_page: int = 1, signals_page: int = 1,
                 loans_page: int = 1) -> WorkSurface:
    """My open inspections (soonest due first), open signals on my loans (most severe first), my loans."""
    if not WORK_POSTS & frozenset(who.posts) or getattr(who, "client_id", None):
        raise Forbidden("the work surface is a post-loan officer's")
    me = who.username
    with c.uow() as uow:
        s = uow.session
        as_of = business_date(c, s)
        mine = and_(Loan.officer == me, Loan.status == "active")
        loans = s.execute(select(func.count(), func.coalesce(func.sum(Loan.outstanding_principal), 0),
                                 func.coalesce(func.sum(case((Loan.days_past_due > 0, 1), else_=0)), 0))
                          .where(mine)).one()
        open_inspections = and_(LoanInspection.officer == me, LoanInspection.status == "open")
        inspections = s.execute(select(func.count(), func.coalesce(func.sum(case((_due() < as_of, 1), else_=0)), 0))
                                .where(open_inspections)).one()
        open_signals = and_(RiskSignal.status == "open", Loan.officer == me)
        signals = s.scalar(select(func.count()).select_from(RiskSignal).join(Loan, Loan.id == RiskSignal.loan_id)
                           .where(open_signals))
        counts = {"loans": loans[0], "balance": loans[1], "overdue_loans": loans[2], "inspections": inspections[0],
                  "overdue_inspections": inspections[1], "signals": signals}
        severity = case(*((RiskSignal.severity == k, v) for k, v in SEVERITY_ORDER.items()), else_=9)
        return WorkSurface(
            as_of, counts,
            _page(s, select(LoanInspection, Customer.name.label("borrower"), _due().label("by"),
                            _open_task().label("task_id"))
                  .join(Loan, Loan.id == LoanInspection.loan_id).join(Customer, Customer.id == Loan.customer_id)
                  .where(open_inspections).order_by(_due(), LoanInspection.id), inspections_page),
            _page(s, select(RiskSignal, Customer.name.label("borrower"))
                  .join(Loan, Loan.id == RiskSignal.loan_id).join(Customer, Customer.id == Loan.customer_id)
                  .where(open_signals).order_by(severity, RiskSignal.as_of.desc(), RiskSignal.id.desc()),
                  signals_page),
            _page(s, select(Loan.id, Loan.principal, Loan.outstanding_principal, Loan.classification,
                            Loan.days_past_due, Loan.maturity_date, Customer.name.label("borrower"),
                            Product.name.label("product"))
                  .join(Customer, Customer.id == Loan.customer_id).join(Product, Product.code == Loan.product_code)
                  .where(mine).order_by(Loan.days_past_due.desc(), Loan.id), loans_page))


# -- one loan -------------------------------------------------------------------------------------

@dataclass
class Instalment:
    line: ScheduleLine
    paid: Decimal
    state: str  # paid | partial | overdue | overdue partial | due

    @property
    def unpaid(self) -> Decimal:
        return self.line.total - self.paid


@dataclass
class LoanView:
    loan: Loan
    as_of: date
    borrower: str
    product: str
    officer_name: str | None
    schedule: list[Instalment]
    repayments: Page
    history: list[ClassificationChange]
    signals: Page
    inspections: list[Any] = field(default_factory=list)

    @property
    def paid_total(self) -> Decimal:
        return sum((i.paid for i in self.schedule), Decimal("0"))


def instalment_state(line: ScheduleLine, as_of: date) -> str:
    paid = (line.paid_principal or 0) + (line.paid_interest or 0)
    if line.paid_at is not None or paid >= line.total:
        return "paid"
    late = line.due_date < as_of
    if paid > 0:
        return "overdue partial" if late else "partial"
    return "overdue" if late else "due"


def loan_view(c: Container, who, loan_id: int, repayments_page: int = 1, signals_page: int = 1) -> LoanView:
    """One loan on one screen; NotFound when `who` may not read it (or there is none)."""
    with c.uow() as uow:
        s = uow.session
        loan = access.loan(s, who, loan_id)
        as_of = business_date(c, s)
        borrower, product = s.execute(select(Customer.name, Product.name).join(Product, Product.code == loan.product_code)
                                      .where(Customer.id == loan.customer_id)).one()
        officer = s.scalar(select(User.name).where(User.username == loan.officer)) if loan.officer else None
        schedule = [Instalment(line, (line.paid_principal or 0) + (line.paid_interest or 0), instalment_state(line, as_of))
                    for line in loan.schedule]
        history = list(s.scalars(select(ClassificationChange).where(ClassificationChange.loan_id == loan.id)
                                 .order_by(ClassificationChange.as_of.desc(), ClassificationChange.id.desc()).limit(100)))
        inspector = select(User.name).where(User.username == LoanInspection.officer).limit(1).scalar_subquery()
        inspections = s.execute(select(LoanInspection, inspector.label("officer_name"), _due().label("by"),
                                       _open_task().label("task_id"))
                                .where(LoanInspection.loan_id == loan.id)
                                .order_by(LoanInspection.due_on.desc(), LoanInspection.id.desc()).limit(100)).all()
        return LoanView(
            loan, as_of, borrower, product, officer, schedule,
            _page(s, select(Repayment).where(Repayment.loan_id == loan.id)
                  .order_by(Repayment.paid_at.desc(), Repayment.id.desc()), repayments_page),
            history,
            _page(s, select(RiskSignal).where(RiskSignal.loan_id == loan.id)
                  .order_by(RiskSignal.as_of.desc(), RiskSignal.id.desc()), signals_page),
            inspections)


# -- the branch portfolio -------------------------------------------------------------------------

@dataclass
class Portfolio:
    as_of: date
    totals: dict[str, Any]
    by_classification: list[dict[str, Any]]
    buckets: list[dict[str, Any]]
    inspections_by_officer: list[dict[str, Any]]
    signal_months: list[str]
    signals_by_code: dict[str, list[int]]
    org: Org | None = None  # the branch or outlet narrowed to, if any
    orgs: list[Org] = field(default_factory=list)  # those the reader may narrow to


def _month(session: Session, column):
    """'YYYY-MM' of a date, in the database's own words."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _months(as_of: date, n: int = 12) -> list[str]:
    y, m, out = as_of.year, as_of.month, []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def _narrowed(s: Session, v: rules.Viewer, org_code: str | None) -> tuple[Org | None, list[Org], Any]:
    """The organisations the reader may narrow the portfolio to (a branch or an outlet of their scope; any for
    those who read everything), the one chosen (NotFound for one out of reach) and its condition on loans."""
    others = select(Org).where(Org.level != "head_office").order_by(Org.code)
    if not v.reads_everything:
        others = others.where(Org.id.in_(v.org_ids or ()))
    orgs = list(s.scalars(others))
    if org_code is None:
        return None, orgs, None
    org = next((o for o in orgs if o.code == org_code), None)
    if org is None:
        raise NotFound(f"no organisation {org_code}")
    ids = frozenset(rules.subtree(s, org.id))
    return org, orgs, Loan.application_id.in_(select(Application.id).where(rules.in_orgs(ids)))


def portfolio(c: Container, who, org_code: str | None = None) -> Portfolio:
    """The loans `who` may see (of one branch or outlet, if named), counted: by classification, overdue bucket,
    inspections by officer, signals by type and month."""
    if not PORTFOLIO_POSTS & frozenset(who.posts) or getattr(who, "client_id", None):
        raise Forbidden("the portfolio is for post-loan officers, branch heads, auditors and admins")
    with c.uow() as uow:
        s = uow.session
        as_of = business_date(c, s)
        v = access.viewer(s, who)
        org, orgs, narrowed = _narrowed(s, v, org_code)
        scope = access.loans_seen(v) if narrowed is None else and_(access.loans_seen(v), narrowed)
        # One pass over the scope's active loans, grouped by classification and overdue bucket (at most 30 groups):
        # the key numbers, the classifications and the buckets are sums of those groups.
        bucket = case(*((and_(Loan.days_past_due >= lo, Loan.days_past_due <= hi) if hi else Loan.days_past_due >= lo,
                         literal(key)) for key, lo, hi in BUCKETS), else_=literal("current"))
        groups = s.execute(
            select(Loan.classification, bucket.label("bucket"), func.count(),
                   func.coalesce(func.sum(Loan.outstanding_principal), 0),
                   func.coalesce(func.sum(Loan.overdue_principal + Loan.overdue_interest), 0))
            .where(scope, Loan.status == "active").group_by(Loan.classification, "bucket")).all()
        zero = Decimal("0")

        def total(rows, at):
            return sum((r[at] for r in rows), 0 if at == 2 else zero)

        late_groups = [g for g in groups if g[1] != "current"]
        balance, npl = total(groups, 3), total([g for g in groups if g[0] in NON_PERFORMING], 3)
        totals = {"loans": total(groups, 2), "balance": balance, "overdue_loans": total(late_groups, 2),
                  "overdue_balance": total(late_groups, 3), "overdue_amount": total(groups, 4), "npl_balance": npl,
                  "npl_ratio": (Decimal(npl) / Decimal(balance) * 100) if balance else zero}
        by_classification = [{"code": code, "loans": total([g for g in groups if g[0] == code], 2),
                              "balance": total([g for g in groups if g[0] == code], 3)} for code in CLASSIFICATIONS]
        buckets = [{"key": key, "loans": total([g for g in groups if g[1] == key], 2),
                    "balance": total([g for g in groups if g[1] == key], 3),
                    "overdue_amount": total([g for g in groups if g[1] == key], 4)} for key, _lo, _hi in BUCKETS]

        late = func.sum(case((_due() < as_of, 1), else_=0))
        by_officer = s.execute(
            select(LoanInspection.officer, func.count().label("open"), func.coalesce(late, 0).label("overdue"))
            .join(Loan, Loan.id == LoanInspection.loan_id)
            .where(scope, LoanInspection.status == "open").group_by(LoanInspection.officer)
            .order_by(func.count().desc(), LoanInspection.officer).limit(30)).all()
        names = dict(s.execute(select(User.username, User.name).where(
            User.username.in_([r.officer for r in by_officer if r.officer]))).all()) if by_officer else {}
        inspections_by_officer = [{"officer": r.officer, "name": names.get(r.officer, r.officer), "open": r.open,
                                   "overdue": r.overdue} for r in by_officer]

        months = _months(as_of)
        since = date.fromisoformat(months[0] + "-01")
        month = _month(s, RiskSignal.as_of)
        series: dict[str, list[int]] = {}
        for m, code, n in s.execute(select(month.label("month"), RiskSignal.code, func.count())
                                    .join(Loan, Loan.id == RiskSignal.loan_id)
                                    .where(scope, RiskSignal.as_of >= since, RiskSignal.as_of <= as_of)
                                    .group_by("month", RiskSignal.code).order_by(RiskSignal.code)):
            if m in months:
                series.setdefault(code, [0] * len(months))[months.index(m)] = n
        return Portfolio(as_of, totals, by_classification, buckets, inspections_by_officer, months, series, org, orgs)


def soon(as_of: date, by: date | None, days: int = 7) -> str:
    """'overdue', 'soon' (within a week) or '' for a date something must be done by."""
    if by is None:
        return ""
    if by < as_of:
        return "overdue"
    return "soon" if by <= as_of + timedelta(days=days) else ""

