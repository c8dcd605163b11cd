"""What earlier steps produced, as the next officer needs it (issue 13, "the work carries forward").

A task page and GET /api/v1/tasks/{id} show, for one task, the work done on its application *before the
task was created*: the lead's report to the co-investigator; the report, the co-sign opinion and the
decisions (score, band, limit, price with their rules' words) to reviewers and approvers; each committee
vote and the tally to whoever comes after a committee; and to whoever gets a returned task, who returned
it, when and why, with the earlier values to start from.

"Before" is read from the audit log's sequence, not from timestamps: steps done in one transaction share
their time, and a committee member must never see a fellow member's vote of the same round.

Only a caller who may see the application gets anything: the task alone is not enough (a designer's test
run or a task seen through another route carries nothing forward).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit import services
from credit.models import Application, User
from engine.models import AuditEvent, HumanTask

from .. import access
from .formdata import as_values

REPORT, COSIGN, APPROVAL, VOTE = "investigation_report", "investigation_cosign", "approval", "committee_vote"
# The decisions an approver weighs, in the order they were made: score, band, limit, price.
TERMS = ("scorecard", "risk_band", "limit_policy", "pricing")
_AFTER_INVESTIGATION = {APPROVAL, VOTE, "contract_signing", "disbursement_check", "task_done"}


@dataclass
class Step:
    """One earlier task, done: by whom (username and name), when, and what they entered."""
    task_id: str
    name: str
    form_key: str
    by: str | None
    by_name: str | None
    at: datetime | None
    data: dict[str, Any]


@dataclass
class Term:
    """One of the proposed terms with the words of the rules that produced it."""
    table: str
    value: Any
    outputs: dict[str, Any]
    matched_rules: list[Any]
    explanations: list[str]
    version: str


@dataclass
class Returned:
    """Who sent this task back (a person, or the committee by its tally), when and why."""
    by: str | None
    by_name: str | None
    at: datetime | None
    reason: str
    step: str  # the element that returned it: approve, cosign, or the committee's tally


@dataclass
class Carried:
    report: Step | None = None
    cosign: Step | None = None
    terms: list[Term] = field(default_factory=list)
    votes: list[Step] = field(default_factory=list)
    tally: dict[str, Any] | None = None
    approval: Step | None = None
    returned: Returned | None = None
    prefill: dict[str, str] = field(default_factory=dict)  # form values to start from (a returned task)
    previous: dict[str, Any] = field(default_factory=dict)  # the same, as the task data it was

    @property
    def empty(self) -> bool:
        return not (self.report or self.cosign or self.terms or self.votes or self.approval or self.returned)


def of_task(session: Session, who: Any, task: HumanTask) -> Carried:
    if not task.business_key or not task.business_key.isdigit():
        return Carried()
    app = access.find_application(session, who, int(task.business_key))
    if app is None:
        return Carried()
    done, order = _earlier(session, task)
    people = names(session, {t.completed_by for t in done if t.completed_by})

    def step(t: HumanTask | None) -> Step | None:
        if t is None:
            return None
        return Step(t.id, t.spec_name, t.form_key, t.completed_by, people.get(t.completed_by), t.completed_at,
                    dict(t.data or {}))

    last = {}
    for t in done:  # oldest first, so the latest of each form wins
        last[t.form_key] = t
    out = Carried()
    if task.form_key != REPORT:
        out.report = step(last.get(REPORT))
    if task.form_key not in (REPORT, COSIGN) and last.get(COSIGN) is not None and (
            last.get(REPORT) is None or order[last[COSIGN].id] > order[last[REPORT].id]):
        out.cosign = step(last[COSIGN])  # the opinion on the report shown, not on an older one
    if task.form_key in _AFTER_INVESTIGATION:
        out.terms = _terms(session, app)
    # A committee member never sees a fellow member's vote of the same round: those are created together,
    # so none of them is done before another is created.
    votes = _last_round(done, order, last.get(REPORT))
    if votes:
        out.votes = [step(t) for t in votes]
        out.tally = _tally(session, task.business_key, votes)
    if task.form_key not in (APPROVAL, VOTE) and last.get(APPROVAL) is not None:
        out.approval = step(last[APPROVAL])
    _returned(out, task, done, order, step)
    return out


def _earlier(session: Session, task: HumanTask) -> tuple[list[HumanTask], dict[str, int]]:
    """The application's tasks completed before `task` was created, oldest first, and each one's place."""
    rows = session.execute(select(AuditEvent.task_id, AuditEvent.type, AuditEvent.seq).where(
        AuditEvent.business_key == task.business_key,
        AuditEvent.type.in_(("task_created", "task_completed")))).all()
    created = {tid: seq for tid, kind, seq in rows if kind == "task_created"}
    completed = {tid: seq for tid, kind, seq in rows if kind == "task_completed"}
    cutoff = created.get(task.id)
    tasks = session.scalars(select(HumanTask).where(HumanTask.business_key == task.business_key,
                                                    HumanTask.state == "completed", HumanTask.id != task.id))
    if cutoff is None:  # no trail for this task (imported, or an older run): fall back on times
        done = [t for t in tasks if t.completed_at and t.completed_at <= task.created_at]
        done.sort(key=lambda t: (t.completed_at, completed.get(t.id, 0)))
        return done, {t.id: i for i, t in enumerate(done)}
    done = [t for t in tasks if completed.get(t.id, cutoff) < cutoff]
    done.sort(key=lambda t: completed[t.id])
    return done, {t.id: completed[t.id] for t in done}


def names(session: Session, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    return dict(session.execute(select(User.username, User.name).where(User.username.in_(usernames))).all())


def _terms(session: Session, app: Application) -> list[Term]:
    latest = {d.table: d for d in services.decisions_of(session, app.id) if d.table in TERMS}
    values = {"scorecard": app.score, "risk_band": app.band, "limit_policy": app.proposed_limit,
              "pricing": app.annual_rate}
    return [Term(t, values[t], dict(latest[t].outputs or {}), list(latest[t].matched_rules or []),
                 [str(x) for x in latest[t].descriptions or []], latest[t].version) for t in TERMS if t in latest]


def _last_round(done: list[HumanTask], order: dict[str, int], report: HumanTask | None) -> list[HumanTask]:
    """The committee votes since the latest investigation report (a returned file is voted on again)."""
    since = order[report.id] if report is not None else -1
    return [t for t in done if t.form_key == VOTE and order[t.id] > since]


def _tally(session: Session, business_key: str, votes: list[HumanTask]) -> dict[str, Any]:
    counts = {"approve": 0, "reject": 0, "return": 0}
    for t in votes:
        choice = (t.data or {}).get("decision")
        if choice in counts:
            counts[choice] += 1
    # The outcome as the process recorded it (its tally step), so the page never re-decides it.
    events = session.scalars(select(AuditEvent.data).where(
        AuditEvent.business_key == business_key, AuditEvent.type == "credit_decision").order_by(AuditEvent.seq.desc()))
    decision = next((d.get("decision") for d in events if (d or {}).get("by") == "committee"), None)
    return {**counts, "decision": decision, "complete": len(votes) >= 3}


def _returned(out: Carried, task: HumanTask, done: list[HumanTask], order: dict[str, int], step) -> None:
    """A task is returned when its form was done before on this application and, since then, someone sent
    the file back: an approver's or the committee's "return", or a co-investigator who disagreed."""
    same = [t for t in done if t.form_key == task.form_key]
    if not same:
        return
    previous = same[-1]
    after = [t for t in done if order[t.id] > order[previous.id]]
    for t in reversed(after):
        data = t.data or {}
        if t.form_key == APPROVAL and data.get("decision") == "return":
            r = step(t)
            out.returned = Returned(r.by, r.by_name, r.at, data.get("reason", ""), t.spec_name)
            break
        if t.form_key == COSIGN and data.get("agree") is False:
            r = step(t)
            out.returned = Returned(r.by, r.by_name, r.at, data.get("opinion", ""), t.spec_name)
            break
        if t.form_key == VOTE:
            votes = [v for v in after if v.form_key == VOTE]
            if sum((v.data or {}).get("decision") == "return" for v in votes) >= 2:
                reasons = [(v.data or {}).get("reason", "") for v in votes if (v.data or {}).get("decision") == "return"]
                out.returned = Returned(None, None, max(v.completed_at for v in votes),
                                        "; ".join(r for r in reasons if r), "tally")
            break
    if out.returned is not None:
        out.previous = {k: v for k, v in (previous.data or {}).items()}
        out.prefill = as_values(task.form_key, out.previous)


def shown(form_key: str, data: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """What someone entered in a form, as (label msgid, kind, value) in the form's order, choices as their
    label msgids; the page translates them. Files are left out: they are the application's documents."""
    from forms import FORMS

    out: list[tuple[str, str, Any]] = []
    for f in FORMS.get(form_key, ("", []))[1]:
        value = data.get(f.name)
        if value is None or value == "" or f.kind == "file":
            continue
        if f.kind == "choice":
            out.append((f.label, "choice", f.choices.get(value, value)))
        elif f.kind == "bool":
            out.append((f.label, "bool", value))
        elif f.kind == "group" and isinstance(value, list):
            out.append((f.label, "group", [shown_row(f, row) for row in value if isinstance(row, dict)]))
        elif f.kind == "money":
            out.append((f.label, "money", value))
        else:
            out.append((f.label, "text", value))
    return out


def shown_row(group, row: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(sub.kind, sub.choices.get(row[sub.name], row[sub.name]) if sub.choices else row[sub.name])
            for sub in group.fields if row.get(sub.name) not in (None, "")]
