"""Read models for pages: the inbox joined with applications, and one application on one screen."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, cast, false, func, or_, select
from sqlalchemy.orm import Session

from credit import access as rules, documents, services
from credit.models import Application, Customer, GridCell, Loan
from engine import inbox as task_queue
from engine.errors import NotFound
from engine.models import AuditEvent, HumanTask
from engine.runtime import SodPolicy
from forms.fields import AMOUNT, MAX_AMOUNT

from . import access

PAGE = 20


@dataclass
class InboxFilters:
    tab: str = "mine"  # mine | queue | all (branch heads: their branch; admins: everything)
    product: str | None = None
    stage: str | None = None
    village: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    q: str | None = None
    page: int = 1
    sort: str = "due"  # a key of SORTS; anything else sorts by due date
    desc: bool = False
    overdue: bool = False

    @classmethod
    def parse(cls, args) -> "InboxFilters":
        def money(name):  # plain ASCII decimals within a Numeric(18, 2); sNaN, 1e309 or ９ filter nothing
            raw = (args.get(name) or "").strip()
            return Decimal(raw) if AMOUNT.fullmatch(raw) and abs(Decimal(raw)) <= MAX_AMOUNT else None

        raw_page = args.get("page") or "1"  # at most 9 ASCII digits: an OFFSET every database takes
        page = max(1, int(raw_page)) if raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 9 else 1
        tab = args.get("tab", "mine")
        return cls(tab=tab if tab in ("mine", "queue", "all") else "mine", product=args.get("product") or None,
                   stage=args.get("stage") or None, village=args.get("village") or None,
                   min_amount=money("min_amount"), max_amount=money("max_amount"),
                   q=(args.get("q") or "").strip() or None, page=page,
                   sort=args.get("sort") if args.get("sort") in SORTS else "due", desc=args.get("dir") == "desc",
                   overdue=args.get("overdue") == "1")


@dataclass
class InboxRow:
    task: HumanTask
    application: Application | None
    village_name: str | None


# The inbox table's columns (issue 13): what each sorts on; ties go by due date, then age.
SORTS = {"due": HumanTask.due_at, "product": Application.product_code, "amount": Application.amount,
         "village": Application.village_code, "stage": HumanTask.spec_name, "age": HumanTask.created_at}


def _tab(session: Session, who, sod: SodPolicy, tab: str):
    actor, v = access.actor(who), access.viewer(session, who)
    if tab == "mine":
        return HumanTask.assignee == actor.username
    if tab == "queue":
        return task_queue.in_queue(actor) & ~task_queue.conflicts(actor, sod) & access.tasks_seen(v)
    return access.tasks_seen(v) if rules.may_reassign(actor.posts) else false()


def inbox_counts(session: Session, who, sod: SodPolicy, tabs: list[str]) -> dict[str, int]:
    """How many open tasks each tab holds, before any filter."""
    return {tab: session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.state == "ready", _tab(session, who, sod, tab))) for tab in tabs}


def inbox(session: Session, who, sod: SodPolicy, f: InboxFilters,
          now: datetime | None = None) -> tuple[list[InboxRow], bool]:
    """The inbox tabs, each narrowed to what `who` may see (the `all` tab only for those who reassign)."""
    app_id = cast(HumanTask.business_key, Integer)
    query = (select(HumanTask, Application, GridCell.name)
             .outerjoin(Application, Application.id == app_id)
             .outerjoin(Customer, Customer.id == Application.customer_id)
             .outerjoin(GridCell, GridCell.code == Application.village_code)
             .where(HumanTask.state == "ready", _tab(session, who, sod, f.tab)))
    if f.overdue and now is not None:
        query = query.where(HumanTask.due_at < now)
    if f.product:
        query = query.where(Application.product_code == f.product)
    if f.stage:
        query = query.where(HumanTask.spec_name == f.stage)
    if f.village:
        query = query.where(Application.village_code == f.village)
    if f.min_amount is not None:
        query = query.where(Application.amount >= f.min_amount)
    if f.max_amount is not None:
        query = query.where(Application.amount <= f.max_amount)
    if f.q:
        like = f"%{f.q}%"
        query = query.where(or_(Customer.name.like(like), Customer.id_number == f.q.upper()))
    key = SORTS[f.sort] if f.sort in SORTS else HumanTask.due_at
    # Age runs the other way from the time a task was created; what has no value goes last either way.
    newest_first = f.desc != (f.sort == "age")
    order = [key.is_(None), key.desc() if newest_first else key.asc()]
    rows = session.execute(query.order_by(*order, HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at,
                                          HumanTask.id)
                           .limit(PAGE + 1).offset((f.page - 1) * PAGE)).all()
    return [InboxRow(t, a, v) for t, a, v in rows[:PAGE]], len(rows) > PAGE


@dataclass
class ApplicationView:
    application: Application
    village_name: str | None
    tasks: list[HumanTask]
    done: list[HumanTask]
    decisions: list[Any]
    comments: list[documents.Comment]
    attachments: list[documents.Attachment]
    events: list[AuditEvent]
    loan: Loan | None
    household: list[dict] = field(default_factory=list)
    report: dict = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)
    may_add: bool = False  # the reader may comment and add documents (officers in scope)


def application_view(session: Session, who, application_id: int) -> ApplicationView | None:
    """One application on one screen, or None when there is none `who` may see."""
    try:
        app = access.application(session, who, application_id)
    except NotFound:
        return None
    key = str(app.id)
    tasks = list(session.scalars(select(HumanTask).where(HumanTask.business_key == key).order_by(HumanTask.created_at)))
    comments, attachments = documents.of_application(session, app.id)
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.business_key == key).order_by(AuditEvent.seq)))
    loan = session.scalars(select(Loan).where(Loan.application_id == app.id)).first()
    village = session.get(GridCell, app.village_code) if app.village_code else None
    done = [t for t in tasks if t.state == "completed"]
    report = next((t.data for t in reversed(done) if t.form_key == "investigation_report"), {}) or {}
    decisions = services.decisions_of(session, app.id)
    return ApplicationView(app, village.name if village else None, [t for t in tasks if t.state == "ready"], done,
                           decisions, comments, attachments, events, loan, report.get("household_members", []), report,
                           services.rejection_explanations(app, decisions),
                           rules.may_work_files(frozenset(who.posts)) and not rules.read_only(frozenset(who.posts)))


def sla(due_at: datetime | None, now: datetime) -> tuple[str, int] | None:
    """('due'|'overdue', minutes) for the countdown shown beside a task."""
    if due_at is None:
        return None
    minutes = int((due_at - now).total_seconds() // 60)
    return ("overdue", -minutes) if minutes < 0 else ("due", minutes)


def workable_tasks(session: Session, who, sod: SodPolicy, limit: int, offset: int,
                   application_id: str | None = None) -> tuple[list[HumanTask], int | None]:
    """GET /api/v1/tasks: what the caller may work on, their queue narrowed to their scope."""
    v = access.viewer(session, who)
    return task_queue.workable(session, access.actor(who), sod, limit, offset, application_id,
                               in_scope=access.queue_scope(v))
