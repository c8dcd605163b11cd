"""Two lists beside the inbox (issue 13): a customer manager's own applications, in every status and
searchable by name, ID number and phone; and the tasks an officer finished, newest first."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g, render_template, request
from sqlalchemy import String, cast, or_, select

from credit import access as rules
from credit.models import Application, Customer, GridCell
from engine.models import HumanTask

from .. import access
from ..extensions import container
from . import bp
from .session import login_required

PAGE = 20
STATUSES = ("submitted", "investigating", "approving", "approved", "rejected", "returned", "contracting",
            "disbursed", "withdrawn")
# Who takes in applications; auditors and designers finish no task of their own worth a list.
INTAKE = {"customer_manager", "admin"}
NO_WORK = {"designer", "auditor"}


@dataclass
class ListArgs:
    q: str | None
    status: str | None
    page: int

    @classmethod
    def parse(cls, args) -> "ListArgs":
        raw_page = args.get("page") or "1"  # at most 9 ASCII digits, as in the inbox
        page = max(1, int(raw_page)) if raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 9 else 1
        q = (args.get("q") or "").strip()[:64] or None
        status = args.get("status") if args.get("status") in STATUSES else None
        return cls(q, status, page)

    def query(self, **more) -> dict:
        out = {"q": self.q, "status": self.status, **more}
        return {k: v for k, v in out.items() if v is not None}


def may_take_in(posts) -> bool:
    return bool(INTAKE & set(posts))


def may_have_done(posts) -> bool:
    return bool(set(posts) - NO_WORK)


@bp.get("/applications/mine")
@login_required
def my_applications():
    if not may_take_in(g.me.posts):
        abort(403)
    f = ListArgs.parse(request.args)
    c = container()
    with c.uow() as uow:
        v = access.viewer(uow.session, g.me)
        query = (select(Application, GridCell.name).join(Customer, Customer.id == Application.customer_id)
                 .outerjoin(GridCell, GridCell.code == Application.village_code)
                 .where(rules.own_applications(v)))
        if f.status:
            query = query.where(Application.status == f.status)
        if f.q:
            # a name in part; an ID number or a phone number whole (what a customer at the counter gives)
            query = query.where(or_(Customer.name.like(f"%{_escape(f.q)}%", escape="\\"),
                                    Customer.id_number == f.q.upper(), Customer.phone == f.q))
        rows = uow.session.execute(query.order_by(Application.created_at.desc(), Application.id.desc())
                                   .limit(PAGE + 1).offset((f.page - 1) * PAGE)).all()
        return render_template("my_applications.html", rows=rows[:PAGE], more=len(rows) > PAGE, f=f,
                               statuses=STATUSES, now=c.clock.now())


@bp.get("/tasks/done")
@login_required
def done_tasks():
    if not may_have_done(g.me.posts):
        abort(403)
    f = ListArgs.parse(request.args)
    c = container()
    with c.uow() as uow:
        # One's own finished tasks: always one's to read (webapp.access.task); the application joins for its
        # words, on its id as text (a designer's test run has a key that is no number).
        query = (select(HumanTask, Application).outerjoin(
            Application, cast(Application.id, String) == HumanTask.business_key)
            .where(HumanTask.completed_by == g.me.username, HumanTask.state == "completed"))
        rows = uow.session.execute(query.order_by(HumanTask.completed_at.desc(), HumanTask.id)
                                   .limit(PAGE + 1).offset((f.page - 1) * PAGE)).all()
        return render_template("done_tasks.html", rows=rows[:PAGE], more=len(rows) > PAGE, f=f, now=c.clock.now())


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
