"""Choosing officers: by grid (village -> responsible officer), post, organisation,
approval authority, workload and leave. Every choice carries its reason.

An officer whose post-loan inspections are overdue two periods running is allocated no new applications
until caught up: a period is one business date of the nightly run, so this is an officer with an
inspection still open that was already past its SLA as of the previous processed business date (overdue at
the last two runs; credit.postloan.inspections.blocked_officers). They are skipped, and the chosen
officer's reason (or the problem, when nobody else is left) names them and why."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Application, GridAssignment, GridCell, Org, User
from .postloan.inspections import blocked_officers, blocked_reason

# Duties that one person may hold only one of per application (mirrors the engine's policy). Each
# committee seat is its own duty, so that one member never casts two of the three votes; "committee"
# is the one duty all seats shared before, kept for instances started on older models.
COMMITTEE_SEATS = ("committee_1", "committee_2", "committee_3")
EXCLUSIVE_DUTIES = frozenset({"intake", "investigation_lead", "investigation_assist", "approval", "committee",
                              *COMMITTEE_SEATS, "disbursement",
                              # the branch head's upgrade and downgrade decisions: one duty, so that the same
                              # head may take both, but never on a loan they took in, investigated or approved
                              "classification_approval"})

ROLE_DUTY = {
    "lead_investigator": "investigation_lead", "assistant_investigator": "investigation_assist",
    "approver": "approval", **{seat: seat for seat in COMMITTEE_SEATS}, "disburser": "disbursement",
}
ROLE_POST = {
    "lead_investigator": "investigator", "assistant_investigator": "investigator", "approver": "approver",
    **{seat: "committee" for seat in COMMITTEE_SEATS}, "disburser": "disburser",
}

Workload = Callable[[list[str]], dict[str, int]]


@dataclass
class Allocation:
    ok: bool
    assignees: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    candidates: dict[str, list[str]] = field(default_factory=dict)  # who else may take the role
    problem: str | None = None


def _conflicted(username: str, duty: str, duties: dict[str, set[str]]) -> str | None:
    for held, users in duties.items():
        if held != duty and held in EXCLUSIVE_DUTIES and username in users:
            return held
    return None


def _branch_of(session: Session, org_id: int | None) -> Org | None:
    org = session.get(Org, org_id) if org_id else None
    while org is not None and org.level == "outlet":
        org = org.parent
    return org


def _subtree(session: Session, root: Org) -> set[int]:
    ids, frontier = {root.id}, [root.id]
    while frontier:
        children = list(session.scalars(select(Org.id).where(Org.parent_id.in_(frontier))))
        frontier = [c for c in children if c not in ids]
        ids.update(frontier)
    return ids


def _pick(users: list[User], duty: str, duties, workload: Workload, taken: set[str], why: str,
          rank: dict[str, int] | None = None, blocked: dict[str, int] | None = None) -> tuple[User | None, str]:
    """Prefer whoever already holds this duty (a returned file goes back to them), then rank, then workload.
    `blocked`: officers behind on their inspections (see the module's docstring), skipped with the reason."""
    skipped = []
    eligible = []
    blocked = blocked or {}
    for u in users:
        if u.username in taken:
            continue
        if u.on_leave or not u.active:
            skipped.append(f"{u.username} 休假" if u.on_leave else f"{u.username} 停用")
            continue
        if u.username in blocked and u.username not in duties.get(duty, set()):
            # someone already holding this duty on the application (a returned file) keeps it
            skipped.append(blocked_reason(u.username, blocked[u.username]))
            continue
        conflict = _conflicted(u.username, duty, duties)
        if conflict:
            skipped.append(f"{u.username} 已担任{conflict}(岗位分离)")
            continue
        eligible.append(u)
    if not eligible:
        return None, "; ".join(skipped) or "无可用人员"
    load = workload([u.username for u in eligible])
    holders = duties.get(duty, set())
    rank = rank or {}
    best = min(eligible, key=lambda u: (u.username not in holders, rank.get(u.username, 9), load[u.username], u.username))
    parts = [why]
    if best.username in holders:
        parts.append("原经办人")
    if best.username in rank:
        parts.append(f"网格第{rank[best.username]}顺位")
    parts.append(f"在途任务{load[best.username]}件")
    if skipped:
        parts.append("跳过: " + ", ".join(skipped))
    return best, "; ".join(parts)


def _users_with_post(session: Session, post: str, org_ids: set[int] | None = None) -> list[User]:
    users = [u for u in session.scalars(select(User).order_by(User.username)) if post in (u.posts or [])]
    return [u for u in users if org_ids is None or u.org_id in org_ids]


def allocate(session: Session, app: Application, purpose: str, duties: dict[str, set[str]],
             workload: Workload, level: str | None = None) -> Allocation:
    cell = session.get(GridCell, app.village_code) if app.village_code else None
    branch = _branch_of(session, cell.org_id if cell else None)
    result = Allocation(ok=True)
    blocked = blocked_officers(session)
    if purpose == "investigation":
        grid = list(session.scalars(select(GridAssignment).where(
            GridAssignment.cell_code == (app.village_code or ""), GridAssignment.post == "investigator")))
        rank = {g.user.username: g.rank for g in grid}
        pool = [g.user for g in sorted(grid, key=lambda g: g.rank)]
        if branch is not None:
            pool += [u for u in _users_with_post(session, "investigator", _subtree(session, branch)) if u not in pool]
        lead, why = _pick(pool, "investigation_lead", duties, workload, set(),
                          f"村 {app.village_code} 网格调查员" if rank else "同机构调查员", rank, blocked)
        if lead is None:
            return Allocation(False, problem=f"没有可用的主调查人: {why}")
        result.assignees["lead_investigator"], result.reasons["lead_investigator"] = lead.username, why
        assistant, why = _pick(pool, "investigation_assist", duties, workload, {lead.username}, "协调调查人(双人调查)", rank,
                              blocked)
        if assistant is None:
            return Allocation(False, problem=f"没有可用的协调调查人: {why}")
        result.assignees["assistant_investigator"], result.reasons["assistant_investigator"] = assistant.username, why
    elif purpose == "approval":
        amount = app.proposed_limit if app.proposed_limit is not None else app.amount
        amount = min(amount, app.amount)
        if level == "head_office":
            orgs = set(session.scalars(select(Org.id).where(Org.level == "head_office")))
        else:
            orgs = _subtree(session, branch) if branch else None
        pool = [u for u in _users_with_post(session, "approver", orgs) if (u.approval_limit or Decimal(0)) >= amount]
        approver, why = _pick(pool, "approval", duties, workload, set(),
                              f"{'总行' if level == 'head_office' else '支行'}审批人, 权限覆盖 {amount} 元", blocked=blocked)
        if approver is None:
            return Allocation(False, problem=f"没有权限足够的审批人: {why}")
        result.assignees["approver"], result.reasons["approver"] = approver.username, why
        # Whoever else may take the task must hold enough authority and no other duty here.
        result.candidates["approver"] = sorted(
            u.username for u in pool if not u.on_leave and u.active and not _conflicted(u.username, "approval", duties))
    elif purpose == "committee":
        pool = _users_with_post(session, "committee")
        taken: set[str] = set()
        for seat in COMMITTEE_SEATS:
            member, why = _pick(pool, seat, duties, workload, taken, "贷审会委员", blocked=blocked)
            if member is None:
                return Allocation(False, problem=f"贷审会委员不足三人: {why}")
            taken.add(member.username)
            result.assignees[seat], result.reasons[seat] = member.username, why
    elif purpose == "disbursement":
        orgs = _subtree(session, branch) if branch else None
        disburser, why = _pick(_users_with_post(session, "disburser", orgs), "disbursement", duties, workload, set(), "放款岗",
                               blocked=blocked)
        if disburser is None:
            return Allocation(False, problem=f"没有可用的放款岗: {why}")
        result.assignees["disburser"], result.reasons["disburser"] = disburser.username, why
    else:
        return Allocation(False, problem=f"unknown allocation purpose {purpose}")
    return result
