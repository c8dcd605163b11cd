"""Who may see and do what: the rules, over posts and organisation ids.

Pure domain rules plus the SQL conditions over the bank's own tables; the use cases in
webapp/access.py add what the workflow's task table says (assigned, candidate, done by).

- Officers see the applications (and their loans, tasks, documents, comments, contracts) of
  their organisation subtree (branch -> outlets), and whatever is routed to them. Officers at
  the head office (approvers, committee members) see only what is routed to them.
- Auditors and admins read everything; auditors write nothing.
- Designers see models, templates and their own test runs, never a customer's data.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import Session

from .models import Application, GridCell, Org, User

OFFICER_POSTS = frozenset({"customer_manager", "investigator", "reviewer", "approver", "committee", "disburser",
                           "postloan", "branch_head"})
READ_ALL_POSTS = frozenset({"auditor", "admin"})
READ_ONLY_POSTS = frozenset({"auditor"})
REASSIGNING_POSTS = frozenset({"admin", "branch_head"})
SUBMITTING_POSTS = frozenset({"customer_manager", "admin"})


@dataclass(frozen=True)
class Viewer:
    """Someone reading: their posts and the organisations whose files they see (None: only what is routed)."""

    username: str
    posts: frozenset[str]
    org_ids: frozenset[int] | None = None
    client_id: str | None = None  # a channel client: sees only the applications it submitted

    @property
    def reads_everything(self) -> bool:
        return self.client_id is None and bool(self.posts & READ_ALL_POSTS)

    @property
    def is_officer(self) -> bool:
        return self.client_id is None and bool(self.posts & OFFICER_POSTS)

    @property
    def sees_customers(self) -> bool:
        return self.reads_everything or self.is_officer


def read_only(posts: frozenset[str]) -> bool:
    """Holds no post that may change anything (an auditor): every write is refused."""
    return not (posts - READ_ONLY_POSTS)


def may_reassign(posts: frozenset[str]) -> bool:
    return bool(posts & REASSIGNING_POSTS)


def may_work_files(posts: frozenset[str]) -> bool:
    """Comment on or add documents to an application: officers, within their scope."""
    return bool(posts & OFFICER_POSTS)


def subtree(session: Session, org_id: int) -> set[int]:
    ids, frontier = {org_id}, [org_id]
    while frontier:
        frontier = [c for c in session.scalars(select(Org.id).where(Org.parent_id.in_(frontier))) if c not in ids]
        ids.update(frontier)
    return ids


def org_scope(session: Session, org_id: int | None, posts: frozenset[str]) -> frozenset[int] | None:
    """The organisations whose files an officer sees: their own subtree, unless they sit at the head office
    (whose subtree is the whole bank: they see only what is routed to them)."""
    if org_id is None or not posts & OFFICER_POSTS:
        return None
    org = session.get(Org, org_id)
    if org is None or org.level == "head_office":
        return None
    return frozenset(subtree(session, org_id))


def viewer(session: Session, username: str, posts: frozenset[str], org_id: int | None = None,
           client_id: str | None = None) -> Viewer:
    if client_id is not None:
        return Viewer(username, frozenset(), None, client_id)
    if org_id is None:
        org_id = session.scalar(select(User.org_id).where(User.username == username))
    return Viewer(username, frozenset(posts), org_scope(session, org_id, frozenset(posts)))


def in_orgs(org_ids: frozenset[int] | None):
    """Applications belonging to one of the organisations: the outlet serving the village, or the
    intake officer's organisation when the village is unknown to the grid."""
    if not org_ids:
        return false()
    villages = select(GridCell.code).where(GridCell.org_id.in_(org_ids))
    officers = select(User.username).where(User.org_id.in_(org_ids))
    return or_(Application.village_code.in_(villages), Application.intake_user.in_(officers))


def own_applications(v: Viewer):
    """Applications a person took in or submitted: routed to them from the start."""
    return or_(Application.intake_user == v.username, Application.submitted_by == v.username)


def applications_seen(v: Viewer, routed=None):
    """The condition on applications that `v` may read; `routed` adds those the workflow routed to them."""
    if v.client_id is not None:
        return Application.client_id == v.client_id
    if v.reads_everything:
        return true()
    if not v.is_officer:
        return false()
    return or_(in_orgs(v.org_ids), own_applications(v), *([routed] if routed is not None else []))
