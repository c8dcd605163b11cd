"""Scopes as the use cases apply them: what a caller may read (anything else is a 404, so that it
never confirms that a thing exists) and write (403). Pages, API and CLI all read through here.

The rules are credit.access's; this module joins them with what the workflow's task table says:
a task assigned to someone, naming them as a candidate or done by them routes its application to them.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, cast, exists, false, or_, select, true
from sqlalchemy.orm import Session

from credit import access as rules
from credit.documents import Attachment
from credit.models import Application, Loan, User
from engine.errors import Forbidden, InvalidData, NotFound
from engine.inbox import in_queue, named
from engine.models import HumanTask
from engine.runtime import Actor, _task_key


def viewer(session: Session, who: Any) -> rules.Viewer:
    """`who` is a Principal (web, API) or an engine Actor (CLI, simulation): username and posts, maybe more.
    Remembered for the unit of work, so that one request reads the organisation tree once."""
    key = (who.username, frozenset(who.posts), getattr(who, "org_id", None), getattr(who, "client_id", None))
    cache = session.info.setdefault("access.viewers", {})
    if key not in cache:
        cache[key] = rules.viewer(session, *key)
    return cache[key]


def actor(who: Any) -> Actor:
    return Actor(who.username, frozenset(who.posts))


def _routed_to(v: rules.Viewer):
    """Tasks assigned to `v`, naming them as a candidate, or done by them; for an officer at the head office
    (who has no branch to see) also those waiting in the queue of their posts: routed to them by post."""
    mine = or_(HumanTask.assignee == v.username, HumanTask.completed_by == v.username, named(v.username))
    if v.is_officer and v.org_ids is None:
        return or_(mine, and_(HumanTask.state == "ready", in_queue(Actor(v.username, v.posts))))
    return mine


def routed(v: rules.Viewer):
    """Applications with a task routed to `v`."""
    return exists().where(HumanTask.business_key == cast(Application.id, String), _routed_to(v))


def applications_seen(v: rules.Viewer):
    return rules.applications_seen(v, routed(v))


def tasks_seen(v: rules.Viewer):
    """The condition on tasks that `v` may read: their own (assigned, candidate, done), or of an application
    in their organisations' scope. Designers see only their test runs' tasks; channel clients none."""
    if v.reads_everything:
        return true()
    if v.client_id is not None:
        return false()
    mine = _routed_to(v)
    if not v.is_officer or v.org_ids is None:
        return mine
    keys = select(cast(Application.id, String)).where(or_(rules.in_orgs(v.org_ids), rules.own_applications(v)))
    return or_(mine, HumanTask.business_key.in_(keys))


def queue_scope(v: rules.Viewer):
    """What narrows an officer's queue (unassigned tasks of their posts) to their scope."""
    return None if v.reads_everything else tasks_seen(v)


def loans_seen(v: rules.Viewer):
    if v.reads_everything:
        return true()
    return Loan.application_id.in_(select(Application.id).where(applications_seen(v)))


# -- one thing, or a 404 ------------------------------------------------------------------------

def application(session: Session, who: Any, application_id: int) -> Application:
    app = find_application(session, who, application_id)
    if app is None:
        raise NotFound(f"no application {application_id}")
    return app


def find_application(session: Session, who: Any, application_id: int) -> Application | None:
    """The application if `who` may see it, else None (whether or not it exists)."""
    v = viewer(session, who)
    app = session.get(Application, application_id) if _key(application_id) else None
    if app is None or not (v.reads_everything or session.scalar(
            select(Application.id).where(Application.id == app.id, applications_seen(v)))):
        return None
    return app


def task(session: Session, who: Any, task_id: str) -> HumanTask:
    found = session.get(HumanTask, _task_key(task_id))
    if found is None:
        raise NotFound(f"no task {task_id}")
    if getattr(who, "client_id", None) is None and who.username in (found.assignee, found.completed_by):
        return found  # one's own task: the common case costs no further query
    if not sees_task(session, viewer(session, who), found):
        raise NotFound(f"no task {task_id}")
    if found.form_key == VOTE and found.state != "ready" and blind_to_votes(session, who, found.business_key):
        raise NotFound(f"no task {task_id}")
    return found


VOTE = "committee_vote"


def blind_to_votes(session: Session, who: Any, business_key: str | None) -> bool:
    """Whether `who` has a committee vote of the application still to cast: until then a fellow member's
    vote of the round (its decision and reason) is not theirs to read, on any page or endpoint."""
    if not business_key or getattr(who, "client_id", None) is not None:
        return False
    return session.scalar(select(HumanTask.id).where(
        HumanTask.business_key == business_key, HumanTask.form_key == VOTE, HumanTask.state == "ready",
        HumanTask.assignee == who.username).limit(1)) is not None


def hide_votes(events: list[dict[str, Any]], who: Any) -> list[dict[str, Any]]:
    """History events as a member yet to vote may read them: others' completed votes without their data."""
    return [{**e, "data": {"element": e["data"].get("element"), "form": VOTE, "hidden": "until you have voted"}}
            if e["type"] == "task_completed" and isinstance(e.get("data"), dict) and e["data"].get("form") == VOTE
            and e["actor"] != who.username else e for e in events]


def sees_task(session: Session, v: rules.Viewer, t: HumanTask) -> bool:
    """Their own task, one routed to them, or any task of an application they may see."""
    if v.reads_everything:
        return True
    if v.client_id is None and v.username in (t.assignee, t.completed_by, *(t.candidates or [])):
        return True
    if not v.is_officer:
        return False
    if session.scalar(select(HumanTask.id).where(HumanTask.id == t.id, _routed_to(v))) is not None:
        return True
    if not t.business_key or not t.business_key.isdigit():
        return False
    return session.scalar(select(Application.id).where(
        Application.id == int(t.business_key), applications_seen(v))) is not None


def loan(session: Session, who: Any, loan_id: int) -> Loan:
    return _of_application(session, who, Loan, loan_id, "loan")


def attachment(session: Session, who: Any, attachment_id: int) -> Attachment:
    return _of_application(session, who, Attachment, attachment_id, "attachment")


def _of_application(session: Session, who: Any, model, row_id: int, what: str):
    """A row that belongs to an application, seen only by who sees that application (else the same 404)."""
    found = session.get(model, row_id) if _key(row_id) else None
    if found is None:
        raise NotFound(f"no {what} {row_id}")
    try:
        application(session, who, found.application_id)
    except NotFound:
        raise NotFound(f"no {what} {row_id}") from None
    return found


def _key(value: int) -> bool:
    return isinstance(value, int) and 0 < value < 2**63


# -- writes ---------------------------------------------------------------------------------------

def require_writer(who: Any) -> None:
    """Auditors read everything and write nothing: every write refuses them, whatever it names."""
    if getattr(who, "client_id", None) is None and rules.read_only(frozenset(who.posts)):
        raise Forbidden("an auditor reads and never writes")


def files_of(session: Session, who: Any, application_id: int, task_id: str | None = None) -> Application:
    """The application an officer comments on or adds a document to (403 for others; 404 out of scope);
    a task named must be one of that application's."""
    require_writer(who)
    if not rules.may_work_files(frozenset(who.posts)):
        raise Forbidden("only officers comment on or add documents to applications")
    app = application(session, who, application_id)
    if task_id is not None:
        try:
            key = _task_key(task_id)
        except NotFound:
            key = None
        found = session.get(HumanTask, key) if key else None
        if found is None or found.business_key != str(app.id):
            raise InvalidData({"task_id": ["Not a task of this application."]})
    return app


def reassigner(who: Any) -> None:
    require_writer(who)
    if not rules.may_reassign(frozenset(who.posts)):
        raise Forbidden("only a branch head or an administrator reassigns tasks")


def assignee(session: Session, username: str) -> Actor:
    """The user a task is moved to, with the posts the four-eyes checks need."""
    user = session.scalars(select(User).where(User.username == username, User.active.is_(True))).first()
    if user is None:
        raise InvalidData({"to": ["No such active user."]})
    return Actor(user.username, frozenset(user.posts or []))


def test_key(business_key: str | None) -> None:
    """A test run's business key is synthetic: one that could name an application is refused (whether or
    not that application exists, so that the answer tells a designer nothing)."""
    if business_key is not None and business_key.strip().isdigit():
        raise InvalidData({"business_key": ["A test run may not name an application: use a synthetic key."]})

